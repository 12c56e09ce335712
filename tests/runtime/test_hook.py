"""The on-run-end hook with the plain dbt CLI path (dbtRunner), on DuckDB and PostgreSQL:
publish on first build, nothing on an identical build, a minor after a compatible edit,
nothing (and a warning) after an unapproved breaking edit; audit rows for every test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import clone_built, copy_project

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
UNDER_CONTRACT = 12  # 11 models and versions plus the raw_orders source (integration_tests)

ADD_COLUMN_SQL = ("        cast(orders.updated_at as timestamp) as updated_at\n",
                  "        cast(orders.updated_at as timestamp) as updated_at,\n"
                  "        cast(null as varchar) as coupon_code\n")
ADD_COLUMN_YML = ("    columns:\n", "    columns:\n      - name: coupon_code\n"
                  "        data_type: varchar\n")
DROP_IS_PAID_YML = ("      - name: is_paid\n        data_type: boolean\n"
                    "        description: True when captured payments cover the order amount.\n",
                    "")
DROP_IS_PAID_SQL = ("""        cast(
            case
                when order_payments.paid_amount >= coalesce(order_items.amount, 0) then true
                else false
            end
            as boolean
        ) as is_paid,
""", "")


@pytest.fixture(params=TARGETS)
def project(request, tmp_path):
    return copy_project(tmp_path, request.param, deps=True)


def _versions(project):
    return dict(project.query(
        "select asset, version from {state}.tessera_contracts where is_current"))


def _executed_tests(project):
    results = json.loads(project.run_results.read_text())
    return {r["unique_id"] for r in results["results"] if r["unique_id"].startswith("test.")}


@pytest.mark.dbt
def test_publish_audit_and_the_change_story(project):
    first = project.run("build")
    versions = _versions(project)
    assert len(versions) == UNDER_CONTRACT
    assert set(versions.values()) == {"1.0.0"}
    assert any(m.startswith("tessera: published") and "fct_orders 1.0.0" in m
               for m in first.messages)
    tests = _executed_tests(project)
    audit = project.query("select test_unique_id, status, asset, guarantee "
                          "from {state}.tessera_audit_results")
    assert {row[0] for row in audit} == tests and len(audit) == len(tests)
    assert all(row[1] == "pass" for row in audit)
    by_test = {row[0]: row for row in audit}
    not_null = next(t for t in tests if t.startswith(
        "test.tessera_integration_tests.not_null_fct_orders_order_id"))
    assert by_test[not_null][3] == "nullability.order_id"
    assert by_test[not_null][2].endswith(".fct_orders")
    relationships = next(t for t in tests if ".relationships_fct_orders_customer_id" in t)
    assert by_test[relationships][2].endswith(".fct_orders"), "counted for the asset it is on"

    # an identical build: no new version, no duplicate audit row
    project.run("build")
    assert project.query("select count(*) from {state}.tessera_contracts") == [(UNDER_CONTRACT,)]
    counts = project.query("select invocation_id, count(*), count(distinct test_unique_id) "
                           "from {state}.tessera_audit_results group by invocation_id")
    assert len(counts) == 2 and all(n == len(tests) == d for _, n, d in counts)

    # a compatible change ships as a minor
    project.edit("models/commerce/fct_orders.sql", *ADD_COLUMN_SQL)
    project.edit("models/commerce/fct_orders.yml", *ADD_COLUMN_YML)
    minor = project.run("build", "--select", "fct_orders")
    orders = next(a for a in _versions(project) if a.endswith(".fct_orders"))
    assert _versions(project)[orders] == "1.1.0"
    assert any(f"published {orders} 1.1.0 (minor change)" in m for m in minor.messages)

    # an unapproved breaking change publishes nothing and says why
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    breaking = project.run("build", "--select", "fct_orders")
    assert _versions(project)[orders] == "1.1.0"
    warning = [m for m in breaking.messages if "WARNING" in m]
    assert warning and orders in warning[0] and "COLUMN_REMOVED at is_paid" in warning[0]
    assert "without an approved proposal" in warning[0] and "tessera.propose" in warning[0]
    recorded = project.query("select asset, status, payload from {state}.tessera_events "
                             "where event_type = 'change_unapproved'")
    assert [(r[0], r[1]) for r in recorded] == [(orders, "major")]
    assert json.loads(recorded[0][2])["changes"][0]["rule"] == "COLUMN_REMOVED"

    # ... and fails the run when the project asks for it
    with project.settings(fail_on_unapproved=True):
        strict = project.run("build", "--select", "fct_orders", "--indirect-selection",
                             "cautious", expect_success=False)
    assert not strict.success
    assert any("breaking change(s) without an approved proposal" in str(r.message)
               for r in strict.result.results), "reported as the hook's own error"


@pytest.mark.dbt
def test_hostile_names_and_values_round_trip_verbatim(project):
    project.run("build", "--select", "hostile_names+", "tessera")
    [(contract,)] = project.query("select contract from {state}.tessera_contracts "
                                  "where asset like '%hostile_names'")
    doc = json.loads(contract)
    assert doc["description"].startswith("O'Brien; Zoë 東京 -- a description")
    assert "it's; Zoë 東京" in doc["schema"]["properties"]
    assert doc["guarantees"]["nullability"] == {"it's; Zoë 東京": "never"}
    [(test_name, guarantee)] = project.query(
        "select test_name, guarantee from {state}.tessera_audit_results")
    assert test_name == "not_null_hostile_it's;Zoë_東京"
    assert guarantee == "nullability.it's; Zoë 東京"


@pytest.mark.dbt
def test_calling_the_hook_twice_records_once(project):
    """The user's own on-run-end may call tessera.on_run_end(results) as well."""
    project.edit("dbt_project.yml", "vars:\n",
                 'on-run-end:\n  - "{{ tessera.on_run_end(results) }}"\n\nvars:\n')
    project.run("build", "--select", "+fct_orders", "--indirect-selection", "cautious")
    events = project.query(
        "select count(*), count(distinct event_id) from {state}.tessera_events")
    audit = project.query(
        "select count(*), count(distinct audit_id) from {state}.tessera_audit_log")
    assert events[0][0] == events[0][1] > 0 and audit[0][0] == audit[0][1] > 0


