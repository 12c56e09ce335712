"""Column-level impact: SQL lineage per clause, the fallbacks, hand-checked lineage of real
jaffle_shop and Tuva models, and the proposal / `tessera impact --column` integration with
real dbt runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.compat import classify
from tessera_dbt.lineage.cache import LineageCache, default_cache
from tessera_dbt.lineage.columns import Lineage, changed_columns_of
from tessera_dbt.lineage.consumers import affected_consumers
from tessera_dbt.lineage.impact import column_reads
from tessera_dbt.lineage.sql import Parent, analyse
from tests.conftest import CORPUS, copy_project
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

A = {"a": Parent(("db", "main", "fct_orders"))}
JAFFLE = CORPUS / "generated/jaffle_shop_duckdb_dbt1.11/manifest_failing.json"
TUVA = CORPUS / "generated/tuva_integration_tests_dbt1.11"


def reads(sql: str, parents=A, dialect="duckdb"):
    return analyse(sql, dialect, parents)["a"]


def clauses(edge):
    return {col: {r.clause for r in rs} for col, rs in edge.reads.items()}


# --- the SQL analysis ----------------------------------------------------------------------

def test_every_clause_kind_with_its_line():
    edge = reads('''select o.customer_id, sum(o.amount) as total,
  row_number() over (partition by o.region order by o.created_at) as rn
from "db"."main"."fct_orders" as o
join db.main.other as x on x.id = o.order_id
where o.status = 'paid'
group by o.customer_id, o.region, o.created_at
having max(o.discount) > 0
order by o.priority''')
    assert clauses(edge) == {
        "customer_id": {"select list", "group by"}, "amount": {"select list"},
        "region": {"window", "group by"}, "created_at": {"window", "group by"},
        "order_id": {"join"}, "status": {"filter"}, "discount": {"having"},
        "priority": {"order by"}}
    assert edge.reads["status"][0].line == 5 and edge.reads["amount"][0].line == 1
    assert not edge.reads_everything
    assert edge.outputs == {"customer_id": ["customer_id"], "total": ["amount"],
                            "rn": ["created_at", "region"]}
    assert edge.rows == ["created_at", "customer_id", "discount", "order_id", "region",
                         "status"]


def test_ctes_subqueries_aliases_and_quoting():
    edge = reads('''with orders as (select * from DB.MAIN."FCT_ORDERS"),
paid as (select order_id from (select order_id, is_paid from orders) s where s.is_paid)
select p.order_id from paid p''')
    assert clauses(edge) == {"order_id": {"select list"}, "is_paid": {"select list", "filter"}}
    assert edge.star is None, "a star inside a CTE reads only what is selected from it"


def test_select_star_into_the_output_reads_everything():
    edge = reads("with o as (select * from db.main.fct_orders)\nselect * from o")
    assert edge.star is not None and edge.star.clause == "select *" and edge.reads_everything


def test_unqualified_column_in_a_join_counts_for_every_possible_source():
    parents = {"a": Parent(("db", "main", "fct_orders")), "b": Parent(("db", "main", "pay"))}
    result = analyse("select amount from db.main.fct_orders o join db.main.pay p using (id)",
                     "duckdb", parents)
    assert "amount" in result["a"].reads and "amount" in result["b"].reads
    assert "unqualified" in result["a"].reads["amount"][0].clause
    known = {"a": Parent(("db", "main", "fct_orders"), columns=frozenset({"id"})),
             "b": Parent(("db", "main", "pay"))}
    result = analyse("select amount from db.main.fct_orders o join db.main.pay p using (id)",
                     "duckdb", known)
    assert "amount" not in result["a"].reads, "a complete column list (contract) rules out"


def test_union_maps_outputs_by_position():
    edge = reads("select amount as x from db.main.fct_orders union all "
                 "select tax from db.main.fct_orders")
    assert edge.outputs == {"x": ["amount", "tax"]}


def test_positional_group_and_order_by_read_the_items_they_stand_for():
    edge = reads("""select region,
  date_trunc('month', created_at) as month, sum(amount) as total
