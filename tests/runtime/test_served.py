"""The contract is the table consumers read (issue 27), with real dbt on DuckDB and
PostgreSQL: a model under contract through `meta.tessera` only, with a consumer model that
selects its columns.

- `gate: block` stops a SQL-only drop and a SQL-only retype before the table changes;
- `gate: warn` builds, and the hook records the change as unapproved and publishes nothing;
  `tessera check` with the build's catalog.json, and with `--live`, exits 1 naming the rule;
- a move to a new alias that drops a consumed column is stopped before anything is built;
- `ALTER TABLE ... DROP COLUMN` on a published table is drift: `tessera drift` exits 1,
  `dbt run-operation tessera.drift` fails, one `drift_detected` event however often it runs;
- a source whose live table lost a column is reported by the hook and by `tessera drift`.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import copy_project, environment

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
BLOCK = {"gate": "block"}  # committed in dbt_project.yml: --vars may not override it
PRODUCTS = ("--select", "dim_products+", "--exclude", "package:tessera")
DROP_IS_ACTIVE = ("        products.is_active,\n", "")
RETYPE_UNITS = ("cast(coalesce(units.units_sold, 0) as bigint)",
                "cast(coalesce(units.units_sold, 0) as varchar)")
CONSUMER_SQL = ("select product_id, is_active, units_sold\n"
                "from {{ ref('dim_products') }}\n")
CONSUMER_YML = """version: 2
models:
  - name: marketing_product_activity
    description: Marketing reads is_active and units_sold of dim_products.
    config:
      group: marketing
