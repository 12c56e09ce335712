"""Semantic models, metrics and saved queries are consumers of the model they are built on:
found with their teams, listed by `tessera impact`, and asked only about the columns they
read. On a trimmed real dbt 1.12 manifest of jaffle-shop (tests/fixtures/semantic,
PROVENANCE.md), the full one when the shared corpus is here, and older dbt's shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.readers import Manifest, load_manifest, manifest_from_graph
from tessera_dbt.lineage.consumers import affected_consumers
from tessera_dbt.lineage.impact import column_reads, downstream
from tests.conftest import corpus_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "semantic" / "manifest.json"
ORDERS = "model.jaffle_shop.orders"
SEMANTIC_ORDERS = "semantic_model.jaffle_shop.orders"
# what the `orders` semantic model names: entities, then dimensions (`expr` else the name)
SEMANTIC_COLUMNS = {"order_id", "customer_id", "location_id", "order_total", "ordered_at",
                    "is_food_order", "is_drink_order", "customer_order_number"}


def fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def write(doc: dict[str, Any], tmp_path: Path) -> Manifest:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc))
    return load_manifest(str(path))


def with_teams(doc: dict[str, Any]) -> dict[str, Any]:
    """The fixture declares no teams: give `orders` an owner and the semantic layer the
    three ways a node names its team (meta.tessera.owner, a group, meta.owner); the
    semantic model and the other metrics have none, so they are the owner's own."""
    doc["nodes"][ORDERS]["config"]["meta"] = {"tessera": {"owner": "commerce"}}
    doc["groups"] = {"group.jaffle_shop.revenue": {
        "name": "revenue", "resource_type": "group", "package_name": "jaffle_shop",
        "unique_id": "group.jaffle_shop.revenue", "owner": {"name": "finance"}}}
    metrics = doc["metrics"]
    metrics["metric.jaffle_shop.order_total"]["config"]["group"] = "revenue"
    metrics["metric.jaffle_shop.order_total"]["group"] = "revenue"
    metrics["metric.jaffle_shop.tax_paid"]["config"]["meta"] = {"tessera": {"owner": "tax"}}
    metrics["metric.jaffle_shop.order_cost"]["meta"] = {"owner": "ops"}
    doc["saved_queries"]["saved_query.jaffle_shop.order_metrics"]["config"]["meta"] = {
        "tessera": {"owner": "marketing"}}
    return doc


@pytest.fixture
def teams(tmp_path: Path) -> Manifest:
    return write(with_teams(fixture()), tmp_path)


def test_the_manifest_holds_the_semantic_layer():
    manifest = load_manifest(str(FIXTURE))
    assert set(manifest.semantic_models) == {SEMANTIC_ORDERS}
    assert len(manifest.metrics) == 9 and len(manifest.saved_queries) == 1


def test_semantic_consumers_with_their_teams_and_via_paths(teams):
    document = extract_contracts(teams, select=["orders"])[0]
    assert document["owner"] == "commerce"
    assert document["consumers"] == [
        {"team": "finance", "source": "downstream", "via": ["metric.jaffle_shop.order_total"]},
        {"team": "marketing", "source": "downstream",
         "via": ["saved_query.jaffle_shop.order_metrics"]},
        {"team": "ops", "source": "downstream", "via": ["metric.jaffle_shop.order_cost"]},
        {"team": "tax", "source": "downstream", "via": ["metric.jaffle_shop.tax_paid"]},
    ], "the semantic model and the unowned metrics are commerce's own: walked through"


def test_another_teams_semantic_model_ends_the_walk(tmp_path):
    doc = with_teams(fixture())
    doc["semantic_models"][SEMANTIC_ORDERS]["config"]["meta"] = {
        "tessera": {"owner": "analytics"}}
    document = extract_contracts(write(doc, tmp_path), select=["orders"])[0]
    assert document["consumers"] == [
        {"team": "analytics", "source": "downstream", "via": [SEMANTIC_ORDERS]}]