from db.main.fct_orders
group by 1, 2
order by 3 desc""")
    assert clauses(edge) == {"region": {"select list", "group by"},
                             "created_at": {"select list", "group by"},
                             "amount": {"select list", "order by"}}
    assert [r.line for r in edge.reads["region"] if r.clause == "group by"] == [4]
    assert edge.rows == ["created_at", "region"], "a grouping column shapes every row"
    edge = reads("select region, sum(amount) as total from db.main.fct_orders group by all")
    assert clauses(edge) == {"region": {"select list", "group by"}, "amount": {"select list"}}
    edge = reads("select amount from db.main.fct_orders union all "
                 "select tax from db.main.fct_orders\norder by 1")
    assert clauses(edge) == {"amount": {"select list", "order by"},
                             "tax": {"select list", "order by"}}
    assert edge.reads["tax"][-1].line == 2

def test_ephemeral_parent_is_read_through_its_cte():
    parents = {"a": Parent((), "__dbt__cte__stg")}
    edge = analyse("with __dbt__cte__stg as (select 1 as id, 2 as v)\n"
                   "select s.v from __dbt__cte__stg s", "duckdb", parents)["a"]
    assert clauses(edge) == {"v": {"select list"}}


@pytest.mark.parametrize("sql, why", [
    (None, "has no compiled SQL"),
    ("select from where (", "does not parse as duckdb SQL"),
    ("select {{ dbt_utils.star(ref('a')) }} from x", "still holds Jinja"),
    ("select id from db.main.somewhere_else", "does not name the relation"),
])
def test_fallbacks_read_everything_and_say_why(sql, why):
    edge = reads(sql)
    assert edge.reads_everything and why in edge.unresolved


# --- what a change touches ---------------------------------------------------------------

def test_changed_columns_of_changes():
    cols = ["amount", "order_id", "item_count", "address"]
    assert changed_columns_of([{"rule": "COLUMN_REMOVED", "path": "amount"}]) == {"amount"}
    assert changed_columns_of([{"rule": "COLUMN_REMOVED", "path": "address.city"},
                               {"rule": "TYPE_CHANGED", "path": "items[].sku"}]) \
        == {"address", "items"}
    assert changed_columns_of([{"rule": "GUARANTEE_REMOVED", "path": "nullability.order_id",
                                "guarantee": "not_null.order_id"}]) == {"order_id"}
    expression = "tessera_test_utils.expression_is_true.item_count > 0 or amount = 0"
    assert changed_columns_of([{"rule": "GUARANTEE_REMOVED", "path": expression,
                                "guarantee": expression}], cols) == {"item_count", "amount"}
    combo = "dbt_utils.unique_combination_of_columns.order_id,amount"
    assert changed_columns_of([{"guarantee": combo, "path": combo}], cols) \
        == {"order_id", "amount"}
    assert changed_columns_of([{"rule": "GUARANTEE_REMOVED", "path": "freshness",
                                "guarantee": "freshness"}], cols) is None
    assert changed_columns_of([{"rule": "DESCRIPTION", "path": ""}]) is None
    assert changed_columns_of([{"rule": "COLUMN_REMOVED", "path": "ghost"}], cols) is None


def test_changed_columns_of_real_compat_changes():
    old = {"asset": "a", "compatibility": "backward", "schema": {"type": "object", "properties": {
        "id": {"type": "integer"}, "amount": {"type": ["number", "null"]}}},
        "guarantees": {"nullability": {"id": "never"}}}
    new = {**old, "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
           "guarantees": {}}
    report = classify(old, new)
    assert changed_columns_of(report.breaking_changes, ["id", "amount"]) == {"id", "amount"}


# --- hand-checked lineage on real manifests --------------------------------------------------

@pytest.fixture(scope="module")
def jaffle():
    if not JAFFLE.is_file():
        pytest.skip(f"the shared artifact corpus is not at {CORPUS}")
    return load_manifest(str(JAFFLE))


def test_jaffle_shop_orders_hand_checked(jaffle):
    lineage = Lineage(jaffle)
    orders = "model.jaffle_shop.orders"
    stg_orders = lineage.edge("model.jaffle_shop.stg_orders", orders)
    assert set(stg_orders.reads) == {"order_id", "customer_id", "order_date", "status"}
    assert {r.clause for r in stg_orders.reads["order_id"]} == {"select list", "join"}
    payments = lineage.edge("model.jaffle_shop.stg_payments", orders)
    assert set(payments.reads) == {"order_id", "payment_method", "amount"}
    assert {r.clause for r in payments.reads["payment_method"]} == {"select list"}
    assert {r.clause for r in payments.reads["order_id"]} >= {"select list", "group by"}
    assert payments.outputs["amount"] == ["amount"] and not payments.reads_everything


def test_jaffle_shop_stg_orders_to_raw_orders_renames(jaffle):
    edge = Lineage(jaffle).edge("seed.jaffle_shop.raw_orders", "model.jaffle_shop.stg_orders")
    assert set(edge.reads) == {"id", "user_id", "order_date", "status"}
    assert edge.outputs == {"order_id": ["id"], "customer_id": ["user_id"],
                            "order_date": ["order_date"], "status": ["status"]}


def test_jaffle_shop_transitive_reads_and_missing_sql(jaffle):
    found = column_reads(jaffle, "seed.jaffle_shop.raw_payments")
    customers = found["model.jaffle_shop.customers"]
    assert "amount" in customers.columns
    assert any("stg_payments.amount (from raw_payments.amount)" in r
               for r in customers.columns["amount"])
    broken = column_reads(jaffle, "model.jaffle_shop.stg_orders")
    downstream = broken["model.jaffle_shop.downstream_of_broken"]
    assert downstream.everything and "no compiled SQL" in downstream.everything[0]
    assert downstream.reasons_for(frozenset({"anything"})), "never unaffected without SQL"


@pytest.fixture(scope="module")
def tuva():
    """The Tuva manifest with the SQL dbt compiled for the models its offline build ran
    (run_results carries compiled_code; the manifest of that build has none)."""
    if not TUVA.is_dir():
        pytest.skip(f"the shared artifact corpus is not at {CORPUS}")
    manifest = load_manifest(str(TUVA / "manifest.json"))
    results = json.loads((TUVA / "run_results_offline_build.json").read_text())
    compiled = {r["unique_id"]: r["compiled_code"] for r in results["results"]
                if r.get("compiled_code") and r["unique_id"] in manifest.nodes}
    return manifest, compiled


def test_tuva_alerts_source_freshness_hand_checked(tuva):
    manifest, compiled = tuva
    lineage = Lineage(manifest, None, compiled)
    child = "model.elementary.alerts_dbt_source_freshness"
    results = lineage.edge("model.elementary.dbt_source_freshness_results", child)
    assert set(results.reads) == {
        "source_freshness_execution_id", "max_loaded_at", "snapshotted_at", "generated_at",
        "max_loaded_at_time_ago_in_s", "status", "error", "warn_after", "error_after",
        "filter", "unique_id"}
    assert "filter (unqualified, may come from another source)" in {
        r.clause for r in results.reads["status"]}  # `lower(status)`: either CTE
    assert {r.clause for r in results.reads["unique_id"]} == {"join"}
    sources = lineage.edge("model.elementary.dbt_sources", child)
    assert set(sources.reads) == {"unique_id", "database_name", "schema_name", "source_name",
                                  "identifier", "tags", "meta", "owner", "package_name", "path",
                                  "status"}
    assert results.outputs["freshness_filter"] == ["filter"]
    assert results.outputs["detected_at"] == ["generated_at"]


def test_tuva_precision_no_reader_called_unaffected(tuva):
    """Independent check on every compiled Tuva edge: a column qualified with an alias bound
    straight to the parent's relation, or with a CTE that is `select * from` it (dbt's
    idiom), is among the columns the lineage says the child reads."""
    import sqlglot
    from sqlglot import exp

    manifest, compiled = tuva
    lineage = Lineage(manifest, None, compiled)
    checked = 0
    for uid, sql in compiled.items():
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.SqlglotError:
            continue
        for pid in manifest.nodes[uid]["depends_on"]["nodes"]:
            parent = manifest.nodes.get(pid) or manifest.sources.get(pid) or {}
            relation = (parent.get("relation_name") or "").replace('"', "").lower()
            edge = lineage.edge(pid, uid)
            if not relation or edge.reads_everything:
                continue
            aliases = {(t.alias or t.name).lower() for t in tree.find_all(exp.Table)
                       if ".".join(p.name for p in t.parts).lower() == relation}
            for cte in tree.find_all(exp.CTE):  # dbt's idiom: `x as (select * from <ref>)`
                body = cte.this
                source = body.find(exp.Table) if isinstance(body, exp.Select) else None
                if body.is_star and source is not None and not body.args.get("joins") and \
                        ".".join(p.name for p in source.parts).lower() == relation:
                    aliases.add(cte.alias.lower())
            for column in tree.find_all(exp.Column):
                if column.table.lower() in aliases and not isinstance(column.this, exp.Star):
                    assert column.name.lower() in edge.reads, (uid, pid, column.sql())
                    checked += 1
    assert checked > 20


# --- precision / recall on a hand-checked sample of real models -----------------------------
#
# Written by reading each model's compiled SQL, not by running the lineage: per model, per
# parent, the columns it reads and the clause kinds they appear in (through CTEs, aliases and
# derived columns: a filter on `training_avg` reads the columns `training_avg` is computed
# from). "*" means a `select *` of the parent reaches the model's output. A positional
# `group by 1` reads the column of select item 1 in the group by.

JAFFLE_112 = CORPUS / "dbt-artifacts-parser/manifest/v12/jaffle_shop/manifest_1.12.json"
SL, JOIN, FILTER, GROUP, WINDOW, ORDER, STAR = (
    "select list", "join", "filter", "group by", "window", "order by", "select *")


def _same(columns, *kinds):
    return {c: set(kinds) for c in columns.split()}


HAND_CHECKED = {
    # jaffle_shop 1.12 (the newer jaffle_shop): `order_items.*` of a `select *` CTE reaches
    # the output; supplies are aggregated by `group by 1` and joined through that CTE.
    ("jaffle_112", "model.jaffle_shop.order_items"): {
        "model.jaffle_shop.stg_order_items": {"*": {STAR}, "order_id": {JOIN},
                                              "product_id": {JOIN}},
        "model.jaffle_shop.stg_orders": {"ordered_at": {SL}, "order_id": {JOIN}},
        "model.jaffle_shop.stg_products": {
            **_same("product_name product_price is_food_item is_drink_item", SL),
            "product_id": {JOIN}},
        "model.jaffle_shop.stg_supplies": {"product_id": {SL, GROUP, JOIN},
                                           "supply_cost": {SL}},
    },
    # CTE chain ending in `select *, row_number() over (partition by customer_id order by
    # ordered_at)` over `orders.*`: the window columns resolve through two stars.
    ("jaffle_112", "model.jaffle_shop.orders"): {
        "model.jaffle_shop.stg_orders": {"*": {STAR}, "order_id": {JOIN},
                                         "customer_id": {WINDOW}, "ordered_at": {WINDOW}},
        "model.jaffle_shop.order_items": {
            "order_id": {SL, GROUP, JOIN},
            **_same("supply_cost product_price order_item_id is_food_item is_drink_item",
                    SL)},
    },
    # count(distinct), a boolean derived from it used in a case, join on the aggregate CTE.
    ("jaffle_112", "model.jaffle_shop.customers"): {
        "model.jaffle_shop.stg_customers": {"*": {STAR}, "customer_id": {JOIN}},
        "model.jaffle_shop.orders": {
            "customer_id": {SL, GROUP, JOIN},
            **_same("order_id ordered_at subtotal tax_paid order_total", SL)},
    },
    # renames, casts, `coalesce(type = 'jaffle', false)`; the source's columns are `sku`,
    # `name`, `type`... (not what the model outputs)
    ("jaffle_112", "model.jaffle_shop.stg_products"): {
        "source.jaffle_shop.ecom.raw_products": _same("sku name type description price", SL),
    },
    ("jaffle_112", "model.jaffle_shop.supplies"): {  # pure `select *` passthrough
        "model.jaffle_shop.stg_supplies": {"*": {STAR}},
    },
    # classic jaffle_shop: three CTE aggregates joined. `sum(amount)` is unqualified in a
    # scope joining payments and orders: only stg_payments has `amount`, but both CTEs are
    # `select *`, so the analysis also charges stg_orders (documented over-approximation).
    ("jaffle_111", "model.jaffle_shop.customers"): {
        "model.jaffle_shop.stg_customers": {"customer_id": {SL, JOIN},
                                            **_same("first_name last_name", SL)},
        "model.jaffle_shop.stg_orders": {"customer_id": {SL, GROUP, JOIN},
                                         "order_date": {SL}, "order_id": {SL, JOIN}},
        "model.jaffle_shop.stg_payments": {"amount": {SL}, "order_id": {JOIN}},
    },
    ("jaffle_111", "model.jaffle_shop.stg_payments"): {  # `amount / 100 as amount`
        "seed.jaffle_shop.raw_payments": _same("id order_id payment_method amount", SL),
    },
    # elementary: a join, ROW_NUMBER / FIRST_VALUE / LAST_VALUE windows partitioned by an
    # expression, case over a window. `invocation_id` is unqualified in FIRST_VALUE: only
    # dbt_run_results has it (dbt_models has no such column, but no contract says so).
    ("tuva", "model.elementary.model_run_results"): {
        "model.elementary.dbt_run_results": {
            **_same("model_execution_id invocation_id query_id name status full_refresh "
                    "message execution_time execute_started_at execute_completed_at "
                    "compile_started_at compile_completed_at compiled_code adapter_response "
                    "thread_id materialization", SL),
            "unique_id": {SL, WINDOW, JOIN}, "generated_at": {SL, WINDOW}},
        "model.elementary.dbt_models": {
            **_same("database_name schema_name materialization tags package_name path "
                    "original_path owner alias", SL),
            "unique_id": {JOIN}},
    },
    # windows + `group by 1,...,12`, then a filter on window results (`training_avg is not
    # null` reads what training_avg is computed from), `group by 1,...,15`, an order by in a
    # CTE, and a case on the derived anomaly score. source_value and bucket_duration_hours are
    # selected and grouped in the first CTE only.
    ("tuva", "model.elementary.metrics_anomaly_score"): {
        "model.elementary.data_monitoring_metrics": {
            **_same("id dimension dimension_value source_value bucket_duration_hours "
                    "updated_at", SL, GROUP),
            **_same("full_table_name column_name metric_name bucket_start",
                    SL, GROUP, WINDOW, FILTER),
            "metric_value": {SL, GROUP, FILTER},
            "bucket_end": {SL, GROUP, FILTER, ORDER}},
    },
    # `group by 1,2,3,4` then `select *` of an aggregate CTE (not a passthrough)
    ("tuva", "model.elementary.monitors_runs"): {
        "model.elementary.data_monitoring_metrics": {
            **_same("full_table_name column_name metric_name metric_properties", SL, GROUP),
            "bucket_end": {SL}},
    },
    # where + group by by name + aggregates over casts, renamed in the outer select
    ("tuva", "model.elementary.job_run_results"): {
        "model.elementary.dbt_invocations": {
            "job_name": {SL, GROUP}, "job_id": {SL, GROUP, FILTER}, "job_run_id": {SL, GROUP},
            **_same("run_started_at run_completed_at", SL)},
    },
    # union all of two parents in a CTE, the outer query selects 14 of its 23 columns and
    # filters on lower(status): the filter reaches both branches by position.
    ("tuva", "model.elementary.alerts_dbt_models"): {
        parent: {**_same("model_execution_id unique_id invocation_id name generated_at "
                         "full_refresh message execution_time execute_started_at "
                         "execute_completed_at compile_started_at compile_completed_at "
                         "compiled_code database_name schema_name materialization tags "
                         "package_name path original_path owner alias", SL),
                 "status": {SL, FILTER}}
        for parent in ("model.elementary.model_run_results",
                       "model.elementary.snapshot_run_results")},
    # eight-branch union all with `order by metadata_hash` on the union's output
    ("tuva", "model.elementary.dbt_artifacts_hashes"): {
        f"model.elementary.{name}": {"metadata_hash": {SL, ORDER}}
        for name in ("dbt_models", "dbt_tests", "dbt_sources", "dbt_snapshots",
                     "dbt_metrics", "dbt_exposures", "dbt_seeds", "dbt_columns")},
    ("tuva", "model.the_tuva_project.input_layer__condition"): {  # `select * from <ref>`
        "model.integration_tests.condition": {"*": {STAR}},
    },
    # 47 casts, many of `null`: only the 26 real columns are read
    ("tuva", "model.the_tuva_project.core__stg_clinical_encounter"): {
        "model.the_tuva_project.input_layer__encounter": _same(
            "encounter_id person_id encounter_type encounter_start_date encounter_end_date "
            "length_of_stay admit_source_code admit_source_description admit_type_code "
            "admit_type_description discharge_disposition_code "
            "discharge_disposition_description attending_provider_id attending_provider_name "
            "facility_npi facility_name primary_diagnosis_code_type primary_diagnosis_code "
            "primary_diagnosis_description drg_code_type drg_code drg_description "
            "paid_amount allowed_amount charge_amount data_source", SL),
    },
    # the parent is named only in a `-- depends_on:` comment and the query selects
    # constants: it reads nothing, but the fallback says everything (a counted false positive)
    ("tuva", "model.elementary.test_result_rows"): {
        "model.elementary.elementary_test_results": {},
    },
}


def _found(edge):
    """What the lineage says, in the table's terms (the ambiguity note dropped; an
    unresolved edge reads "*")."""
    found = {c: {r.clause.split(" (")[0] for r in rs} for c, rs in edge.reads.items()}
    if edge.unresolved:
        found["*"] = {"unresolved"}
    elif edge.star:
        found["*"] = {STAR}
    return found


@pytest.fixture(scope="module")
def sample_lineages(jaffle, tuva):
    if not JAFFLE_112.is_file():
        pytest.skip(f"the shared artifact corpus is not at {CORPUS}")
    return {"jaffle_111": Lineage(jaffle), "jaffle_112": Lineage(load_manifest(str(JAFFLE_112))),
            "tuva": Lineage(tuva[0], None, tuva[1])}


def test_hand_checked_sample_precision_and_recall(sample_lineages):
    """Over every (model, parent, column) of the sample: no read is missed (recall 1.0, the
    "never unaffected without evidence" rule), and few are invented. Clause kinds are
    scored the same way over (model, parent, column, clause)."""
    expected, found, clause_expected, clause_found = set(), set(), set(), set()
    for (project, child), parents in HAND_CHECKED.items():
        lineage = sample_lineages[project]
        assert set(parents) == set(lineage.manifest.nodes[child]["depends_on"]["nodes"])
        for parent, truth in parents.items():
            got = _found(lineage.edge(parent, child))
            expected |= {(child, parent, c) for c in truth}
            found |= {(child, parent, c) for c in got}
            clause_expected |= {(child, parent, c, k) for c, ks in truth.items() for k in ks}
            clause_found |= {(child, parent, c, k) for c, ks in got.items() for k in ks}
    hits, clause_hits = expected & found, clause_expected & clause_found
    precision, recall = len(hits) / len(found), len(hits) / len(expected)
    clause_precision = len(clause_hits) / len(clause_found)
    clause_recall = len(clause_hits) / len(clause_expected)
    print(f"\nhand-checked sample: {len(HAND_CHECKED)} models, {len(expected)} reads; "
          f"precision {precision:.3f} recall {recall:.3f}; per clause kind precision "
          f"{clause_precision:.3f} recall {clause_recall:.3f}")
    for triple in sorted(found - expected):
        print("  false positive:", *triple)
    for quad in sorted(clause_found - clause_expected):
        print("  extra clause:", *quad)
    assert not expected - found, f"missed reads: {sorted(expected - found)}"
    assert not clause_expected - clause_found, \
        f"missed clauses: {sorted(clause_expected - clause_found)}"
    assert precision >= 0.98 and clause_precision >= 0.98  # observed: 0.983, 0.987


def test_cache_makes_the_second_run_cheap(jaffle, tmp_path):
    cache = LineageCache(str(tmp_path / "c.json"))
    first = column_reads(jaffle, "model.jaffle_shop.stg_orders", cache=cache)
    assert (tmp_path / "c.json").is_file() and cache.entries
    again = LineageCache(str(tmp_path / "c.json"))
    assert again.entries == cache.entries
    second = column_reads(jaffle, "model.jaffle_shop.stg_orders", cache=again)
    assert {k: v.columns for k, v in first.items()} == {k: v.columns for k, v in second.items()}
    (tmp_path / "c.json").write_text("{not json")
    assert LineageCache(str(tmp_path / "c.json")).entries == {}, "a corrupt cache is ignored"


# --- real dbt: the integration project ------------------------------------------------------

DROP_UPDATED_AT_SQL = ("""        ) as is_paid,
        cast(orders.updated_at as timestamp) as updated_at