"""

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module", params=TARGETS)
def project(request, tmp_path_factory):
    """integration_tests with dim_products under `backward` (meta.tessera only, no enforced
    contract) and a marketing model reading it, built and published once."""
    project = copy_project(tmp_path_factory.mktemp(f"served_{request.param}"), request.param,
                           deps=True)
    project.edit("models/commerce/dim_products.yml", "compatibility: forward",
                 "compatibility: backward")
    # the guard re-judges dim_products once this run built its parents; stg_products
    # (whose changes break nobody's contract under `none`) is the parent that changes
    project.edit("models/commerce/dim_products.yml", "    meta:\n      owner: commerce",
                 "    config:\n      pre_hook: \"{{ tessera.guard() }}\"\n"
                 "    meta:\n      owner: commerce")
    project.edit("models/staging/stg_products.yml", "    config:\n",
                 "    config:\n      meta: {tessera: {compatibility: none}}\n")
    (project.path / "models/marketing/marketing_product_activity.sql").write_text(CONSUMER_SQL)
    (project.path / "models/marketing/marketing_product_activity.yml").write_text(CONSUMER_YML)
    project.run("build")
    return project


@pytest.fixture
def sql(project):
    """dim_products.sql as built; edits are undone after the test."""
    path = project.path / "models/commerce/dim_products.sql"
    original = path.read_text()
    yield path
    path.write_text(original)


def _schema(project) -> str:
    return "main" if project.target == "duckdb" else project.env["TESSERA_PG_SCHEMA"]


def _columns(project, table: str) -> dict[str, str]:
    rows = project.query("select column_name, data_type from information_schema.columns "
                         f"where table_schema = '{_schema(project)}' and table_name = '{table}'")
    return {name: kind.lower() for name, kind in rows}


def _error(result) -> str:
    return " ".join(str(result.exception or "").split())


def _version(project, model: str) -> str:
    return project.query("select version from {state}.tessera_contracts "
                         f"where is_current and asset like '%.{model}'")[0][0]


def _events(project, kind: str, model: str) -> int:
    return project.query(f"select count(*) from {{state}}.tessera_events where event_type = "
                         f"'{kind}' and asset like '%.{model}'")[0][0]


def test_block_stops_a_sql_only_drop_and_retype_before_the_table_changes(project, sql):
    before = _columns(project, "dim_products")
    assert "is_active" in before and before["units_sold"] == "bigint"
    for edit, rule in ((DROP_IS_ACTIVE, "COLUMN_REMOVED at is_active"),
                       (RETYPE_UNITS, "TYPE_CHANGED at units_sold")):
        text = sql.read_text()
        sql.write_text(text.replace(*edit))
        with project.settings(**BLOCK):
            blocked = project.run("build", *PRODUCTS, expect_success=False)
        assert "the gate stopped this run before any node was built" in _error(blocked)
        assert f"dim_products changes in a breaking way ({rule}) without an approved " \
            "proposal" in _error(blocked)
        assert _columns(project, "dim_products") == before, "the table changed"
        sql.write_text(text)
    assert _version(project, "dim_products") == "1.0.0"


def test_warn_records_the_change_unapproved_and_check_names_the_rule(project, sql, cli,
                                                                    tmp_path):
    export = tmp_path / "prod"
    project.run("run-operation", "tessera.export", "--args", json.dumps({"out": str(export)}))
    unapproved = _events(project, "change_unapproved", "dim_products")
    sql.write_text(sql.read_text().replace(*DROP_IS_ACTIVE))
    # the consumer selecting is_active fails in the same build: the break is real
    built = project.run("build", *PRODUCTS, expect_success=False)
    assert any(m.startswith("tessera: WARNING (gate): ") and "COLUMN_REMOVED at is_active"
               in m for m in built.messages)
    assert any("dim_products changed in a breaking way (COLUMN_REMOVED at is_active)" in m
               and "nothing was published" in m for m in built.messages)
    assert "is_active" not in _columns(project, "dim_products")
    assert _events(project, "change_unapproved", "dim_products") == unapproved + 1
    assert _version(project, "dim_products") == "1.0.0"
    # the table it built differs from the contract in force: drift, from what it read
    assert _events(project, "drift_detected", "dim_products") == 1

    project.run("docs", "generate")
    args = ("check", "--manifest", project.manifest, "--baseline", export,
            "--project-dir", project.path, "--format", "json")
    with environment(project.env):
        for extra in (("--catalog", project.path / "target/catalog.json"),
                      ("--no-catalog", "--live", project.target,
                       "--profiles-dir", project.path)):
            result = _json(cli(*args, *extra, expect=1).out)
            products = next(a for a in result["assets"] if a["name"] == "dim_products")
            assert products["status"] == "breaking-unproposed"
            assert {(c["rule"], c["path"]) for c in products["changes"]} == {
                ("COLUMN_REMOVED", "is_active")}
            assert {"asset": products["asset"], "rule": "DECLARED_NOT_SERVED",
                    "path": "is_active"} in [{k: f[k] for k in ("asset", "rule", "path")}
                                             for f in result["findings"]]
            assert result["yaml_only"] == []
        # neither: the un-enforced assets are judged on their YAML, and check says so
        plain = cli(*args[:-2], "--no-catalog", expect=0)
        assert "judged on their YAML only (" in plain.out and "dim_products" in plain.out


def test_the_guard_stops_a_model_whose_parent_changed_what_it_serves(project):
    """stg_products narrows unit_price in the same run: the on-run-start gate saw the old
    view, the guard sees the new one before dim_products is replaced."""
    stg_yml = project.path / "models/staging/stg_products.yml"
    stg_sql = project.path / "models/staging/stg_products.sql"
    originals = {p: p.read_text() for p in (stg_yml, stg_sql)}
    stg_yml.write_text(originals[stg_yml].replace("data_type: numeric(12,2)",
                                                  "data_type: numeric(10,2)"))
    stg_sql.write_text(originals[stg_sql].replace("numeric(12, 2)", "numeric(10, 2)"))
    before = _columns(project, "dim_products")
    try:
        with project.settings(**BLOCK):
            guarded = project.run("build", "--select", "stg_products", "dim_products+",
                                  "--exclude", "package:tessera", expect_success=False)
        stopped = [r for r in guarded.result.results if r.node.name == "dim_products"]
        assert stopped and str(stopped[0].status) == "error"
        assert "the guard stopped dim_products before its relation was replaced" in \
            " ".join(stopped[0].message.split())
        assert "TYPE_NARROWED at unit_price" in " ".join(stopped[0].message.split())
        assert _columns(project, "dim_products") == before
        assert _columns(project, "stg_products")["unit_price"].startswith(("numeric",
                                                                           "decimal"))
    finally:
        for path, text in originals.items():
            path.write_text(text)
        project.run("build", "--select", "stg_products", "dim_products",
                    "--exclude", "package:tessera")


def test_a_move_to_a_new_alias_dropping_a_consumed_column_is_stopped(project, sql):
    yml = project.path / "models/commerce/dim_products.yml"
    original = yml.read_text()
    yml.write_text(original.replace("    meta:\n      owner: commerce",
                                    "    config:\n      alias: dim_products_v2\n"
                                    "    meta:\n      owner: commerce", 1))
    sql.write_text(sql.read_text().replace(*DROP_IS_ACTIVE))
    try:
        with project.settings(**BLOCK):
            blocked = project.run("build", *PRODUCTS, expect_success=False)
        assert "the gate stopped this run" in _error(blocked)
        assert "COLUMN_REMOVED at is_active" in _error(blocked)
        assert "RELATION_CHANGED" in _error(blocked)
        assert _columns(project, "dim_products_v2") == {}, "the new relation was built"
    finally:
        yml.write_text(original)


def test_drift_names_a_column_dropped_out_of_band_once(project, cli, capsys, tmp_path):
    project.run("build", "--select", "dim_products", "fct_orders")  # as published
    table = f"{_schema(project)}.fct_orders"
    project.query(f"alter table {table} drop column is_paid") if project.target == "duckdb" \
        else _postgres_execute(f"alter table {table} drop column is_paid cascade")
    with environment(project.env):
        for _ in range(2):
            result = cli("drift", "--project-dir", project.path, "--profiles-dir",
                         project.path, "--target", project.target, "--format", "json",
                         expect=1)
            drifted = {d["asset"].rsplit(".", 1)[-1]: d
                       for d in _json(result.out)["drifted"]}
            assert drifted["fct_orders"]["dropped"] == ["is_paid"]
    capsys.readouterr()
    failed = project.run("run-operation", "tessera.drift", expect_success=False)
    printed = " ".join(capsys.readouterr().out.split())
    assert not failed.success
    assert "tessera: drift: " in printed and "fct_orders: dropped is_paid" in printed
    assert _events(project, "drift_detected", "fct_orders") == 1
    # every reader shows it: the BI model, tessera.status and the report
    assert project.query("select last_drift from {state}.tessera_contract_status "
                         "where asset like '%.fct_orders'")[0][0].endswith(
        "fct_orders: dropped is_paid")
    project.run("run-operation", "tessera.status", "--args", "{model: fct_orders}")
    assert "drift: " in capsys.readouterr().out
    report = tmp_path / "report.html"
    project.run("run-operation", "tessera.report", "--args", json.dumps({"out": str(report)}))
    assert "fct_orders: dropped is_paid" in report.read_text()
    project.run("build", "--select", "fct_orders")  # rebuilt as the contract says
    with environment(project.env):
        fine = cli("drift", "fct_orders", "--project-dir", project.path, "--profiles-dir",
                   project.path, "--target", project.target, expect=0)
    assert "1 published contract(s) checked against the warehouse, 0 drifted." in fine.out


def test_a_source_that_lost_a_column_is_reported_by_the_hook_and_drift(project, cli):
    table = f"{_schema(project)}.raw_orders"
    drop = f"alter table {table} drop column is_test"
    project.query(drop) if project.target == "duckdb" else _postgres_execute(
        drop + " cascade")
    result = project.run("run", "--select", "dim_products")
    assert any("raw_orders changed in a breaking way (COLUMN_REMOVED at is_test)" in m
               for m in result.messages), result.messages
    with environment(project.env):
        report = _json(cli("drift", "--project-dir", project.path, "--profiles-dir",
                                project.path, "--target", project.target, "--format", "json",
                                expect=1).out)
    drifted = {d["asset"].rsplit(".", 1)[-1]: d for d in report["drifted"]}
    assert drifted["raw_orders"]["dropped"] == ["is_test"]


def _json(out: str):
    """The CLI's JSON document; dbt's own log lines of earlier in-process runs come first
    in the captured output."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))


def _postgres_execute(sql: str) -> None:
    import psycopg2

    from tests.conftest import postgres_env

    pg = postgres_env()
    with psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                          user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                          dbname=pg["TESSERA_PG_DBNAME"]) as con, con.cursor() as cur:
        cur.execute(sql)
