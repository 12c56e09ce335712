"""A state from an older release is brought up to date by the next build, in place
(macros/materializations/tessera_state.sql): the event log gains `written_by`, nothing is
lost, and on PostgreSQL the database fills it with the writer's session user from then on
(issue 26: attribution is the database's word, docs/security.md)."""

from __future__ import annotations

import pytest

from tests.conftest import clone_built, postgres_env
from tests.state.test_big_values import TARGETS, _execute

pytestmark = pytest.mark.dbt


@pytest.mark.parametrize("target", TARGETS)
def test_an_event_log_from_before_written_by_gets_it(request, target, tmp_path):
    project = clone_built(request, tmp_path, target)
    events = f"{project.state_schema}.tessera_events"
    before = project.query("select count(*) from {state}.tessera_events")[0][0]
    if project.target == "postgres":  # the package's views read the column
        _execute(project, f"drop view {project.state_schema}.stg_tessera__events cascade; "
                          f"alter table {events} drop column written_by")
    else:
        _execute(project, f"alter table {events} drop column written_by")
    assert "written_by" not in _columns(project)

    project.run("build")
    assert "written_by" in _columns(project)
    assert project.query("select count(*) from {state}.tessera_events")[0][0] >= before
    project.run("run-operation", "tessera.register", "--args",
                "{model: dim_products, team: finance}")
    written_by = project.query("select written_by from {state}.tessera_events "
                               "where event_type = 'consumer_registered'")
    expected = postgres_env()["TESSERA_PG_USER"] if target == "postgres" else None
    assert written_by == [(expected,)]


def _columns(project) -> list[str]:
    return [r[0] for r in project.query(
        "select column_name from information_schema.columns where table_schema = "
        f"'{project.state_schema}' and table_name = 'tessera_events'")]
