"""Issue 16: acknowledgments that prove who gave them, on DuckDB with real dbt invocations.

Identity is asked of the connection (DuckDB has no users: the OS user, recorded as such),
never taken from the payload; membership is read from the committed files, never from
--vars; withdraw and force_publish need the owner team or an admin; the team registry
refuses unknown teams; `tessera verify` finds rows edited or inserted by hand."""

from __future__ import annotations

import getpass
import json

import pytest

from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.engine.membership import Membership, answer_refusal, parse_membership
from tessera_dbt.state.events import stable_id
from tests.conftest import clone_built, copy_project, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import _proposal_id, op

ME = getpass.getuser()  # who acts on DuckDB (runtime.identity: actor_source "os")
TEAMS_FILE = f"teams:\n  finance: [alice]\n  marketing: [{ME}]\n  data_platform: [{ME}]\n"
FORGE = """{% macro forge(proposal_id, settings=none) %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"op": "acknowledge",
      "target": {"name": target.name, "type": target.type, "user": "alice"},
      "args": {"proposal_id": proposal_id, "team": "finance", "response": "approved"}}) %}
  {% if settings %}{% do payload.update({"settings": settings}) %}{% endif %}
  {% do modules.tessera.call("operation", payload) %}
{% endmacro %}
"""


def test_membership_values_are_validated_and_matched_exactly():
    for bad, named in (({"marketing": "alice"}, "team 'marketing' must be a list"),
                       ({"t1": []}, "team 't1' has no members"),
                       ({"t2": [None]}, "team 't2': None is not a warehouse user"),
                       (["finance"], "teams must map each team")):
        with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
            parse_membership(bad, None, "tessera_teams.yml")
    members = parse_membership({"marketing": ["alice"]}, None, "x")
    assert answer_refusal(members, "lic", "marketing") is not None, "no substring match"
    assert answer_refusal(members, "alice", "marketing") is None
    upper = answer_refusal(members, "ALICE", "marketing")
    assert upper is not None and "names match exactly" in upper.one_line()
    assert answer_refusal(Membership(), "anyone", "marketing") is None, "none configured"


def _forge(project, capsys, args):
    capsys.readouterr()
    result = project.run("run-operation", "forge", "--args", args, expect_success=False)
    assert not result.success
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def proposed(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("identity"), "duckdb", deps=True)
    (project.path / "tessera_teams.yml").write_text(TEAMS_FILE)
    (project.path / "macros" / "forge.sql").write_text(FORGE)
    project.run("build")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    return project


@pytest.mark.dbt
def test_who_may_act_is_the_session_and_the_committed_membership(proposed, capsys, cli):
    project = proposed
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))

    forged = _forge(project, capsys, f"{{proposal_id: {pid}}}")
    assert f"warehouse user {ME!r} may not answer for team 'finance'" in forged, \
        "the payload's target.user is not believed"
    forged = _forge(project, capsys,
                    f"{{proposal_id: {pid}, settings: {{teams: {{finance: [{ME}]}}}}}}")
    assert "vars.tessera.teams differs from the committed dbt_project.yml" in forged
    capsys.readouterr()
    result = project.run("run-operation", "tessera.acknowledge", "--args",
                         f"{{proposal_id: {pid}, team: finance, response: approved}}",
                         "--vars", f"{{tessera: {{teams: {{finance: [{ME}]}}}}}}",
                         expect_success=False)
    assert not result.success
    assert "differs from the committed" in capsys.readouterr().out

    assert "marketing answered approved" in op(
        project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: marketing, "
                                        "response: approved}")
    assert project.query("select actor from {state}.tessera_events where event_type = "
                         "'proposal_acknowledged'") == [(ME,)]
    assert ("os", ME) in project.query("select status, actor from {state}.tessera_events "
                                       "where event_type = 'invocation_recorded'")

    for name, args in (("force_publish", f"{{proposal_id: {pid}, reason: hurry}}"),
                       ("withdraw", f"{{proposal_id: {pid}}}")):
        refused = op(project, capsys, name, args, ok=False)
        assert f"tessera.{name}: warehouse user {ME!r} may not {name}" in refused
        assert "owner team 'commerce'" in refused

    # the registry: groups exist here, so an unknown team is refused, a near one named
    assert "did you mean 'finance'" in op(project, capsys, "register",
                                          "{model: dim_products, team: finanse}", ok=False)
    assert "'growth' is not a team this project knows" in op(
        project, capsys, "register", "{model: dim_products, team: growth}", ok=False)

    # everything so far was written by tessera: verify is clean
    with environment(project.env):
        clean = cli("verify", "--project-dir", project.path, "--profiles-dir", project.path,
                    "--target", "duckdb")
    assert "every one as tessera wrote it" in clean.out

    # a hand edit and a forged acknowledgment (with a well-formed id)
    project.query("update {state}.tessera_events set actor = 'alice' "
                  "where event_type = 'proposal_acknowledged'")
    forged_id = stable_id("proposal_acknowledged", pid, "finance", "approved", None)
    project.query(
        "insert into {state}.tessera_events (event_id, event_type, asset, proposal_id, team, "
        "status, actor, invocation_id, recorded_at, payload) values "
        f"('{forged_id}', 'proposal_acknowledged', 'x', '{pid}', 'finance', 'approved', "
        "'mallory', 'by-hand', current_timestamp, '{}')")
    with environment(project.env):
        found = cli("verify", "--format", "json", "--project-dir", project.path,
                    "--profiles-dir", project.path, "--target", "duckdb", expect=1)
    report = json.loads(found.out)
    kinds = {(f["kind"], f["event_id"]) for f in report["findings"]}
    ignored = {(f["kind"], f["event_id"]) for f in report["ignored"]}
    edited = project.query("select event_id from {state}.tessera_events where "
                           "event_type = 'proposal_acknowledged' and actor = 'alice'")[0][0]
    assert ("edited", edited) in kinds and ("unrecorded", forged_id) in kinds
    # answers no reader counts are listed apart: they are no tampering
    assert ("not_member", forged_id) in ignored
    assert ("not_member", edited) in ignored, "alice is no member of marketing"


