"""The coordination story with the plain dbt CLI path (run-operation + build), on DuckDB and
PostgreSQL: propose → acknowledge → approved → published, and the other endings."""

from __future__ import annotations

import getpass
import json
import re

import pytest

from tests.conftest import clone_built, copy_project
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
BUILD = ("build", "--select", "fct_orders", "--indirect-selection", "cautious")


@pytest.fixture(params=TARGETS)
def project(request, tmp_path):
    return clone_built(request, tmp_path, request.param)


def op(project, capsys, name, args, ok=True):
    capsys.readouterr()
    result = project.run("run-operation", f"tessera.{name}", "--args", args,
                         expect_success=ok)
    out = capsys.readouterr().out
    return out if ok else str(result.result or "") + out + " ".join(result.messages)


def _proposal_id(text):
    return re.search(r"\b(p_[0-9a-f]{16})\b", text).group(1)


def _status(project, proposal_id):
    return project.query("select status, required_acks, received_acks, forced from "
                         f"{{state}}.tessera_proposals where proposal_id = '{proposal_id}'")[0]


def _version(project, like):
    return project.query("select version from {state}.tessera_contracts "
                         f"where is_current and asset like '{like}'")[0][0]


def _events(project):
    return project.query("select count(*) from {state}.tessera_events")[0][0]


@pytest.mark.dbt
def test_the_whole_story(project, capsys):
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    out = op(project, capsys, "propose", "{model: fct_orders, reason: moved to payments}")
    assert "1.0.0 → 2.0.0" in out and "COLUMN_REMOVED at `is_paid`" in out
    assert "data_platform (waiting), finance (waiting), marketing (waiting)" in out
    pid = _proposal_id(out)
    assert pid in op(project, capsys, "propose", "{model: fct_orders}"), "one pending per asset"

    refused = op(project, capsys, "acknowledge",
                 f"{{proposal_id: {pid}, team: hr, response: approved}}", ok=False)
    assert "team 'hr' is not asked to acknowledge" in refused
    for team in ("finance", "marketing"):
        op(project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: {team}, "
                                           "response: approved, comment: fine}")
    assert _status(project, pid)[:3] == ("pending", 3, 2)
    last = op(project, capsys, "acknowledge",
              f"{{proposal_id: {pid}, team: data_platform, response: migrating}}")
    assert "status: approved" in last and "next `dbt build` publishes it" in last
    again = op(project, capsys, "acknowledge",
               f"{{proposal_id: {pid}, team: data_platform, response: migrating}}")
    assert "already answered" in again, "re-running an acknowledgment is idempotent"

    result = project.run(*BUILD)
    assert any("fct_orders 2.0.0 (breaking change approved" in m for m in result.messages)
    assert _version(project, "%.fct_orders") == "2.0.0"
    assert _status(project, pid)[0] == "published"
    assert project.query("select count(*) from {state}.tessera_acknowledgments "
                         f"where proposal_id = '{pid}'") == [(3,)]
    consumers = project.query("select team, source from {state}.tessera_consumers "
                              "where asset like '%.fct_orders'")
    assert ("finance", "declared") in consumers and ("data_platform", "exposure") in consumers


