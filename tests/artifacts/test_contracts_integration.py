"""integration_tests built with real dbt, then its contracts checked against its YAML."""

from __future__ import annotations

import json

import pytest

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.documents import validation_errors
from tessera_dbt.artifacts.readers import load_manifest
from tests.conftest import clone_built


@pytest.fixture(scope="module")
def built_postgres(request, tmp_path_factory):
    return clone_built(request, tmp_path_factory.mktemp("it_postgres"), "postgres")


def _documents(project):
    return {_name(d): d for d in extract_contracts(load_manifest(str(project.manifest)))}


def _name(doc):
    dbt = doc["x-dbt"]
    if dbt["resource_type"] == "source":
        return "source:" + dbt["name"]
    return f"{dbt['name']}.v{dbt['model_version']}" if "model_version" in dbt else dbt["name"]


def _check_integration_contracts(project, dialect):
    docs = _documents(project)
    assert set(docs) == {
        "source:raw_orders", "stg_customers", "stg_orders", "stg_order_items", "stg_products",
        "stg_payments", "fct_orders", "dim_customers", "fct_payments.v1", "fct_payments.v2",
        "dim_products", "hostile_names",
    }
    for doc in docs.values():
        assert validation_errors(doc) == [], doc["asset"]
        assert doc["dialect"] == dialect

    orders = docs["fct_orders"]
    assert orders["asset"].endswith(".fct_orders") and orders["asset"].count(".") == 2
    assert orders["owner"] == "commerce" and orders["compatibility"] == "backward"
    props = orders["schema"]["properties"]
    assert list(props) == ["order_id", "customer_id", "order_date", "status", "item_count",
                           "amount", "is_paid", "updated_at"]
    assert props["order_id"] == {"type": "integer", "x-data-type": "integer"}
    assert props["amount"]["x-data-type"] == "numeric(12,2)"
    assert props["amount"]["type"] == "number"  # not_null test: required
    assert props["order_date"]["format"] == "date"
    assert props["updated_at"] == {"type": ["string", "null"], "format": "date-time",
                                   "x-data-type": "timestamp"}
    assert props["status"]["description"].startswith("placed")
    assert orders["schema"]["required"] == ["order_id", "customer_id", "order_date", "amount"]
    g = orders["guarantees"]
    assert g["nullability"] == {"order_id": "never", "customer_id": "never",
                                "order_date": "never", "amount": "never"}
    assert g["accepted_values"] == {"status": ["placed", "shipped", "completed", "returned"]}
    assert g["freshness"] == {"warn_after": {"count": 12, "period": "hour"}}
    custom = {(c["type"], c.get("column") or c.get("name")): c for c in g["custom"]}
    assert custom[("unique", "order_id")] == {"type": "unique", "column": "order_id"}
    assert custom[("primary_key", "order_id")] == {"type": "primary_key", "column": "order_id"}
    assert custom[("relationships", "customer_id")] == {
        "type": "relationships", "column": "customer_id", "to": "dim_customers",
        "field": "customer_id"}
    assert custom[("check", "fct_orders_amount_non_negative")]["expression"] == "amount >= 0"
    between = custom[("tessera_test_utils.expect_column_values_to_be_between", "amount")]
    assert between["kwargs"] == {"min_value": 0, "max_value": 10000}
    model_level = [c for c in g["custom"] if c["type"] == "tessera_test_utils.expression_is_true"]
    assert model_level[0]["kwargs"] == {"expression": "item_count > 0 or amount = 0"}
    # every guarantee backed by a test records that test for write-audit-publish
    assert set(orders["x-tests"]) >= {"nullability.order_id", "unique.order_id",
                                      "accepted_values.status", "relationships.customer_id"}
    assert {(c["team"], c["source"], tuple(c.get("via", ()))) for c in orders["consumers"]} == {
        ("finance", "declared", ()), ("finance", "downstream", ("finance_revenue",)),
        ("marketing", "downstream", ("marketing_customer_ltv",)),
        ("data_platform", "exposure", ("order_sync_service",))}
    finance = [c for c in orders["consumers"] if c["team"] == "finance"][0]
    assert finance["purpose"] == "revenue reporting"

    customers = docs["dim_customers"]
    assert customers["owner"] == "commerce"  # from its group
    assert customers["x-dbt"]["access"] == "public"
    cg = customers["guarantees"]
    assert {"type": "not_null", "column": "email", "severity": "warn"} in cg["custom"]
    assert {"type": "not_null", "column": "first_order_date",
            "where": "lifetime_orders > 0"} in cg["custom"]
    assert "email" not in customers["schema"]["required"], "advisory tests promise nothing"
    assert {c["team"] for c in customers["consumers"]} == {"marketing"}

    v1, v2 = docs["fct_payments.v1"], docs["fct_payments.v2"]
    assert v1["asset"] != v2["asset"] and v2["x-dbt"]["latest_version"] == 2
    assert v1["schema"]["properties"]["payment_id"]["x-data-type"] == "integer"
    assert v2["schema"]["properties"]["payment_id"]["x-data-type"] == "bigint"
    assert "payment_method" in v1["schema"]["properties"]
    assert "method" in v2["schema"]["properties"]
    assert v2["compatibility"] == "backward_transitive"
    assert any(c["type"] == "singular" and "amount" in c["sql"]
               for c in v2["guarantees"]["custom"])
    assert {c["team"] for c in v1["consumers"]} == {"data_platform"}
    assert {c["team"] for c in v2["consumers"]} == {"finance"}

    products = docs["dim_products"]
    assert products["owner"] == "commerce"  # top-level meta.owner
    assert products["compatibility"] == "forward"
    product_name = products["schema"]["properties"]["product_name"]
    assert "type" not in product_name and "x-data-type" not in product_name, \
        "no data_type: still listed, untyped"

    source = docs["source:raw_orders"]
    assert source["owner"] == "data_platform"
    assert source["guarantees"]["freshness"]["loaded_at_field"] == "updated_at"
    assert source["guarantees"]["freshness"]["error_after"] == {"count": 24, "period": "hour"}

    staging = docs["stg_order_items"]
    assert staging["owner"] == "data_platform"
    quantity = [c for c in staging["guarantees"].get("custom", [])
                if c["type"] == "accepted_values"]
    assert quantity and quantity[0]["quote"] is False


