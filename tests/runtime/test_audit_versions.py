"""Audit rows carry the contract version in force whatever the invocation (`dbt test`
builds nothing, yet its rows name the published version), and events name an actor even
on DuckDB, whose profiles have no user."""

from __future__ import annotations

import getpass

import pytest

from tests.conftest import copy_project


@pytest.mark.dbt
def test_dbt_test_rows_carry_the_version_and_events_an_actor(tmp_path):
    project = copy_project(tmp_path, "duckdb", deps=True)
    project.run("build")
    project.run("test")
    rows = project.query(
        "select invocation_id, count(*), count(contract_version) "
        "from {state}.tessera_audit_log where asset in "
        "(select asset from {state}.tessera_contracts) group by invocation_id")
    assert len(rows) == 2, rows  # the build and the test invocation
    assert all(total == versioned and total > 0 for _, total, versioned in rows), rows
    versions = project.query("select distinct contract_version from {state}.tessera_audit_log "
                             "where asset like '%.fct_orders'")
    assert versions == [("1.0.0",)]
    actors = project.query("select distinct actor from {state}.tessera_events")
    assert actors == [(getpass.getuser(),)]