@pytest.mark.dbt
def test_rejected_withdrawn_forced_expired_and_no_consumer(project, capsys):
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    waiting = " ".join(project.run(*BUILD).messages)  # the gate (warn) and the hook
    assert "propose it" not in waiting.lower(), "a proposal is already pending"
    assert f"its proposal {pid} is pending and waits for: data_platform, finance, " \
        "marketing" in waiting, waiting
    blocked = op(project, capsys, "acknowledge",
                 f"{{proposal_id: {pid}, team: finance, response: blocked}}")
    assert "status: rejected" in blocked
    assert "next: rejected by finance" in blocked and "tessera.force_publish" in blocked
    project.run(*BUILD)
    assert _version(project, "%.fct_orders") == "1.0.0", "a rejected change does not ship"

    forced = op(project, capsys, "force_publish",
                f"{{proposal_id: {pid}, reason: 'incident 42, consumers informed'}}")
    assert "incident 42" in forced
    events = _events(project)
    assert "already forced" in op(project, capsys, "force_publish",
                                  f"{{proposal_id: {pid}, reason: 'incident 42, again'}}")
    assert _events(project) == events, "re-running force_publish records nothing"
    shipped = " ".join(project.run(*BUILD).messages)
    assert "approved by" not in shipped and "breaking change force-published by " in shipped
    assert "incident 42, consumers informed" in shipped, shipped
    assert _version(project, "%.fct_orders") == "2.0.0"
    assert _status(project, pid)[0] == "published" and _status(project, pid)[3] is True

    # withdraw: a second breaking change, proposed then withdrawn
    project.edit("models/commerce/fct_orders.yml", "      - name: item_count\n"
                 "        data_type: integer\n", "      - name: item_count\n"
                 "        data_type: bigint\n")
    project.edit("models/commerce/fct_orders.sql",
                 "cast(coalesce(order_items.item_count, 0) as integer) as item_count",
                 "cast(coalesce(order_items.item_count, 0) as bigint) as item_count")
    project.run(*BUILD)  # int → bigint is a widening: compatible under backward, ships
    assert _version(project, "%.fct_orders") == "2.1.0"
    project.edit("models/commerce/fct_orders.yml", "      - name: updated_at\n"
                 "        data_type: timestamp\n", "")
    project.edit("models/commerce/fct_orders.sql",
                 ",\n        cast(orders.updated_at as timestamp) as updated_at", "")
    second = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    assert "Withdrew" in op(project, capsys, "withdraw", f"{{proposal_id: {second}}}")
    assert _status(project, second)[0] == "withdrawn"
    events = _events(project)
    assert "already withdrawn" in op(project, capsys, "withdraw", f"{{proposal_id: {second}}}")
    assert _events(project) == events, "re-running withdraw records nothing"

    # expiry is applied when state is read (here: proposals that expire at once)
    capsys.readouterr()
    project.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}",
                "--vars", "{tessera: {proposal_expiry_days: 0}}")
    third = _proposal_id(capsys.readouterr().out)
    assert third != second
    assert _status(project, third)[0] == "expired", \
        "the BI model shows an expiry before any operation has read the state"
    op(project, capsys, "status", "{model: fct_orders}")
    assert _status(project, third)[0] == "expired"
    late = op(project, capsys, "acknowledge",
              f"{{proposal_id: {third}, team: finance, response: approved}}", ok=False)
    assert "is expired" in late

    # an asset nobody reads: approved at once
    project.edit("models/commerce/dim_products.sql", "bigint) as units_sold\n",
                 "bigint) as units_sold_total\n")
    project.edit("models/commerce/dim_products.yml", "name: units_sold", "name: units_sold_total")
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    alone = op(project, capsys, "propose", "{model: dim_products}")
    assert "no consumer team to acknowledge: approved at once" in alone
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    assert _version(project, "%.dim_products") == "2.0.0"


@pytest.mark.dbt
@pytest.mark.parametrize("name,args,expected", [
    ("propose", "{}", "missing argument 'model'"),
    ("propose", "{model: 42}", "argument 'model' must be a non-empty str"),
    ("propose", "{model: nope}", "model 'nope': no such model"),
    ("propose", "{model: fct_orders, colour: red}", "unknown argument 'colour'"),
    ("acknowledge", "{proposal_id: p_0, team: finance, response: approved}",
     "proposal_id 'p_0': no such proposal"),
    ("acknowledge", "{proposal_id: p_0, team: finance, response: maybe}",
     "argument 'response' is 'maybe'"),
    ("force_publish", "{proposal_id: p_0}", "missing argument 'reason'"),
    ("register", "{model: fct_orders}", "missing argument 'team'"),
])
def test_malformed_args_are_one_line_and_write_nothing(tmp_path, capsys, name, args, expected):
    project = copy_project(tmp_path, "duckdb", deps=True)
    project.run("run", "--select", "tessera")
    before = _events(project)
    text = op(project, capsys, name, args, ok=False)
    assert expected in text, text
    assert _events(project) == before


@pytest.mark.dbt
def test_register_and_unregister(project, capsys):
    out = op(project, capsys, "register", "{model: dim_products, team: ml, purpose: features}")
    assert "Registered ml" in out
    assert "already registered" in op(project, capsys, "register",
                                      "{model: dim_products, team: ml}")
    project.edit("models/commerce/dim_products.sql", "bigint) as units_sold\n",
                 "bigint) as units_sold_total\n")
    project.edit("models/commerce/dim_products.yml", "name: units_sold", "name: units_sold_total")
    proposal = op(project, capsys, "propose", "{model: dim_products}")
    assert "ml (waiting)" in proposal, "registrations belong to the asset and are asked"
    assert ("ml", "registered") in project.query(
        "select team, source from {state}.tessera_consumers where asset like '%dim_products'")
    assert "Unregistered ml" in op(project, capsys, "unregister", "{model: dim_products, team: ml}")
    events = _events(project)
    assert "nothing to do" in op(project, capsys, "unregister", "{model: dim_products, team: ml}")
    assert _events(project) == events, "re-running unregister records nothing"
    report = json.loads(op(project, capsys, "verify", "{format: json}").strip().splitlines()[-1])
    assert report["findings"] == [] and report["checked"] == events, \
        "every row the hook and the operations wrote matches its invocation record"


