"""The suite's clones of one build (conftest.clone_built): each holds what the build wrote,
points at itself only, and what a test does to one reaches neither the build nor another
clone."""

from __future__ import annotations

import pytest

from tests.conftest import clone_built

TARGETS = [pytest.param("duckdb", marks=pytest.mark.dbt),
           pytest.param("postgres", marks=[pytest.mark.dbt, pytest.mark.postgres])]
EVENTS = "select count(*) from {state}.tessera_events"


@pytest.mark.parametrize("target", TARGETS)
def test_a_clone_is_the_build_and_its_own(request, tmp_path, target):
    pristine = request.getfixturevalue(f"pristine_{target}")
    first = clone_built(request, tmp_path / "first", target)
    published = first.query("select count(*) from {state}.tessera_contracts")[0][0]
    assert published == 12 and first.query(EVENTS)[0][0] > 0
    # the artifacts name the clone, never the build it came from
    for name in ("manifest.json", "run_results.json"):
        text = (first.path / "target" / name).read_text()
        assert str(first.path) in text and str(pristine.path.parent) not in text, name
    link = first.path / "dbt_packages" / "tessera_test_utils"
    assert link.resolve() == (first.path / "test_packages" / "tessera_test_utils").resolve()

    # real dbt on the clone, and its writes stay in it
    built = first.query(EVENTS)[0][0]
    first.run("run-operation", "tessera.register", "--args",
              "{model: fct_orders, team: finance}")
    events = first.query(EVENTS)[0][0]
    assert events > built
    assert first.query("select count(*) from {state}.tessera_events "
                       "where event_type = 'consumer_registered'") == [(1,)]
    if target == "duckdb":  # clones live side by side (on PostgreSQL, one at a time)
        second = clone_built(request, tmp_path / "second", target)
        assert second.query(EVENTS)[0][0] == built
        assert first.query(EVENTS)[0][0] == events