def test_only_the_teams_that_read_a_changed_column_are_affected(teams):
    def affected(*changed: str) -> dict[str, bool]:
        return {c.team: c.affected for c in affected_consumers(teams, ORDERS, None, changed)}

    assert affected("tax_paid") == {"finance": False, "marketing": False, "ops": False,
                                    "tax": True}, "only the tax_paid metric aggregates it"
    assert affected("order_cost") == {"finance": False, "marketing": False, "ops": True,
                                      "tax": False}
    assert set(affected("is_food_order").values()) == {True}, \
        "a dimension of the semantic model: every metric may be grouped by it"
    tax = next(c for c in affected_consumers(teams, ORDERS, None, ["tax_paid"])
               if c.team == "tax")
    assert tax.reasons == ("metric tax_paid reads orders.tax_paid (its aggregation)",)
    assert tax.via == ("metric.jaffle_shop.tax_paid",)
    finance = next(c for c in affected_consumers(teams, ORDERS, None, ["tax_paid"])
                   if c.team == "finance")
    assert finance.reasons == ("reads none of: tax_paid",)
    assert set(finance.columns) == SEMANTIC_COLUMNS


def test_impact_lists_the_semantic_layer_with_teams(teams):
    rows = {(i.name, i.resource_type): (i.depth, i.owner, i.via)
            for i in downstream(teams, ORDERS)}
    assert rows == {
        ("customers", "model"): (1, None, "orders"),
        ("orders", "semantic_model"): (1, "commerce", "orders"),
        ("order_total", "metric"): (2, "finance", "orders"),
        ("tax_paid", "metric"): (2, "tax", "orders"),
        ("order_cost", "metric"): (2, "ops", "orders"),
        ("orders", "metric"): (2, "commerce", "orders"),
        ("new_customer_orders", "metric"): (2, "commerce", "orders"),
        ("large_orders", "metric"): (2, "commerce", "orders"),
        ("food_orders", "metric"): (2, "commerce", "orders"),
        ("drink_orders", "metric"): (2, "commerce", "orders"),
        ("order_metrics", "saved_query"): (3, "marketing", "drink_orders"),
        # no team of its own: the first node it is built on that has one (order_cost)
        ("order_gross_profit", "metric"): (3, "ops", "order_cost"),
    }


def test_column_reads_of_semantic_nodes(teams):
    reads = column_reads(teams, ORDERS)
    semantic = reads[SEMANTIC_ORDERS]
    assert set(semantic.columns) == SEMANTIC_COLUMNS and not semantic.everything
    assert semantic.columns["order_total"] == [
        "semantic model orders reads orders.order_total (dimension order_total_dim)"]
    assert semantic.columns["customer_id"] == [
        "semantic model orders reads orders.customer_id (entity customer)"]
    tax_paid = reads["metric.jaffle_shop.tax_paid"]
    assert set(tax_paid.columns) == SEMANTIC_COLUMNS | {"tax_paid"}
    assert tax_paid.columns["ordered_at"] == [
        "metric tax_paid is built on semantic model orders, which reads orders.ordered_at"]
    assert set(reads["metric.jaffle_shop.orders"].columns) == SEMANTIC_COLUMNS, \
        "`expr: 1` counts rows and names no column"
    saved = reads["saved_query.jaffle_shop.order_metrics"]
    assert set(saved.columns) == SEMANTIC_COLUMNS | {"order_total"}
    assert "saved query order_metrics is built on metric order_total, which reads " \
           "orders.order_total" in saved.columns["order_total"]
    assert set(reads["metric.jaffle_shop.order_gross_profit"].columns) == \
        SEMANTIC_COLUMNS | {"order_cost"}, "a derived metric reads what its metrics read"
    assert reads["model.jaffle_shop.customers"].everything, "the trim dropped its SQL"


def test_an_exposure_on_a_metric_reads_what_the_metric_reads(tmp_path):
    doc = with_teams(fixture())
    uid = "exposure.jaffle_shop.orders_dashboard"
    doc["exposures"][uid] = {
        "name": "orders_dashboard", "resource_type": "exposure", "unique_id": uid,
        "type": "dashboard", "owner": {"name": "bi"},
        "depends_on": {"nodes": ["metric.jaffle_shop.orders"]}}
    del doc["child_map"]  # rebuilt from every section's depends_on
    manifest = write(doc, tmp_path)
    reads = column_reads(manifest, ORDERS)[uid]
    assert set(reads.columns) == SEMANTIC_COLUMNS and not reads.everything
    assert reads.columns["ordered_at"] == [
        "exposure orders_dashboard is built on metric orders, which reads orders.ordered_at"]
    bi = next(c for c in affected_consumers(manifest, ORDERS, None, ["tax_paid", "is_food_order"])
              if c.team == "bi")
    assert (bi.source, bi.via, bi.affected) == ("exposure", ("orders_dashboard",), True)