@pytest.mark.dbt
def test_team_membership_and_forced_approval_without_consumers(tmp_path, capsys):
    project = copy_project(tmp_path, "duckdb", deps=True)
    me = getpass.getuser()  # DuckDB has no users: the OS user acts (runtime.identity)
    project.edit("dbt_project.yml", "vars:\n",
                 f"vars:\n  tessera:\n    teams: {{finance: [alice], marketing: [{me}]}}\n"
                 f"    admins: [{me}]\n    require_force_without_consumers: true\n")
    project.run("build")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    refused = op(project, capsys, "acknowledge",
                 f"{{proposal_id: {pid}, team: finance, response: approved}}", ok=False)
    assert "may not answer for team 'finance'" in refused and "alice" in refused
    assert "marketing answered approved" in op(
        project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: marketing, "
                                        "response: approved}")

    project.edit("models/commerce/dim_products.sql", "bigint) as units_sold\n",
                 "bigint) as units_sold_total\n")
    project.edit("models/commerce/dim_products.yml", "name: units_sold", "name: units_sold_total")
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    alone = op(project, capsys, "propose", "{model: dim_products}")
    assert "requires `tessera.force_publish`" in alone
    lonely = _proposal_id(alone)
    op(project, capsys, "force_publish", f"{{proposal_id: {lonely}, reason: nobody reads it}}")
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    assert _version(project, "%.dim_products") == "2.0.0"


@pytest.mark.dbt
def test_retiring_a_consumed_asset(request, tmp_path, capsys):
    """Issue 15: removing a consumed asset goes propose → acknowledge → build and ends with
    the asset retired in tessera_contract_status and a contract_retired event; propose on
    an unchanged or uncontracted model says so truthfully."""
    project = clone_built(request, tmp_path, "duckdb")
    unchanged = op(project, capsys, "propose", "{model: fct_orders}")
    assert "identical to the published 1.0.0" in unchanged and "Proposed" not in unchanged
    outside = op(project, capsys, "propose", "{model: marketing_customer_ltv}")
    assert "is not under contract" in outside
    op(project, capsys, "register", "{model: dim_products, team: marketing}")
    project.edit("models/commerce/dim_products.yml",
                 "      tessera:\n        compatibility: forward\n", "")
    out = op(project, capsys, "propose", "{model: dim_products}")
    assert "Proposed retiring" in out and "ASSET_REMOVED" in out, out
    assert "marketing (waiting)" in out
    pid = _proposal_id(out)
    done = op(project, capsys, "acknowledge",
              f"{{proposal_id: {pid}, team: marketing, response: approved}}")
    assert "status: approved" in done and "records it retired" in done
    result = project.run(*BUILD)
    assert any("retired" in m and "dim_products" in m for m in result.messages), \
        result.messages
    status = project.query("select lifecycle, current_version from "
                           "{state}.tessera_contract_status where asset like '%.dim_products'")
    assert status == [("retired", None)]
    assert project.query("select count(*) from {state}.tessera_events where event_type = "
                         "'contract_retired'") == [(1,)]
    assert _status(project, pid)[0] == "published"
    assert project.query("select count(*) from {state}.tessera_contracts where is_current "
                         "and asset like '%.dim_products'") == [(0,)]


@pytest.mark.dbt
def test_a_relation_moved_in_production_waits_for_its_proposal(request, tmp_path, capsys):
    """Issue 15: an alias change is RELATION_CHANGED for the hook and propose as for
    `tessera check`; once approved, the contract moves with its relation (the old relation
    is retired, the new one publishes the next major)."""
    project = clone_built(request, tmp_path, "duckdb")
    project.edit("models/commerce/fct_orders.yml", "      group: commerce\n",
                 "      group: commerce\n      alias: fct_orders_moved\n")
    held = project.run(*BUILD)
    assert any("RELATION_CHANGED" in m and "without an approved proposal" in m
               for m in held.messages), held.messages
    assert project.query("select count(*) from {state}.tessera_contracts "
                         "where asset like '%.fct_orders_moved'") == [(0,)]
    out = op(project, capsys, "propose", "{model: fct_orders}")
    assert "RELATION_CHANGED" in out and "1.0.0 → 2.0.0" in out, out
    pid = _proposal_id(out)
    waiting = re.findall(r"(\w+) \(waiting\)", out)
    for team in waiting:
        op(project, capsys, "acknowledge",
           f"{{proposal_id: {pid}, team: {team}, response: approved}}")
    assert _status(project, pid)[0] == "approved"
    moved = project.run(*BUILD)
    assert any("published" in m and "fct_orders_moved 2.0.0" in m for m in moved.messages), \
        [m for m in moved.messages if m.startswith("tessera")]
    assert _version(project, "%.fct_orders_moved") == "2.0.0"
    assert project.query("select lifecycle from {state}.tessera_contract_status "
                         "where asset like '%.fct_orders'") == [("retired",)]
