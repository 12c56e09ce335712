"""The consumer's side of a proposal: every required team has a row in
tessera_acknowledgments from the moment it is asked (`waiting`), comments are kept verbatim,
`tessera inbox` lists what waits on a team, and misspelt teams get a "did you mean"."""

from __future__ import annotations

import json

import pytest

from tests.conftest import clone_built, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import _proposal_id, op

COMMENT = 'We said "fine" in \'Q3\';\nsecond line, after a newline'


@pytest.fixture
def proposed(request, tmp_path, capsys):
    project = clone_built(request, tmp_path, "duckdb")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    out = op(project, capsys, "propose", "{model: fct_orders, reason: moved to payments}")
    return project, _proposal_id(out)


def _acks(project, pid):
    return project.query("select team, response, comment, acknowledged_at from "
                         "{state}.tessera_acknowledgments "
                         f"where proposal_id = '{pid}' order by team")


@pytest.mark.dbt
def test_waiting_rows_comments_verbatim_and_inbox(proposed, capsys, cli):
    project, pid = proposed
    rows = _acks(project, pid)
    assert [(t, r, c, a) for t, r, c, a in rows] == [
        ("data_platform", "waiting", None, None), ("finance", "waiting", None, None),
        ("marketing", "waiting", None, None)], "every required team is asked at once"

    inbox = op(project, capsys, "inbox", "{team: marketing}")
    assert "1 proposal(s) wait on marketing" in inbox and pid in inbox
    assert "deadline" in inbox and "day(s) left" in inbox
    assert "COLUMN_REMOVED at `is_paid`" in inbox
    command = ("dbt run-operation tessera.acknowledge --args "
               f"'{{proposal_id: {pid}, team: marketing, response: approved}}'")
    assert command in inbox, inbox

    args = json.dumps({"proposal_id": pid, "team": "finance", "response": "migrating",
                       "comment": COMMENT})
    op(project, capsys, "acknowledge", args)
    by_team = {t: (r, c, a) for t, r, c, a in _acks(project, pid)}
    assert by_team["finance"][0] == "migrating" and by_team["finance"][1] == COMMENT
    assert by_team["finance"][2] is not None
    assert by_team["marketing"] == ("waiting", None, None)
    assert "Nothing waits on finance." in op(project, capsys, "inbox", "{team: finance}")

    # the CLI runs the same operation through dbt
    with environment(project.env):
        result = cli("inbox", "--team", "marketing", "--project-dir", project.path,
                     "--profiles-dir", project.path)
    assert pid in result.out and command in result.out


@pytest.mark.dbt
def test_misspelt_teams_get_did_you_mean(proposed, capsys):
    project, pid = proposed
    inbox = op(project, capsys, "inbox", "{team: fiannce}", ok=False)
    assert "team 'fiannce' is not a team this project knows (did you mean 'finance'?)" in inbox
    ack = op(project, capsys, "acknowledge",
             f"{{proposal_id: {pid}, team: fiannce, response: approved}}", ok=False)
    assert "not asked to acknowledge" in ack and "did you mean 'finance'?" in ack
    before = project.query("select count(*) from {state}.tessera_events")
    reg = op(project, capsys, "register", "{model: dim_products, team: fiannce}", ok=False)
    assert "did you mean 'finance'?" in reg
    assert project.query("select count(*) from {state}.tessera_events") == before
    assert "Registered ml" in op(project, capsys, "register", "{model: dim_products, team: ml}")
