"""Nothing one value can sink (issue 26): a test whose failure count passes 2^31 is
recorded with every other audit row and publication of its build, on a fresh state and on
a state an older release created with a 32-bit `failures` column (widened in place), on
DuckDB and PostgreSQL; where a value does not fit (a column the warehouse cannot widen),
that row alone is recorded without it, with why."""

from __future__ import annotations

import json

import pytest

from tessera_dbt.state.audit import fit_to_columns
from tests.conftest import copy_project

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
HUGE = 3_000_000_000
HUGE_TEST = ("{{ config(fail_calc='sum(n)', severity='warn') }}\n"
             f"select cast({HUGE} as bigint) as n\n")


def test_a_value_the_column_cannot_hold_is_that_rows_problem():
    rows = [{"audit_id": "a", "failures": HUGE, "message": "Got 1 result"},
            {"audit_id": "b", "failures": 3, "message": None}]
    narrow = fit_to_columns(rows, "integer")
    assert narrow[0]["failures"] is None
    assert narrow[0]["message"].startswith(f"failures {HUGE} does not fit the 32-bit")
    assert narrow[1] == rows[1]
    assert fit_to_columns(rows, "bigint") == rows
    assert fit_to_columns([{"failures": 2 ** 63, "message": ""}], "BIGINT")[0]["failures"] \
        is None


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_two_billion_failures_are_recorded_with_the_rest_of_the_build(target, tmp_path):
    project = copy_project(tmp_path, target, deps=True)
    (project.path / "tests" / "assert_huge_failure_count.sql").write_text(HUGE_TEST)
    # dbt 1.11 itself cannot log a count past 2^31 (its event's int32): that test node
    # errors in dbt's own report, without its count; the hook records it with the rest
    project.run("build", expect_success=False)
    assert _status(project) == ["error"]
    published = _published(project)
    assert published >= 10

    assert _failures_type(project) == "bigint", "a fresh state: 64-bit"

    # a state table from an older release: failures was a 32-bit integer
    audit = f"{project.state_schema}.tessera_audit_log"
    if project.target == "postgres":  # a view reads the column, as the package's do
        _execute(project, f"drop view {project.state_schema}.stg_tessera__audit_log cascade; "
                          f"alter table {audit} alter column failures type integer; "
                          f"create view {project.state_schema}.stg_tessera__audit_log as "
                          f"select * from {audit}")
    else:
        _execute(project, f"alter table {audit} alter column failures type integer")
    assert _failures_type(project) == "integer"
    project.run("build", expect_success=False)
    assert _failures_type(project) == "bigint", "widened by the tessera_state materialization"

    # the count itself, as a run_results.json of another invocation holds it
    _ingest(project, tmp_path, "inv-huge")
    assert _huge(project) == HUGE
    assert _published(project) == published


def _failures_type(project) -> str:
    return project.query("select data_type from information_schema.columns where "
                         f"table_schema = '{project.state_schema}' and table_name = "
                         "'tessera_audit_log' and column_name = 'failures'")[0][0].lower()


def _ingest(project, tmp_path, invocation_id: str) -> None:
    results = json.loads(project.run_results.read_text())
    results["metadata"]["invocation_id"] = invocation_id
    for result in results["results"]:
        if result["unique_id"].endswith("assert_huge_failure_count"):
            result.update(status="warn", failures=HUGE, message=f"Got {HUGE} results")
    path = tmp_path / f"{invocation_id}.json"
    path.write_text(json.dumps(results))
    project.run("run-operation", "tessera.audit_ingest", "--args",
                json.dumps({"run_results": [str(path)]}))


def _status(project) -> list[str]:
    return [r[0] for r in project.query(
        "select status from {state}.tessera_audit_log "
        "where test_name like 'assert_huge_failure_count%'")]


def _huge(project) -> int:
    return project.query("select max(failures) from {state}.tessera_audit_log "
                         "where test_name like 'assert_huge_failure_count%'")[0][0]


def _published(project) -> int:
    return project.query("select count(*) from {state}.tessera_events "
                         "where event_type = 'contract_published'")[0][0]


def _execute(project, sql: str) -> None:
    project.execute(sql)
