"""The teams asked are the published contract's consumers plus any the change adds: a
producer who deletes `consumers: [{team: risk}]` in the same change as a breaking edit
still has to hear from risk, in `tessera check` and in `tessera.propose` alike (real dbt on
DuckDB)."""

from __future__ import annotations

import json

import pytest

from tessera_dbt.cli import main

from .conftest import copy_project, environment
from .test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from .test_proposals import _proposal_id, _status, op

RISK = ("            - team: finance\n              purpose: revenue reporting\n",
        "            - team: finance\n              purpose: revenue reporting\n"
        "            - team: risk\n              purpose: credit limits\n")
DROP_RISK = (RISK[1], RISK[0])

pytestmark = pytest.mark.dbt


def _check(project, capsys) -> dict:
    capsys.readouterr()
    with environment(project.env):
        code = main(["check", "--manifest", str(project.manifest), "--state-from-warehouse",
                     "--project-dir", str(project.path), "--profiles-dir", str(project.path),
                     "--format", "json"])
    assert code in (0, 1)
    payload = json.loads(capsys.readouterr().out)
    return {a["name"]: a for a in payload["assets"]}


def test_dropping_a_declared_consumer_with_a_breaking_edit_still_asks_it(tmp_path, capsys):
    project = copy_project(tmp_path, "duckdb")
    project.run("deps")
    # risk is a team the project knows (a dbt group), so the registry accepts it
    project.edit("models/_groups.yml", "  - name: ml\n", "  - name: risk\n    owner:\n"
                 "      name: risk\n      email: risk@example.com\n  - name: ml\n")
    project.edit("models/commerce/fct_orders.yml", *RISK)
    project.run("build")
    assert ("risk", "declared") in project.query(
        "select team, source from {state}.tessera_consumers where asset like '%.fct_orders'")

    # one change: risk removed from consumers, is_paid dropped
    project.edit("models/commerce/fct_orders.yml", *DROP_RISK)
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    project.run("parse")
    before = _check(project, capsys)["fct_orders"]
    assert before["status"] == "breaking-unproposed"
    assert "risk" in {c["team"] for c in before["affected_consumers"]}

    out = op(project, capsys, "propose", "{model: fct_orders}")
    assert "risk (waiting)" in out, out
    pid = _proposal_id(out)
    for team in ("data_platform", "finance", "marketing"):
        op(project, capsys, "acknowledge",
           f"{{proposal_id: {pid}, team: {team}, response: approved}}")
    assert _status(project, pid)[:3] == ("pending", 4, 3), "risk has not answered"
    after = _check(project, capsys)["fct_orders"]
    assert after["status"] == "breaking-pending" and after["blocking"]
    assert "risk" in {c["team"] for c in after["affected_consumers"]}

    op(project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: risk, response: approved}}")
    assert _status(project, pid)[0] == "approved"
    assert _check(project, capsys)["fct_orders"]["status"] == "breaking-approved"
