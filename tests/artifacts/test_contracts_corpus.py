"""Contract extraction over every manifest of the corpus, and the extraction rules on
small hand-made manifests."""

from __future__ import annotations

import json

import pytest

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.documents import validation_errors
from tessera_dbt.artifacts.nodes import asset_name, owner_of
from tessera_dbt.artifacts.readers import load_manifest
from tests.conftest import CORPUS, corpus_files, corpus_path

MANIFESTS = corpus_files("manifest")


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_manifest_yields_valid_documents(path):
    manifest = load_manifest(str(path))
    documents = extract_contracts(manifest, all_assets=True)
    assets = [n for n in manifest.nodes.values()
              if n.get("resource_type") in ("model", "seed", "snapshot")]
    assert len(documents) == len(assets) + len(manifest.sources) > 0
    for doc in documents:
        assert validation_errors(doc) == [], doc["asset"]
        assert doc["asset"] == doc["asset"].lower()
        json.dumps(doc)  # serialisable as is
    under_contract = extract_contracts(manifest)
    for doc in under_contract:
        assert validation_errors(doc) == []


def test_enforced_contracts_of_the_failing_jaffle_shop(corpus):
    manifest = load_manifest(
        str(corpus_path("generated/jaffle_shop_duckdb_dbt1.11/manifest_failing.json")))
    documents = {d["x-dbt"]["name"]: d for d in extract_contracts(manifest)}
    assert set(documents) == {"customer_contract_ok", "customer_contract_broken"}
    ok = documents["customer_contract_ok"]
    assert ok["asset"] == "jaffle_shop_duckdb_failing.main.customer_contract_ok"
    assert ok["dialect"] == "duckdb"
    props = ok["schema"]["properties"]
    assert list(props) == ["customer_id", "first_name", "last_name", "number_of_orders"]
    assert props["customer_id"] == {"type": "integer", "x-data-type": "integer"}
    assert props["number_of_orders"]["type"] == ["integer", "null"]
    assert ok["schema"]["required"] == ["customer_id"]
    g = ok["guarantees"]
    assert g["nullability"] == {"customer_id": "never"}
    assert {"type": "unique", "column": "customer_id"} in g["custom"]
    assert {"type": "primary_key", "column": "customer_id"} in g["custom"]
    assert {"type": "not_null", "column": "number_of_orders", "severity": "warn"} in g["custom"]
    assert ok["x-tests"]["nullability.customer_id"][0].startswith("test.jaffle_shop.not_null_")


def test_tuva_extracts_every_model(corpus):
    manifest = load_manifest(
        str(corpus_path("generated/tuva_integration_tests_dbt1.11/manifest.json")))
    documents = extract_contracts(manifest, all_assets=True)
    models = [d for d in documents if d["x-dbt"]["resource_type"] == "model"]
    assert len(models) >= 700
    with_guarantees = [d for d in documents if d["guarantees"]]
    assert len(with_guarantees) > 50
    # namespaced generic tests (dbt_expectations, dbt_utils) keep their namespace
    kinds = {g["type"] for d in documents for g in d["guarantees"].get("custom", ())}
    assert any(k.startswith(("dbt_utils.", "dbt_expectations.")) for k in kinds), kinds


def test_old_manifest_relationships_attach_to_the_tested_model(corpus):
    """Before dbt 1.5 there is no attached_node: the tested model is the test's `model` kwarg."""
    manifest = load_manifest(
        str(corpus_path("dbt-artifacts-parser/manifest/v4/jaffle_shop/manifest.json")))
    documents = {d["x-dbt"]["name"]: d for d in extract_contracts(manifest, all_assets=True)}
    orders = documents["orders"]["guarantees"]["custom"]
    rel = [g for g in orders if g["type"] == "relationships"]
    assert rel == [{"type": "relationships", "column": "customer_id", "to": "customers",
                    "field": "customer_id"}]
    assert documents["orders"]["guarantees"]["accepted_values"]["status"] == [
        "placed", "shipped", "completed", "return_pending", "returned"]