@pytest.mark.dbt
def test_hook_fails_soft_unless_strict(project):
    project.run("build", "--select", "+fct_orders", "--indirect-selection", "cautious")
    # Break the audit log for real: the hook's events insert succeeds, its audit insert
    # fails, and the transaction must take the events back with it.
    project.run("run-operation", "tessera_it_break_state")
    project.edit("models/commerce/fct_orders.sql", *ADD_COLUMN_SQL)
    project.edit("models/commerce/fct_orders.yml", *ADD_COLUMN_YML)
    events = project.query("select count(*) from {state}.tessera_events")
    soft = project.run("build", "--select", "fct_orders", "--exclude", "tessera",
                       "--indirect-selection", "cautious")
    assert soft.success, "an error in the hook must not turn a green build red"
    assert project.query("select count(*) from {state}.tessera_events") == events, \
        "nothing written half-way"
    error = [m for m in soft.messages if "tessera: ERROR in on-run-end" in m]
    assert error and "nothing was recorded" in error[0] and "\n" not in error[0]
    with project.settings(strict=True):
        strict = project.run("build", "--select", "fct_orders", "--exclude", "tessera",
                             "--indirect-selection", "cautious", expect_success=False)
    assert not strict.success


@pytest.mark.dbt
def test_hook_is_off_when_disabled_and_never_runs_at_parse(project):
    project.run("parse")
    with project.settings(enabled=False):
        project.run("build", "--select", "+fct_orders", "--indirect-selection", "cautious",
                    "--exclude", "tessera")
    assert project.query("select count(*) from information_schema.tables "
                         "where table_schema = '{state}'") == [(0,)]


@pytest.mark.dbt
def test_publish_targets_keep_dev_builds_out_of_production_state(project):
    with project.settings(publish_targets=["prod"]):
        project.run("build", "--select", "+fct_orders", "tessera", "--indirect-selection",
                    "cautious")
    assert project.query("select count(*) from {state}.tessera_contracts") == [(0,)]
    assert project.query("select count(*) from {state}.tessera_audit_results")[0][0] > 0


@pytest.mark.dbt
@pytest.mark.postgres
def test_two_concurrent_invocations_lose_no_event(request, tmp_path):
    project = clone_built(request, tmp_path, "postgres")
    tests = _executed_tests(project)
    env = {**__import__("os").environ, **project.env}
    command = [sys.executable, "-c", "from dbt.cli.main import cli; cli()", "test",
               "--project-dir", str(project.path), "--profiles-dir", str(project.path),
               "--target", "postgres"]
    procs = [subprocess.Popen([*command, "--target-path", f"target_{i}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    counts = project.query("select invocation_id, count(distinct test_unique_id) "
                           "from {state}.tessera_audit_results group by invocation_id")
    assert len(counts) == 3 and all(n == len(tests) for _, n in counts)


@pytest.mark.dbt
def test_without_the_python_package_the_hook_warns_in_one_line(tmp_path):
    """dbt without the tessera plugin (as when only the dbt package is installed) keeps its
    own result: one warning naming the install line (tests/runtime/test_without_python.py has the
    other commands, strict, and a plugin that cannot import the brain)."""
    import os

    project = copy_project(tmp_path, "duckdb", deps=True)
    hide_plugin = ("import dbt.plugins.manager as manager\n"
                   "manager.PluginManager.get_prefixed_modules = classmethod(lambda cls: {})\n"
                   "from dbt.cli.main import cli\ncli()\n")
    done = subprocess.run(
        [sys.executable, "-c", hide_plugin, "build", "--select", "hostile_names",
         "--project-dir", str(project.path), "--profiles-dir", str(project.path)],
        env={**os.environ, **project.env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    lines = [ln for ln in done.stdout.splitlines()
             if "python -m pip install ./dbt_packages/tessera" in ln]
    assert len(lines) == 1, done.stdout[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
