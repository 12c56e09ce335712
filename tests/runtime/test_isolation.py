"""Issue 16 with real dbt builds: one asset's invalid config is that asset's error alone
(the hook records every other asset, the gate and `tessera check` judge every other
asset), and the teams asked of a change are the consumers of the version in force plus
any the change adds, the same set for `tessera check` and `propose`."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tessera_dbt.engine.asset_errors import AssetError
from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.lineage.consumers import asked_consumers, in_force_consumers
from tests.cli.test_check import _by_name, _tessera
from tests.conftest import clone_built, copy_project
from tests.runtime.test_hook import UNDER_CONTRACT

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
BAD_COMPATIBILITY = ("          compatibility: backward\n", "          compatibility: sideways\n")


def test_an_asset_error_names_the_asset_once_with_the_fix():
    uid = "model.shop.orders"
    error = AssetError.of(uid, "db.main.orders", ConfigError(
        f"{uid}: meta.tessera.compatibility is 'sideways'", "use one of: backward"))
    assert error.line("skipped") == ("db.main.orders (model.shop.orders): meta.tessera."
                                     "compatibility is 'sideways' (use one of: backward); "
                                     "skipped")
    bug = AssetError.of(uid, None, KeyError("x"))
    assert bug.asset == uid and bug.message == "KeyError: 'x'" and "TESSERA_DEBUG" in bug.hint


def test_the_teams_asked_keep_the_consumers_of_the_version_in_force():
    published = {"asset": "a", "owner": "shop",
                 "consumers": [{"team": "risk", "source": "declared"},
                               {"team": "bi", "source": "downstream", "via": ["m"]}]}
    current = {"asset": "a", "owner": "shop",
               "consumers": [{"team": "ml", "source": "declared"}]}
    assert [(c["team"], c["source"]) for c in in_force_consumers(current, published)] == [
        ("bi", "downstream"), ("ml", "declared"), ("risk", "declared")]
    # a removal, or no manifest to trace lineage in, asks every one of them
    asked = asked_consumers(None, None, current, None, (), {"ops": "alerts", "shop": None},
                            published)
    assert asked.teams == ["bi", "ml", "ops", "risk"] and not asked.exempt


@pytest.fixture(params=TARGETS)
def project(request, tmp_path):
    return copy_project(tmp_path, request.param, deps=True)


def _per_asset(project, event_type):
    rows = project.query("select asset, count(*) from {state}.tessera_events "
                         f"where event_type = '{event_type}' group by asset")
    return dict(rows)


def _audit_by_invocation(project):
    return dict(project.query("select invocation_id, count(*) from {state}.tessera_audit_log "
                              "group by invocation_id"))


def _tests_run(project):
    results = json.loads(project.run_results.read_text())["results"]
    return {r["unique_id"] for r in results if r["unique_id"].startswith("test.")}


@pytest.mark.dbt
def test_one_bad_model_records_every_other_asset(project, capsys):
    project.edit("models/commerce/fct_orders.yml", *BAD_COMPATIBILITY)
    result = project.run("build")  # not strict: the build stays green
    errors = [m for m in result.messages if m.startswith("tessera: ERROR")]
    assert len(errors) == 1, result.messages
    assert ".fct_orders (model.tessera_integration_tests.fct_orders): " \
           "meta.tessera.compatibility is 'sideways' (use one of: backward," in errors[0]
    assert "not judged and nothing was published for it (its tests' audit rows are kept" \
        in errors[0] and "every other asset was recorded" in errors[0]
    assert not any("nothing was recorded:" in m for m in result.messages)

    published = _per_asset(project, "contract_published")
    assert len(published) == UNDER_CONTRACT - 1 == 11
    assert set(published.values()) == {1}
    assert not any(a.endswith(".fct_orders") for a in published)
    failed = project.query("select asset, status, reason, payload from {state}.tessera_events "
                           "where event_type = 'asset_error'")
    assert len(failed) == 1 and failed[0][0].endswith(".fct_orders") and failed[0][1] == "error"
    assert "meta.tessera.compatibility is 'sideways'" in failed[0][2]
    payload = failed[0][3] if isinstance(failed[0][3], dict) else json.loads(failed[0][3])
    assert payload["unique_id"] == "model.tessera_integration_tests.fct_orders"
    # every test's audit row, the bad model's own tests included, with its asset
    tests = _tests_run(project)
    audit = project.query("select asset, test_unique_id from {state}.tessera_audit_log")
    assert len(audit) == len(tests) > 30 and {row[1] for row in audit} == tests
    by_asset = Counter(row[0] for row in audit)
    assert len([a for a in by_asset if a]) >= 10
    assert any(a.endswith(".fct_orders") for a in by_asset), "its own tests still audited"
    status = dict(project.query("select asset, current_version from "
                                "{state}.tessera_contract_status"))
    assert len(status) == 11

    # strict: the same asset fails the run, after everything else is recorded
    with project.settings(strict=True):
        strict = project.run("build", expect_success=False)
    assert not strict.success
    assert "on-run-end failed (strict): 1 asset(s) with an invalid config" in str(
        strict.result) + " ".join(strict.messages) + str(strict.exception)
    runs = _audit_by_invocation(project)
    assert len(runs) == 2 and set(runs.values()) == {len(tests)}, "the strict run audited all"
    assert len(_per_asset(project, "asset_error")) == 1
    assert project.query("select count(*) from {state}.tessera_events "
                         "where event_type = 'asset_error'") == [(2,)], "one per invocation"
    again = project.run("build")
    assert project.query("select count(*) from {state}.tessera_events "
                         "where event_type = 'asset_error'") == [(3,)]
    assert _per_asset(project, "contract_published") == published, "nothing re-published"
    assert len([m for m in again.messages if m.startswith("tessera: ERROR")]) == 1


@pytest.mark.dbt
def test_check_and_the_gate_judge_every_other_asset(request, tmp_path, capsys):
    project = clone_built(request, tmp_path, "duckdb")
    # the change: one asset's config breaks, another changes compatibly
    project.edit("models/commerce/fct_orders.yml", *BAD_COMPATIBILITY)
    project.edit("models/staging/stg_products.yml", "      - name: updated_at\n",
                 "      - name: launched_at\n        data_type: date\n"
                 "      - name: updated_at\n")
    project.edit("models/staging/stg_products.sql", "        cast(updated_at as timestamp)",
                 "        cast(null as date) as launched_at,\n"
                 "        cast(updated_at as timestamp)")
    project.run("parse")
    code, out, err = _tessera(project, capsys, "check", "--manifest", str(project.manifest),
                              "--state-from-warehouse", "--target", "duckdb",
                              "--profiles-dir", str(project.path), "--format", "json")
    assert code == 2, (out, err)
    payload = json.loads(out)
    assert not payload["passed"]
    assert [e["unique_id"] for e in payload["errors"]] == [
        "model.tessera_integration_tests.fct_orders"]
    assets = _by_name(payload)
    assert "fct_orders" not in assets, "a broken config is an error, never `removed`"
    assert assets["stg_products"]["status"] == "compatible"
    assert len(assets) == UNDER_CONTRACT - 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "fct_orders" in lines[0] and "use one of:" in lines[0]

    code, text, _ = _tessera(project, capsys, "check", "--manifest", str(project.manifest),
                             "--state-from-warehouse", "--target", "duckdb",
                             "--profiles-dir", str(project.path))
    assert code == 2 and "FAIL: 1 asset(s) with an invalid config" in text
    assert "stg_products" in text

    with project.settings(gate="warn"):
        warned = project.run("build", "--select", "fct_orders", "stg_products")
    gate = [m for m in warned.messages if m.startswith("tessera: WARNING (gate)")]
    assert len(gate) == 1 and "fct_orders" in gate[0] and "sideways" in gate[0]
    assert any("published" in m and "stg_products 1.1.0" in m for m in warned.messages)
    errors = project.query("select asset, current_version, last_error from "
                           "{state}.tessera_contract_status where last_error is not null")
    assert len(errors) == 1 and errors[0][0].endswith(".fct_orders"), errors
    assert errors[0][1] == "1.0.0" and "compatibility is 'sideways'" in errors[0][2]
    with project.settings(gate="block"):
        blocked = project.run("build", "--select", "fct_orders", expect_success=False)
    assert not blocked.success and "sideways" in str(blocked.exception) + str(blocked.result)


RISK = ("      tessera:\n        compatibility: forward\n",
        "      tessera:\n        compatibility: forward\n        consumers:\n"
        "          - team: risk\n            purpose: credit limits\n")
RETYPE = ("      - name: product_id\n        data_type: integer\n",
          "      - name: product_id\n        data_type: varchar\n")


def _propose(project, capsys, args):
    capsys.readouterr()
    project.run("run-operation", "tessera.propose", "--args", args)
    return capsys.readouterr().out


@pytest.mark.dbt
def test_dropping_a_consumer_in_a_breaking_change_still_asks_it(tmp_path, capsys):
    project = copy_project(tmp_path, "duckdb", deps=True)
    # risk is a team the project declares (a dbt group): the team registry accepts it
    project.edit("models/_groups.yml", "  - name: ml\n", "  - name: risk\n    owner:\n"
                 "      name: risk\n      email: risk@example.com\n  - name: ml\n")
    project.edit("models/commerce/dim_products.yml", *RISK)
    project.run("build", "--select", "+dim_products", "tessera", "--indirect-selection",
                "cautious")
    assert project.query("select team, source from {state}.tessera_consumers "
                         "where asset like '%.dim_products'") == [("risk", "declared")]

    # one change: the consumer that would object is removed, and product_id is retyped (in
    # the SQL, which the warehouse serves, and in the YAML)
    project.edit("models/commerce/dim_products.yml", *(reversed(RISK)))
    project.edit("models/commerce/dim_products.yml", *RETYPE)
    project.edit("models/commerce/dim_products.sql", "        products.product_id,\n",
                 "        cast(products.product_id as varchar) as product_id,\n")
    project.run("parse")

    def check():
        code, out, err = _tessera(project, capsys, "check", "--manifest",
                                  str(project.manifest), "--state-from-warehouse",
                                  "--target", "duckdb", "--profiles-dir", str(project.path),
                                  "--format", "json")
        return code, _by_name(json.loads(out))["dim_products"]

    code, products = check()
    assert code == 1 and products["status"] == "breaking-unproposed"
    assert [a["team"] for a in products["affected_consumers"]] == ["risk"]

    out = _propose(project, capsys, "{model: dim_products}")
    assert "required acknowledgments: risk (waiting)" in out, out
    assert "approved at once" not in out
    pid = re.search(r"\b(p_[0-9a-f]{16})\b", out).group(1)
    assert project.query("select team from {state}.tessera_events where event_type = "
                         f"'proposal_required' and proposal_id = '{pid}'") == [("risk",)]

    code, products = check()
    assert code == 1 and products["status"] == "breaking-pending"
    assert products["proposal"]["required"] == ["risk"] == [
        a["team"] for a in products["affected_consumers"]], "check and propose agree"
    build = project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    assert any("dim_products changed in a breaking way" in m for m in build.messages)
    assert project.query("select version from {state}.tessera_contracts "
                         "where is_current and asset like '%.dim_products'") == [("1.0.0",)]

    project.run("run-operation", "tessera.acknowledge", "--args",
                f"{{proposal_id: {pid}, team: risk, response: approved}}")
    code, products = check()
    assert code == 0 and products["status"] == "breaking-approved"
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    assert project.query("select version from {state}.tessera_contracts "
                         "where is_current and asset like '%.dim_products'") == [("2.0.0",)]