def test_asset_names():
    assert asset_name({"relation_name": '"Analytics"."Core"."FCT_Orders"'}) == \
        "analytics.core.fct_orders"
    assert asset_name({"relation_name": "`proj`.`ds`.`tbl`"}) == "proj.ds.tbl"
    assert asset_name({"relation_name": '"db"."we.ird"."t"'}) == "db.we.ird.t"
    assert asset_name({"database": None, "schema": "sch", "alias": "t"}) == "sch.t"
    assert asset_name({"database": "DB", "schema": "S", "identifier": "raw_orders",
                       "name": "orders"}) == "db.s.raw_orders"


def test_owner_fallbacks():
    groups = {"group.p.finance": {"name": "finance", "owner": {"name": "Finance Team"}}}
    assert owner_of({"config": {"meta": {"tessera": {"owner": "commerce"}}},
                     "group": "finance"}, groups) == "commerce"
    assert owner_of({"meta": {"tessera": {"owner": "commerce"}}}, groups) == "commerce"
    assert owner_of({"config": {"group": "finance"}, "meta": {"owner": "x"}}, groups) == \
        "Finance Team"
    assert owner_of({"meta": {"owner": "ops"}}, groups) == "ops"
    assert owner_of({"config": {"meta": {"owner": {"email": "a@b.c"}}}}, groups) == "a@b.c"
    assert owner_of({}, groups) is None


def _manifest(tmp_path, nodes, exposures=None, name="manifest.json", project="shop"):
    doc = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.11.0", "adapter_type": "postgres", "project_name": project},
        "nodes": nodes, "sources": {}, "exposures": exposures or {}, "groups": {},
    }
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return load_manifest(str(path))


def _model(name, owner, parents=(), package="shop", contract=True, **extra):
    meta = {"tessera": {"owner": owner}} if contract else {"owner": owner}
    return {
        "unique_id": f"model.{package}.{name}", "resource_type": "model", "name": name,
        "package_name": package, "database": "db", "schema": "s", "alias": name,
        "config": {"meta": meta},
        "depends_on": {"nodes": list(parents)}, "columns": {}, **extra,
    }


def test_consumers_from_downstream_exposures_and_other_projects(tmp_path):
    nodes = {
        "model.shop.orders": _model("orders", "commerce", access="public"),
        "model.shop.orders_enriched": _model("orders_enriched", "commerce",
                                             ["model.shop.orders"], contract=False),
        "model.shop.orders_contracted": _model("orders_contracted", "commerce",
                                               ["model.shop.orders"]),
        "model.shop.ops_view": _model("ops_view", "ops", ["model.shop.orders_contracted"]),
        "model.shop.revenue": _model("revenue", "finance", ["model.shop.orders_enriched"]),
        "model.shop.revenue_rollup": _model("revenue_rollup", "exec", ["model.shop.revenue"]),
    }
    exposures = {"exposure.shop.dash": {"unique_id": "exposure.shop.dash", "name": "dash",
                                        "owner": {"name": "marketing"},
                                        "depends_on": {"nodes": ["model.shop.orders"]}}}
    manifest = _manifest(tmp_path, nodes, exposures)
    other = _manifest(tmp_path, {
        "model.shop.orders": _model("orders", "commerce", access="public"),
        "model.crm.churn": _model("churn", "crm_team", ["model.shop.orders"], package="crm"),
    }, name="other.json", project="crm")
    docs = {d["x-dbt"]["name"]: d
            for d in extract_contracts(manifest, consumer_manifests=[other], all_assets=True)}
    consumers = docs["orders"]["consumers"]
    assert consumers == [
        {"team": "crm_team", "source": "project", "project": "crm", "via": ["model.crm.churn"]},
        {"team": "finance", "source": "downstream", "via": ["revenue"]},
        {"team": "marketing", "source": "exposure", "via": ["dash"]},
    ], ("exec reads finance's model, so finance owns that interface; ops reads a contracted "
        "commerce model, whose own contract is the interface; commerce is never its own consumer")
    assert [c["team"] for c in docs["orders_contracted"]["consumers"]] == ["ops"]