def test_an_expr_that_is_not_sql_reads_everything(tmp_path):
    doc = fixture()
    dimension = doc["semantic_models"][SEMANTIC_ORDERS]["dimensions"][1]
    dimension["expr"] = "{{ dbt.date_trunc('day', 'ordered_at') }}"
    reads = column_reads(write(doc, tmp_path), ORDERS)
    assert reads[SEMANTIC_ORDERS].everything == [
        "semantic model orders: the expr of its dimension ordered_at is not duckdb SQL "
        "sqlglot can read; counted as reading every column"]
    assert reads["metric.jaffle_shop.orders"].everything == [
        "metric orders is built on semantic model orders, which reads every column"]


def test_a_manifest_without_the_semantic_layer(tmp_path):
    doc = fixture()
    for key in ("semantic_models", "metrics", "saved_queries"):
        del doc[key]
    manifest = write(doc, tmp_path)
    assert manifest.semantic_models == manifest.metrics == manifest.saved_queries == {}
    assert [i.name for i in downstream(manifest, ORDERS)] == ["customers"]


def test_dbt_live_graph_without_child_map():
    """Inside dbt (the hook, propose) the manifest is built from dbt's `graph`, which has
    no child_map: the semantic layer's edges come from its depends_on."""
    doc = with_teams(fixture())
    graph = {k: doc[k] for k in ("nodes", "sources", "exposures", "groups",
                                 "semantic_models", "metrics", "saved_queries")}
    manifest = manifest_from_graph(graph, "jaffle_shop", "1.12.0", "duckdb")
    teams = {c["team"] for c in extract_contracts(manifest, select=["orders"])[0]["consumers"]}
    assert teams == {"finance", "marketing", "ops", "tax"}


def test_older_shapes_measures_and_legacy_metrics():
    v12 = load_manifest(str(corpus_path("dbt-core/state/v12/manifest.json")))
    reads = column_reads(v12, "model.test.my_model")
    assert reads["semantic_model.test.semantic_people"].columns["tenure"] == [
        "semantic model semantic_people reads my_model.tenure (measure years_tenure)"]
    assert "tenure" in reads["metric.test.doubled_blue_customers"].columns
    v4 = load_manifest(str(corpus_path("dbt-core/state/v4/manifest.json")))
    assert column_reads(v4, "model.test.my_model")["metric.test.my_metric"].everything == [
        "metric my_metric is a metric of dbt before 1.6, built on a model; its columns are "
        "not read, so it counts as reading every column"]


def test_full_jaffle_shop_manifest_lists_the_semantic_layer_of_orders():
    manifest = load_manifest(str(corpus_path(
        "dbt-artifacts-parser/manifest/v12/jaffle_shop/manifest_1.12.json")))
    kinds: dict[str, set[str]] = {}
    for impacted in downstream(manifest, ORDERS):
        kinds.setdefault(impacted.resource_type, set()).add(impacted.name)
    assert kinds["model"] == {"customers"}
    assert {"orders", "customers"} <= kinds["semantic_model"]
    assert {"order_total", "tax_paid", "lifetime_spend", "order_gross_profit"} <= kinds["metric"]
    assert kinds["saved_query"] == {"order_metrics", "customer_order_metrics"}


def test_cli_impact_lists_semantic_consumers(teams, cli):
    out = cli("impact", "orders", "--manifest", teams.path, "--column", "tax_paid").out
    assert "12 downstream of model.jaffle_shop.orders " \
           "(teams: commerce, finance, marketing, ops, tax)" in out
    assert any(line.split()[:5] == ["2", "tax_paid", "metric", "tax", "orders"]
               and line.split()[-1] == "yes" for line in out.splitlines())
    assert any(line.split()[:5] == ["2", "order_total", "metric", "finance", "orders"]
               and line.split()[-1] == "no" for line in out.splitlines())
    assert "  metric tax_paid reads orders.tax_paid (its aggregation)" in out.splitlines()
    payload = json.loads(cli("impact", "orders", "--manifest", teams.path, "--column",
                             "tax_paid", "--format", "json").out)
    saved = next(d for d in payload["downstream"] if d["resource_type"] == "saved_query")
    assert (saved["unique_id"], saved["owner"], saved["depth"]) == (
        "saved_query.jaffle_shop.order_metrics", "marketing", 3)
    assert saved["columns"] == {"tax_paid": {"reads": False, "reasons": []}}