@pytest.mark.dbt
def test_contracts_of_integration_tests_on_duckdb(built_duckdb):
    _check_integration_contracts(built_duckdb, "duckdb")


@pytest.mark.dbt
@pytest.mark.postgres
def test_contracts_of_integration_tests_on_postgres(built_postgres):
    _check_integration_contracts(built_postgres, "postgres")


@pytest.mark.dbt
def test_cli_contracts_text_and_json(built_duckdb, cli):
    text = cli("contracts", "--manifest", built_duckdb.manifest).out
    assert "12 contract(s)" in text
    line = [ln for ln in text.splitlines() if ln.startswith("fct_orders ")][0]
    assert "commerce" in line and "backward" in line and "data_platform, finance, marketing" in line
    payload = json.loads(cli("contracts", "--manifest", built_duckdb.manifest, "--format", "json",
                             "--select", "fct_payments.v1").out)
    assert [d["x-dbt"]["name"] for d in payload] == ["fct_payments"]
    missing = cli("contracts", "--manifest", built_duckdb.manifest, "--select", "nope", expect=2)
    assert "--select nope: no such model" in missing.err


@pytest.mark.dbt
def test_consumer_manifest_adds_project_consumers(built_duckdb, tmp_path, cli):
    """Another project refs the public dim_customers: its owner becomes a consumer."""
    manifest = json.loads(built_duckdb.manifest.read_text())
    other = {
        "metadata": {**manifest["metadata"], "project_name": "crm"},
        "nodes": {"model.crm.churn_scores": {
            "unique_id": "model.crm.churn_scores", "resource_type": "model",
            "name": "churn_scores", "package_name": "crm",
            "config": {"meta": {"tessera": {"owner": "crm_team"}}},
            "depends_on": {"nodes": ["model.tessera_integration_tests.dim_customers"]}}},
        "sources": {}, "exposures": {}, "groups": {},
    }
    path = tmp_path / "crm_manifest.json"
    path.write_text(json.dumps(other))
    out = cli("contracts", "--manifest", built_duckdb.manifest, "--select", "dim_customers",
              "--consumer-manifest", path, "--format", "json").out
    consumers = json.loads(out)[0]["consumers"]
    assert {"team": "crm_team", "source": "project", "project": "crm",
            "via": ["model.crm.churn_scores"]} in consumers