""", """        ) as is_paid
""")
DROP_UPDATED_AT_YML = ("      - name: updated_at\n        data_type: timestamp\n", "")
FINANCE_COLUMNS = ("            - team: finance\n              purpose: revenue reporting\n",
                   "            - team: finance\n              purpose: revenue reporting\n"
                   "              columns: [order_id, order_date, status, amount]\n")
EXPOSURE_COLUMNS = ("      - ref('fct_payments', v=1)\n",
                    "      - ref('fct_payments', v=1)\n    meta:\n      tessera:\n"
                    "        columns: [order_id, customer_id, amount, status]\n")


@pytest.fixture(scope="module")
def declared(tmp_path_factory):
    """integration_tests built on DuckDB, where finance and the order sync exposure
    declare the columns of fct_orders they read."""
    project = copy_project(tmp_path_factory.mktemp("lineage"), "duckdb", deps=True)
    project.edit("models/commerce/fct_orders.yml", *FINANCE_COLUMNS)
    project.edit("models/exposures.yml", *EXPOSURE_COLUMNS)
    project.run("build")
    # the build's manifest holds compiled SQL; a later run-operation rewrites it without
    built = project.path / "built"
    built.mkdir()
    shutil.copy(project.manifest, built / "manifest.json")
    return project


def _propose(project, capsys):
    capsys.readouterr()
    project.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}")
    return capsys.readouterr().out


def _withdraw(project, out):
    pid = re.search(r"\b(p_[0-9a-f]{16})\b", out).group(1)
    project.run("run-operation", "tessera.withdraw", "--args", f"{{proposal_id: {pid}}}")


@pytest.mark.dbt
def test_propose_asks_only_the_teams_that_read_the_dropped_column(declared, capsys):
    project = declared
    original = {p: (project.path / p).read_text() for p in
                ("models/commerce/fct_orders.yml", "models/commerce/fct_orders.sql")}
    try:
        project.edit("models/commerce/fct_orders.yml", *DROP_UPDATED_AT_YML)
        project.edit("models/commerce/fct_orders.sql", *DROP_UPDATED_AT_SQL)
        out = _propose(project, capsys)
        assert "COLUMN_REMOVED at `updated_at`" in out
        assert "no consumer team to acknowledge: approved at once" in out, out
        for team in ("data_platform", "finance", "marketing"):
            assert f"not asked: {team} (reads none of: updated_at)" in out
        _withdraw(project, out)
        for path, text in original.items():
            (project.path / path).write_text(text)

        project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
        project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
        out = _propose(project, capsys)
        assert "required acknowledgments: marketing (waiting)" in out, out
        assert "not asked: data_platform (reads none of: is_paid)" in out
        assert "not asked: finance (reads none of: is_paid)" in out
        required = project.query("select team from {state}.tessera_events "
                                 "where event_type = 'proposal_required'")
        assert [r[0] for r in required] == ["marketing"]
        _withdraw(project, out)
    finally:
        for path, text in original.items():
            (project.path / path).write_text(text)


@pytest.mark.dbt
def test_impact_column_on_the_built_project(declared, cli):
    manifest = str(declared.path / "built" / "manifest.json")
    text = cli("impact", "fct_orders", "--manifest", manifest, "--column", "is_paid").out
    assert "reads is_paid" in text
    assert "marketing_customer_ltv reads fct_orders.is_paid in its filter (line" in text
    data = json.loads(cli("impact", "fct_orders", "--manifest", manifest, "--column", "amount",
                          "--format", "json").out)
    rows = {r["name"]: r["columns"]["amount"] for r in data["downstream"]}
    assert rows["finance_revenue"]["reads"] and rows["dim_customers"]["reads"]
    assert rows["marketing_customer_ltv"]["reads"], "through dim_customers.lifetime_value"
    assert any("dim_customers.lifetime_value (from fct_orders.amount)" in r
               for r in rows["marketing_customer_ltv"]["reasons"])
    assert rows["order_sync_service"]["reads"]  # the exposure declares amount
    assert Path(default_cache(load_manifest(manifest)).path).is_file(), "lineage is cached"


@pytest.mark.dbt
def test_affected_consumers_api_on_the_built_project(declared):
    manifest = load_manifest(str(declared.path / "built" / "manifest.json"))
    uid = next(u for u in manifest.nodes if u.endswith(".fct_orders"))
    verdicts = {(v.team, v.source): v for v in
                affected_consumers(manifest, uid, None, ["is_paid"],
                                   registered={"hr": None, "ops": ["order_id"]})}
    assert verdicts[("marketing", "downstream")].affected
    assert verdicts[("marketing", "downstream")].reasons == (
        "marketing_customer_ltv reads fct_orders.is_paid in its filter (line 14)",)
    assert not verdicts[("finance", "downstream")].affected
    assert not verdicts[("finance", "declared")].affected
    assert not verdicts[("data_platform", "exposure")].affected
    assert verdicts[("hr", "registered")].affected  # no columns declared: everything
    assert not verdicts[("ops", "registered")].affected
    everything = affected_consumers(manifest, uid, None, None)
    assert all(v.affected for v in everything), "a change to every column spares nobody"