@pytest.mark.dbt
def test_bad_membership_and_unknown_consumers_are_one_line(proposed, capsys):
    project = proposed
    teams = project.path / "tessera_teams.yml"
    teams.write_text("teams:\n  marketing: alice\n")
    assert "tessera_teams.yml: team 'marketing' must be a list of warehouse users" in op(
        project, capsys, "status", "{}", ok=False)
    teams.write_text("teams:\n  t1: []\n")
    assert "team 't1' has no members" in op(project, capsys, "status", "{}", ok=False)
    teams.write_text(TEAMS_FILE)
    project.edit("models/commerce/fct_orders.yml", "- team: finance", "- team: finanse")
    # an asset's own configuration error: that asset's operations refuse it in one line
    refused = op(project, capsys, "propose", "{model: fct_orders}", ok=False)
    assert "meta.tessera.consumers names team 'finanse'" in refused
    assert "did you mean 'finance'" in refused
    project.edit("models/commerce/fct_orders.yml", "- team: finanse", "- team: finance")


@pytest.mark.dbt
def test_a_forged_settlement_is_pending_to_every_reader(request, tmp_path, capsys, cli):
    """Issue 26: a hand-inserted proposal_resolved row saying approved (with the id tessera
    would give it) is a cache nobody reads as the decision: the BI models, tessera.status,
    the export and the gate all say pending, and verify names the row."""
    project = clone_built(request, tmp_path, "duckdb")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    forged = stable_id("proposal_resolved", pid)
    project.query(
        "insert into {state}.tessera_events (event_id, event_type, asset, proposal_id, "
        "status, actor, invocation_id, recorded_at, payload) values "
        f"('{forged}', 'proposal_resolved', 'x', '{pid}', 'approved', 'mallory', 'by-hand', "
        "current_timestamp, '{}')")

    assert project.query("select status from {state}.tessera_proposals "
                         f"where proposal_id = '{pid}'") == [("pending",)]
    assert "pending" in op(project, capsys, "status", "{model: fct_orders}")
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    capsys.readouterr()
    with environment(project.env):
        cli("export", "--out", tmp_path / "export", *where)
        found = cli("verify", "--format", "json", *where, expect=1)
    exported = json.loads((tmp_path / "export" / "proposals.json").read_text())
    assert [p["status"] for p in exported["proposals"]] == ["pending"]
    assert [(f["kind"], f["event_id"]) for f in json.loads(found.out)["findings"]] == [
        ("unrecorded", forged)]
    with project.settings(gate="block"):
        blocked = project.run("build", "--select", "fct_orders", expect_success=False)
    assert "the gate stopped this run" in " ".join(str(blocked.exception).split())
    assert ("is_paid",) in project.query(
        "select column_name from information_schema.columns where table_name = 'fct_orders'")
