"""The whole producer/consumer workflow on Apache Spark (dbt-spark's session method, a local
pyspark, Parquet tables, a Derby metastore under a temporary TESSERA_SPARK_DIR).

One module, one JVM: every dbt invocation runs in this process (dbtRunner), so the Spark
session started by the first one is reused by all, and no second process touches the
metastore (Derby allows one). The tests are one story on one build, in order: publish,
a breaking change caught by `tessera check` and by `fail_on_unapproved`, propose,
acknowledge, 2.0.0, the audit models, a hostile value through the event log, writes that
fail half-way on a warehouse without transactions, each damaged state refused, and the
facts racing writers without a lock leave read as one outcome. Skipped with the reason
without pyspark or Java (failed instead with TESSERA_REQUIRE_SPARK=1)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tessera_dbt.cli import main
from tessera_dbt.engine.warehouse_types import parse_type
from tessera_dbt.runtime.served import _described
from tests.conftest import copy_project, environment
from tests.runtime.test_hook import (
    ADD_COLUMN_SQL,
    DROP_IS_PAID_SQL,
    DROP_IS_PAID_YML,
    UNDER_CONTRACT,
)
from tests.runtime.test_served import BLOCK, RETYPE_UNITS, _json
from tests.state.racing_facts import (
    assert_one_outcome,
    assert_the_first_writer_wins,
    racing_rows_on,
    write_rows,
)
from tests.state.test_damage import DAMAGES, restore_events

pytestmark = [pytest.mark.spark, pytest.mark.dbt]
ORDERS = "%.fct_orders"
BUILD_ORDERS = ("build", "--select", "fct_orders", "--indirect-selection", "cautious")
HOSTILE = "it's a \\ b; Zoë\nline2 ''x'' `tick` \"dq\""
# dim_products: under contract through meta.tessera only (`forward`), so what it serves is
# read from Spark: probed before the build, described after it
PRODUCTS = ("--select", "dim_products", "--exclude", "package:tessera")


@pytest.fixture(scope="module")
def spark(tmp_path_factory, spark_env):
    project = copy_project(tmp_path_factory.mktemp("it_spark"), "spark", spark_env, deps=True)
    project.first_build = project.run("build")
    return project


def _op(project, capsys, name, args, ok=True):
    capsys.readouterr()
    result = project.run("run-operation", f"tessera.{name}", "--args", args,
                         expect_success=ok)
    return capsys.readouterr().out + " ".join(result.messages)


def _check(project, capsys):
    project.run("parse")
    capsys.readouterr()
    with environment(project.env):
        code = main(["check", "--manifest", str(project.manifest), "--state-from-warehouse",
                     "--target", "spark", "--profiles-dir", str(project.path),
                     "--project-dir", str(project.path), "--format", "json"])
    out = capsys.readouterr()
    return code, out.out, out.err


def _published(project, like=ORDERS):
    return sorted(v for (v,) in project.query(
        "select version from {state}.tessera_events where event_type = 'contract_published' "
        f"and asset like '{like}'"))


def test_the_build_publishes_1_0_0_contracts_on_parquet(spark):
    versions = dict(spark.query("select asset, version from {state}.tessera_contracts "
                                "where is_current"))
    assert len(versions) == UNDER_CONTRACT and set(versions.values()) == {"1.0.0"}
    assert any("fct_orders 1.0.0" in m for m in spark.first_build.messages)
    ddl = spark.query("show create table {state}.tessera_events")[0][0]
    assert "USING parquet" in ddl, ddl
    # fct_orders declares not_null / primary_key / check constraints: Parquet enforces none,
    # so the contract lists them as not enforced; its nullability comes from its tests.
    [(payload,)] = spark.query("select payload from {state}.tessera_events where event_type "
                               f"= 'contract_published' and asset like '{ORDERS}'")
    contract = json.loads(payload)
    not_enforced = contract["x-dbt"].get("constraints_not_enforced") or []
    assert {c["type"] for c in not_enforced} >= {"primary_key"}, contract["x-dbt"]
    assert "primary_key" not in {g["type"] for g in contract["guarantees"].get("custom", [])}


# `describe` rows as Spark 3.5 prints them for a partitioned Parquet table
DESCRIBED = [("a", "int", None), ("#tag", "string", None), ("p", "int", None),
             ("# Partition Information", "", ""), ("# col_name", "data_type", "comment"),
             ("p", "int", None), ("", "", ""), ("# Detailed Table Information", "", ""),
             ("Catalog", "spark_catalog", "")]


def test_describe_stops_at_the_partition_and_detail_sections():
    assert _described(DESCRIBED) == [("a", "int"), ("#tag", "string"), ("p", "int")]
    assert _described([(None, None, None), ("a", "int", None)]) == []


def test_the_gate_probe_equals_the_hook_read_and_block_stops_a_sql_only_retype(spark):
    """The gate describes a temporary view of the compiled SQL, the hook describes the
    table: the same types, so a clean run under `block` passes and publishes nothing; a
    retype in the SQL alone is stopped before the table changes (it breaks `forward` too)."""
    table = f"{spark.env['TESSERA_SPARK_SCHEMA']}.dim_products"
    before = _relation_types(spark, table)
    assert before == {"product_id": "int", "product_name": "string", "category": "string",
                      "unit_price": "decimal(12,2)", "is_active": "boolean",
                      "units_sold": "bigint"}
    assert {t: parse_type(t, "spark").name for t in before.values()} == {
        "int": "int", "string": "varchar", "decimal(12,2)": "decimal", "boolean": "boolean",
        "bigint": "bigint"}
    published = _published(spark, "%.dim_products")
    with spark.settings(**BLOCK):  # committed: --vars may not override the gate
        clean = spark.run("run", *PRODUCTS)
    assert not [m for m in clean.messages if "WARNING" in m or "tessera: published" in m], \
        clean.messages
    assert _published(spark, "%.dim_products") == published == ["1.0.0"]

    sql = spark.path / "models/commerce/dim_products.sql"
    original = sql.read_text()
    assert RETYPE_UNITS[0] in original
    sql.write_text(original.replace(RETYPE_UNITS[0], RETYPE_UNITS[1].replace("varchar",
                                                                            "string")))
    try:
        with spark.settings(**BLOCK):
            blocked = spark.run("build", *PRODUCTS, expect_success=False)
    finally:
        sql.write_text(original)
    error = " ".join(str(blocked.exception or "").split())
    assert "the gate stopped this run before any node was built" in error, error
    assert "dim_products changes in a breaking way (TYPE_CHANGED at units_sold)" in error
    assert _relation_types(spark, table) == before, "the table changed"
    assert _published(spark, "%.dim_products") == ["1.0.0"]


def test_drift_reads_each_spark_relation(spark, cli, capsys):
    """Nothing drifts after a clean build; Parquet cannot drop a column, so dim_products
    is re-created without one (drift names it), then dropped (drift says it is missing)."""
    capsys.readouterr()
    spark.run("run-operation", "tessera.drift")
    assert f"{UNDER_CONTRACT} published contract(s) checked against the warehouse, 0 " \
        "drifted." in capsys.readouterr().out
    table = f"{spark.env['TESSERA_SPARK_SCHEMA']}.dim_products"
    kept = ", ".join(c for c in _relation_types(spark, table) if c != "is_active")
    spark.query(f"alter table {table} rename to {table}_kept")
    try:
        spark.query(f"create table {table} using parquet as select {kept} from {table}_kept")
        with environment(spark.env):
            result = cli("drift", "--project-dir", spark.path, "--profiles-dir", spark.path,
                         "--target", "spark", "--format", "json", expect=1)
        [drifted] = _json(result.out)["drifted"]
        assert drifted["asset"].endswith(".dim_products"), drifted
        assert (drifted["dropped"], drifted["retyped"], drifted["added"],
                drifted["missing"]) == (["is_active"], [], [], False)
        spark.query(f"drop table {table}")
        capsys.readouterr()
        spark.run("run-operation", "tessera.drift", "--args", "{model: dim_products}",
                  expect_success=False)
        assert "dim_products: the relation is missing from the warehouse" in " ".join(
            capsys.readouterr().out.split())
    finally:
        spark.query(f"drop table if exists {table}")
        spark.query(f"alter table {table}_kept rename to {table}")
    assert _relation_types(spark, table)["is_active"] == "boolean"


def test_a_breaking_change_is_caught_then_proposed_acknowledged_and_published(spark, capsys):
    spark.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    spark.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    code, out, err = _check(spark, capsys)
    assert code == 1, out + err
    orders = next(a for a in json.loads(out)["assets"] if a["name"] == "fct_orders")
    assert orders["status"] == "breaking-unproposed"

    capsys.readouterr()
    with spark.settings(fail_on_unapproved=True):  # committed, as production reads it
        refused = spark.run(*BUILD_ORDERS, expect_success=False)
    assert not refused.success, "fail_on_unapproved must fail the run on Spark"
    assert "breaking change(s) without an approved proposal" in capsys.readouterr().out
    assert _published(spark) == ["1.0.0"]

    out = _op(spark, capsys, "propose", "{model: fct_orders, reason: moved to payments}")
    assert "1.0.0 → 2.0.0" in out
    pid = re.search(r"\b(p_[0-9a-f]{16})\b", out).group(1)
    for team in ("finance", "marketing", "data_platform"):
        _op(spark, capsys, "acknowledge",
            f"{{proposal_id: {pid}, team: {team}, response: approved}}")
    published = spark.run(*BUILD_ORDERS)
    assert any("fct_orders 2.0.0" in m for m in published.messages), published.messages
    assert _published(spark) == ["1.0.0", "2.0.0"]
    assert spark.query("select status from {state}.tessera_proposals "
                       f"where proposal_id = '{pid}'") == [("published",)]
    code, out, err = _check(spark, capsys)
    assert code == 0, out + err


def test_the_audit_models_answer(spark):
    runs = spark.query("select asset, status, executed_at from {state}.tessera_audit_runs "
                       f"where asset like '{ORDERS}'")
    assert len(runs) >= 2 and {r[1] for r in runs} == {"passed"}, runs
    trends = spark.query("select runs_24h, last_run_at, last_contract_version from "
                         f"{{state}}.tessera_audit_trends where asset like '{ORDERS}'")
    [(runs_24h, last_run_at, version)] = trends
    assert runs_24h == len(runs) and version == "2.0.0"
    # written as UTC, read as UTC (the session zone is UTC; Python's here too in CI)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs(now - last_run_at) < dt.timedelta(minutes=30), (now, last_run_at)
    status = dict((a, (v, s)) for a, v, s in spark.query(
        "select asset, current_version, last_audit_status from {state}.tessera_contract_status"))
    assert len(status) == UNDER_CONTRACT
    assert next(v for a, v in status.items() if a.endswith(".fct_orders")) == ("2.0.0", "pass")
    assert spark.query("select count(*) from {state}.tessera_audit_alerts")[0][0] >= 0


def test_a_hostile_value_round_trips_through_the_event_log(spark, capsys):
    args = json.dumps({"model": "dim_products", "team": "ml", "purpose": HOSTILE})
    assert "Registered ml" in _op(spark, capsys, "register", args)
    assert spark.query("select purpose from {state}.tessera_consumers "
                       "where team = 'ml'") == [(HOSTILE,)]
    ids = spark.query("select count(*), count(distinct event_id) from {state}.tessera_events")
    assert ids[0][0] == ids[0][1], "no row split by a newline"


# a column the hook writes and reads nothing of before its write: retyped so that insert
# fails, while the table keeps every column and row (a view, or an emptied table, would be
# refused as damaged state before anything is written: tests/state/test_damage.py)
UNWRITABLE = "target_name"


def _swap_for_unwritable(spark, table):
    columns = _columns(spark, table)
    select = ", ".join(f"cast(null as array<int>) as {c}" if c == UNWRITABLE else c
                       for c in columns)
    spark.query(f"alter table {{state}}.{table} rename to {{state}}.{table}_kept")
    spark.query(f"create table {{state}}.{table} using parquet as select {select} "
                f"from {{state}}.{table}_kept")


def _restore(spark, table):
    spark.query(f"drop table {{state}}.{table}")
    spark.query(f"alter table {{state}}.{table}_kept rename to {{state}}.{table}")


def test_without_transactions_a_failed_write_never_publishes_without_its_audit(spark, capsys):
    spark.edit("models/commerce/fct_orders.sql", *ADD_COLUMN_SQL[:1],
               ADD_COLUMN_SQL[1].replace("as varchar", "as string"))
    spark.edit("models/commerce/fct_orders.yml", "    columns:\n",
               "    columns:\n      - name: coupon_code\n        data_type: string\n")
    audit_before = spark.query("select count(*) from {state}.tessera_audit_log")[0][0]

    # the audit insert fails first: nothing is written, and strict fails the run
    _swap_for_unwritable(spark, "tessera_audit_log")
    try:
        capsys.readouterr()
        with spark.settings(strict=True):
            strict = spark.run(*BUILD_ORDERS, expect_success=False)
        assert not strict.success, "strict must fail the run on Spark"
        assert "on-run-end failed (strict)" in capsys.readouterr().out
        assert _published(spark) == ["1.0.0", "2.0.0"]
    finally:
        _restore(spark, "tessera_audit_log")
    assert spark.query("select count(*) from {state}.tessera_audit_log")[0][0] == audit_before

    # the events insert fails after the audit rows: they are kept, and said so
    _swap_for_unwritable(spark, "tessera_events")
    try:
        soft = spark.run(*BUILD_ORDERS)
        [error] = [m for m in soft.messages if "ERROR in on-run-end" in m]
        assert "nothing was recorded" not in error
        assert "partly recorded" in error and "audit rows" in error, error
        assert re.search(r"not published: \S*fct_orders 2\.1\.0", error), error
        assert _published(spark) == ["1.0.0", "2.0.0"]
    finally:
        _restore(spark, "tessera_events")
    assert spark.query("select count(*) from {state}.tessera_audit_log")[0][0] > audit_before

    # the next build converges: 2.1.0 published once, with its audit rows
    again = spark.run(*BUILD_ORDERS)
    assert any("fct_orders 2.1.0" in m for m in again.messages), again.messages
    assert _published(spark) == ["1.0.0", "2.0.0", "2.1.0"]


# Each damage of tests/state/test_damage.py as Spark can do it: Parquet cannot drop or retype a
# column, so the table is re-created from a backup without it, or with it cast.
def _without(column):
    return ("drop table {t}; create table {t} using parquet as select {all_but_"
            f"{column}}} from {{s}}.events_backup")


SPARK_DAMAGES = {
    "drop_event_id": _without("event_id"),
    "drop_payload": _without("payload"),
    "retype_recorded_at": "drop table {t}; create table {t} using parquet as select "
                          "{recorded_at_as_string} from {s}.events_backup",
    "view": "alter table {t} rename to {s}.tessera_events_moved; "
            "create view {t} as select * from {s}.tessera_events_moved",
    "truncate": "truncate table {t}",
    "drop": "drop table {t}",
}


@pytest.mark.parametrize("name,expected", [(n, e) for n, _, e in DAMAGES],
                         ids=[d[0] for d in DAMAGES])
def test_damage_stops_the_build_and_writes_nothing_on_spark(spark, capsys, name, expected):
    s = spark.state_schema
    t = f"{s}.tessera_events"
    spark.query(f"create table {s}.events_backup using parquet as select * from {t}")
    # relations are rendered with each adapter's quoting: compare the words, not the quotes
    expected = _unquoted(expected)
    try:
        columns = _columns(spark, "tessera_events")
        kept = {f"all_but_{c}": ", ".join(k for k in columns if k != c)
                for c in ("event_id", "payload")}
        kept["recorded_at_as_string"] = ", ".join(
            "cast(recorded_at as string) as recorded_at" if k == "recorded_at" else k
            for k in columns)
        for statement in SPARK_DAMAGES[name].format(t=t, s=s, **kept).split("; "):
            spark.query(statement)
        audit = spark.query("select count(*) from {state}.tessera_audit_log")[0][0]
        capsys.readouterr()
        result = spark.run("build", expect_success=False)
        text = _unquoted(str(result.exception) + str(result.result) + capsys.readouterr().out)
        assert not result.success
        assert "tessera: the state is damaged" in text and expected in text, text[-1500:]
        assert "restore it from a backup" in text
        assert spark.query("select count(*) from {state}.tessera_audit_log")[0][0] == audit
        if name in ("drop_event_id", "drop_payload"):  # not re-added by the build
            assert name.split("_", 1)[1] not in _columns(spark, "tessera_events")
        capsys.readouterr()
        op = spark.run("run-operation", "tessera.status", expect_success=False)
        out = _unquoted(capsys.readouterr().out)
        assert not op.success and "the state is damaged" in out and expected in out, out
    finally:
        restore_events(spark.query, s, using=" using parquet")
    assert spark.run(*BUILD_ORDERS).success  # restored: the next build runs


def _unquoted(text):
    return text.replace('"', "").replace("`", "")


def _columns(project, table):
    return [row[0] for row in project.query(f"describe {{state}}.{table}")
            if row[0] and not row[0].startswith("#")]


def _relation_types(project, relation):
    """column → type of a (not partitioned) relation, as Spark describes it."""
    return {row[0]: row[1] for row in project.query(f"describe {relation}")
            if row[0] and not row[0].startswith("#")}


def test_racing_writers_without_a_lock_leave_one_outcome(spark, capsys):
    """No second process can open this Derby metastore (docs/spark.md), so the race is
    replayed as the rows racing writers without a lock leave (tests/state/racing_facts.py):
    every reader then reports the same single outcome."""
    race, rows = racing_rows_on(spark, ORDERS, "2.2.0")
    write_rows(spark, spark.query, rows)
    outcome = assert_one_outcome(spark, capsys, race)
    assert_the_first_writer_wins(outcome, race, "2.2.0")
