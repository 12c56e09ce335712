"""`tessera impact` and the operations through the `tessera` CLI (which runs dbt's own
run-operation: one code path)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.dbt
def test_impact_lists_downstream_with_depth_and_owners(built_duckdb, cli):
    out = cli("impact", "fct_orders", "--manifest", built_duckdb.manifest).out
    assert "teams: commerce, data_platform, finance, marketing" in out
    payload = json.loads(cli("impact", "fct_orders", "--manifest", built_duckdb.manifest,
                             "--format", "json").out)
    rows = {(d["name"], d["depth"], d["owner"]) for d in payload["downstream"]}
    assert ("finance_revenue", 1, "finance") in rows
    assert ("order_sync_service", 1, "data_platform") in rows
    assert ("customer_ltv_dashboard", 2, "marketing") in rows, "transitive, with its depth"
    missing = cli("impact", "nope", "--manifest", built_duckdb.manifest, expect=2)
    assert "model 'nope': no such model" in missing.err


@pytest.mark.dbt
def test_operations_through_the_cli(built_duckdb, cli, monkeypatch):
    for key, value in built_duckdb.env.items():
        monkeypatch.setenv(key, value)
    where = ("--project-dir", built_duckdb.path, "--profiles-dir", built_duckdb.path,
             "--target", "duckdb")
    out = cli("status", "--model", "fct_orders", *where).out
    assert "fct_orders: 1.0.0" in out
    cli("register", "--model", "dim_products", "--team", "ml", *where)
    assert cli("acknowledge", "--proposal-id", "p_0", "--team", "x", "--response",
               "approved", *where, expect=2).code == 2
    assert cli("propose", *where, expect=2).code == 2, "--model is required"
