"""An oracle of our own (issue 15 item 5): dbt's breaking-change detection against
`tessera check`, on edited variants of a small DuckDB project.

For every edit the project is parsed once by dbt itself (`dbt ls --select state:modified
--state <production>`, which also writes the new manifest), and dbt's verdict is read from
its event stream: the `UnversionedBreakingChange` warning, or a `ContractBreakingChange`
error, is dbt calling the edit breaking. Then `tessera check --baseline <production
manifest>` runs on the new manifest. Whenever dbt says breaking, tessera must exit 1, or
the edit is in the table "Where tessera and dbt's contract check differ" of
docs/rules.md. Each edit also pins tessera's own verdict (exit code and rule ids), which
covers the edits dbt is silent about (tests, seeds, sources, relations).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[2]

BASE: dict[str, str] = {
    "dbt_project.yml": """\
name: shop
version: "1.0"
profile: shop
config-version: 2
""",
    "models/fct_orders.sql": "select cast(1 as bigint) as order_id, 'placed' as status, "
                             "cast(1 as integer) as qty, cast(2.5 as decimal(10,2)) as amount, "
                             "cast('a' as varchar(20)) as code, "
                             "{'a': 1} as attrs\n",
    "models/fct_orders.yml": """\
models:
  - name: fct_orders
    description: Orders.
    config:
      materialized: table
      access: public
      contract: {enforced: true}
      meta: {tessera: {owner: commerce, consumers: [{team: finance}]}}
    constraints:
      - {type: check, expression: "qty >= 0", name: qty_positive}
    columns:
      - name: order_id
        data_type: bigint
        constraints: [{type: not_null}, {type: primary_key}]
        data_tests: [unique]
      - name: status
        data_type: "enum('placed', 'shipped')"
        data_tests:
          - not_null
          - accepted_values: {arguments: {values: [placed, shipped]}}
      - name: qty
        data_type: integer
        data_tests:
          - not_null: {config: {severity: warn}}
        constraints: [{type: not_null}]
      - name: amount
        data_type: decimal(10,2)
      - name: code
        data_type: varchar(20)
      - name: attrs
        data_type: struct(a integer)
""",
    "models/dim_customers.sql": "select 1 as customer_id, 'x' as name\n",
    "models/dim_customers.yml": """\
models:
  - name: dim_customers
    config:
      materialized: table
      meta: {tessera: {owner: crm, consumers: [{team: marketing}]}}
    columns:
      - name: customer_id
        data_type: integer
        data_tests: [not_null]
      - name: name
        data_type: varchar
""",
    "models/fct_events.sql": "select 1 as event_id\n",
    "models/fct_events.yml": """\
models:
  - name: fct_events
    config:
      materialized: incremental
      unique_key: event_id
      meta: {tessera: {owner: commerce}}
    columns:
      - name: event_id
        data_type: integer
""",
    "seeds/payments.csv": "payment_id,amount\n1,10.50\n",
    "seeds/payments.yml": """\
seeds:
  - name: payments
    config:
      column_types: {payment_id: integer, amount: "decimal(10,2)"}
      meta: {tessera: {owner: finance, consumers: [{team: commerce}]}}
""",
    "models/sources.yml": """\
sources:
  - name: raw
    schema: main
    tables:
      - name: raw_orders
        meta: {tessera: {owner: ingest, consumers: [{team: commerce}]}}
        columns:
          - name: id
            data_type: integer
          - name: placed_at
            data_type: timestamp
""",
}

Edit = Callable[[dict[str, str]], None]


def sub(path: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(files: dict[str, str]) -> None:
        assert old in files[path], f"{path}: {old!r} not found"
        files[path] = files[path].replace(old, new, count)
    return edit


def both(*edits: Edit) -> Edit:
    def edit(files: dict[str, str]) -> None:
        for e in edits:
            e(files)
    return edit


def delete(*paths: str) -> Edit:
    def edit(files: dict[str, str]) -> None:
        for path in paths:
            files.pop(path)
    return edit


@dataclass(frozen=True)
class Case:
    name: str
    edit: Edit
    exit: int  # tessera check's exit code
    rules: tuple[str, ...] = ()  # rule ids tessera must report (breaking or not)


F = "models/fct_orders.yml"
D = "models/dim_customers.yml"
CASES = [
    # the six (and more) of issue 15's table
    Case("alias_changed", sub(F, "materialized: table", "materialized: table\n      alias: "
                              "fct_orders_new"), 1, ("RELATION_CHANGED",)),
    Case("materialized_ephemeral", sub(D, "materialized: table", "materialized: ephemeral"),
         1, ("ASSET_UNQUERYABLE",)),
    Case("constraint_removed_warn_test_stays",
         sub(F, "        constraints: [{type: not_null}]\n      - name: amount",
             "      - name: amount"), 1, ("GUARANTEE_LOOSENED",)),
    Case("not_null_error_if", sub(F, "          - not_null\n",
                                  "          - not_null: {config: {error_if: '>100'}}\n"),
         1, ("GUARANTEE_LOOSENED",)),
    Case("not_null_fail_calc_never_fails",
         sub(F, "          - not_null\n", "          - not_null: {config: {fail_calc: '0'}}\n"),
         1, ("GUARANTEE_REMOVED",)),
    Case("contract_unenforced", sub(F, "contract: {enforced: true}", "contract: {enforced: "
                                    "false}"), 1, ("TYPES_UNENFORCED", "GUARANTEE_REMOVED")),
    Case("table_to_view", sub(F, "materialized: table", "materialized: view"), 1,
         ("MATERIALIZATION_CHANGED", "GUARANTEE_REMOVED")),
    Case("enum_literal_case", sub(F, "enum('placed', 'shipped')", "enum('PLACED', 'shipped')"),
         1, ("TYPE_CHANGED",)),
    Case("source_column_loses_type",
         sub("models/sources.yml", "            data_type: timestamp\n", ""), 1,
         ("TYPE_CHANGED",)),
    Case("seed_column_type_changed",
         sub("seeds/payments.yml", 'amount: "decimal(10,2)"', "amount: varchar"), 1,
         ("TYPE_CHANGED",)),
    Case("struct_field_added", sub(F, "struct(a integer)", "struct(a integer, b integer)"), 0,
         ("COLUMN_ADDED",)),
    # schema changes of an enforced contract
    Case("column_removed", both(sub(F, "      - name: code\n        data_type: varchar(20)\n",
                                    ""), sub("models/fct_orders.sql",
                                             "cast('a' as varchar(20)) as code, ", "")),
         1, ("COLUMN_REMOVED",)),
    Case("column_added", sub(F, "      - name: attrs\n", "      - name: note\n        "
                             "data_type: varchar\n      - name: attrs\n"), 0,
         ("COLUMN_ADDED",)),
    Case("type_narrowed", sub(F, "data_type: bigint", "data_type: integer"), 1,
         ("TYPE_NARROWED",)),
    Case("type_widened", sub(F, "        data_type: integer\n        data_tests:\n"
                             "          - not_null: {config",
                             "        data_type: bigint\n        data_tests:\n"
                             "          - not_null: {config"), 0, ("TYPE_WIDENED",)),
    Case("type_synonym", sub(F, "data_type: bigint", "data_type: int8"), 0, ("TYPE_SYNONYM",)),
    Case("varchar_lengthened", sub(F, "varchar(20)", "varchar(30)"), 0, ("TYPE_WIDENED",)),
    Case("decimal_scale_reduced", sub(F, "data_type: decimal(10,2)", "data_type: "
                                      "decimal(10,1)"), 1, ("TYPE_CHANGED",)),
    Case("type_changed_to_text", sub(F, "data_type: decimal(10,2)", "data_type: varchar"), 1,
         ("TYPE_CHANGED",)),
    Case("primary_key_removed", sub(F, "{type: not_null}, {type: primary_key}",
                                    "{type: not_null}"), 1, ("GUARANTEE_REMOVED",)),
    Case("check_constraint_removed",
         sub(F, "    constraints:\n      - {type: check, expression: \"qty >= 0\", name: "
                "qty_positive}\n", ""), 1, ("GUARANTEE_REMOVED",)),
    Case("constraint_added", sub(F, "        data_type: varchar(20)\n",
                                 "        data_type: varchar(20)\n        constraints: "
                                 "[{type: not_null}]\n"), 0, ("GUARANTEE_ADDED",)),
    Case("columns_reordered", sub(F, "      - name: amount\n        data_type: decimal(10,2)\n"
                                  "      - name: code\n        data_type: varchar(20)\n",
                                  "      - name: code\n        data_type: varchar(20)\n"
                                  "      - name: amount\n        data_type: decimal(10,2)\n"),
         0, ("COLUMN_MOVED",)),
    Case("description_changed", sub(F, "description: Orders.", "description: All orders."), 0,
         ("DESCRIPTION",)),
    Case("table_to_incremental", sub(F, "materialized: table", "materialized: incremental\n"
                                     "      on_schema_change: append_new_columns"), 0,
         ("MATERIALIZATION_CHANGED",)),
    # tests and their configs (dbt's contract check does not look at tests)
    Case("unique_test_removed", sub(F, "        data_tests: [unique]\n", ""), 1,
         ("GUARANTEE_REMOVED",)),
    Case("not_null_test_added", sub(F, "        data_type: varchar(20)\n",
                                    "        data_type: varchar(20)\n        data_tests: "
                                    "[not_null]\n"), 0, ("GUARANTEE_ADDED",)),
    Case("unique_severity_warn", sub(F, "data_tests: [unique]",
                                     "data_tests: [{unique: {config: {severity: warn}}}]"), 1,
         ("GUARANTEE_LOOSENED",)),
    Case("unique_where_added", sub(F, "data_tests: [unique]",
                                   "data_tests: [{unique: {config: {where: 'qty > 0'}}}]"), 1,
         ("GUARANTEE_LOOSENED",)),
    Case("unique_limit_within_threshold",
         sub(F, "data_tests: [unique]",
             "data_tests: [{unique: {config: {limit: 1, error_if: '>5'}}}]"), 1,
         ("GUARANTEE_REMOVED",)),
    Case("accepted_values_grown", sub(F, "values: [placed, shipped]",
                                      "values: [placed, shipped, returned]"), 1,
         ("GUARANTEE_LOOSENED",)),
    Case("accepted_values_shrunk", sub(F, "values: [placed, shipped]", "values: [placed]"), 0,
         ("GUARANTEE_TIGHTENED",)),
    Case("test_disabled", sub(D, "data_tests: [not_null]",
                              "data_tests: [{not_null: {config: {enabled: false}}}]"), 1,
         ("GUARANTEE_REMOVED",)),
    # the asset itself
    Case("custom_schema", sub(D, "materialized: table", "materialized: table\n      schema: "
                              "marts"), 1, ("RELATION_CHANGED",)),
    Case("model_deleted", delete("models/dim_customers.sql", "models/dim_customers.yml"), 1,
         ("ASSET_REMOVED",)),
    Case("model_disabled", sub(D, "materialized: table", "materialized: table\n      "
                               "enabled: false"), 1, ("ASSET_REMOVED",)),
    # issue 22: everything a consumer depends on
    Case("access_narrowed", sub(F, "access: public", "access: protected"), 1,
         ("ACCESS_NARROWED",)),
    Case("not_null_constraint_replaced_by_test",
         sub(F, "          - not_null: {config: {severity: warn}}\n        constraints: "
                "[{type: not_null}]\n", "          - not_null\n"), 1, ("GUARANTEE_LOOSENED",)),
    Case("accepted_values_quote_false_same_predicate",
         sub(F, "values: [placed, shipped]", "values: [\"'placed'\", \"'shipped'\"], "
                "quote: false"), 0),
    Case("incremental_unique_key_removed", sub("models/fct_events.yml",
                                               "      unique_key: event_id\n", ""), 1,
         ("GRAIN_CHANGED",)),
    Case("model_deleted_no_known_consumer",
         delete("models/fct_events.sql", "models/fct_events.yml"), 1, ("ASSET_REMOVED",)),
    Case("left_contract", sub(D, "      meta: {tessera: {owner: crm, consumers: "
                              "[{team: marketing}]}}\n", ""), 1, ("ASSET_REMOVED",)),
]


def _write(project: Path, files: dict[str, str]) -> None:
    for path in ("models", "seeds"):
        shutil.rmtree(project / path, ignore_errors=True)
    for path, text in files.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")


def _dbt(project: Path, *args: str):
    from tessera_dbt.runtime.runner import invoke

    return invoke([*args, "--project-dir", str(project), "--profiles-dir", str(project),
                   "--no-partial-parse"], capture_stdout=True)


def _dbt_says_breaking(run) -> bool:
    names = {name for name, _, _ in run.events}
    exc = type(run.exception).__name__ if run.exception else ""
    return "UnversionedBreakingChange" in names or "ContractBreakingChange" in exc


def _documented_differences() -> str:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return text.split("## Where tessera and dbt's contract check differ", 1)[-1]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = tmp_path_factory.mktemp("oracle")
    (project / "profiles.yml").write_text(
        "shop:\n  target: prod\n  outputs:\n    prod: {type: duckdb, path: "
        f"'{project / 'shop.duckdb'}', schema: main}}\n", encoding="utf-8")
    _write(project, BASE)
    run = _dbt(project, "parse")
    assert run.success, run.errors
    (project / "prod").mkdir()
    shutil.copy(project / "target" / "manifest.json", project / "prod" / "manifest.json")
    return project


def test_the_oracle_covers_at_least_30_edits():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_whenever_dbt_says_breaking_tessera_does_too(project, case, capsys):
    from tessera_dbt.cli import main

    files = dict(BASE)
    case.edit(files)
    _write(project, files)
    run = _dbt(project, "ls", "--select", "state:modified", "--state",
               str(project / "prod"))
    dbt_breaking = _dbt_says_breaking(run)
    assert run.success or dbt_breaking, run.errors
    capsys.readouterr()
    code = main(["check", "--manifest", str(project / "target" / "manifest.json"),
                 "--baseline", str(project / "prod" / "manifest.json"), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    rules = {c["rule"] for a in out["assets"] for c in a["changes"]}
    explained = f"`{case.name}`" in _documented_differences()
    log = os.environ.get("TESSERA_ORACLE_LOG")  # a table of both verdicts, for the docs
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{case.name}\tdbt={'breaking' if dbt_breaking else 'ok'}\t"
                    f"tessera=exit {code}\t{','.join(sorted(rules))}\n")
    if dbt_breaking and code != 1:
        assert explained, (f"dbt calls {case.name} breaking, tessera exits {code}: fix it or "
                           "explain it in docs/rules.md (tools/rules_doc.py DBT_DIFFERENCES)")
    assert code == case.exit, (case.name, out["summary"], sorted(rules))
    assert set(case.rules) <= rules, (case.name, sorted(rules))
    if code == 1:  # every blocking verdict names a rule
        assert all(a["changes"] for a in out["assets"] if a["blocking"]), out["assets"]
    if code == 1 and "ASSET_REMOVED" not in rules:
        # `tessera diff` on the two contract documents agrees
        assert _diff_says_breaking(project), case.name


def _diff_says_breaking(project: Path) -> bool:
    from tessera_dbt.artifacts.contracts import extract_contracts
    from tessera_dbt.artifacts.readers import load_manifest
    from tessera_dbt.engine.compat import diff_documents

    def by_id(path: Path) -> dict[str, dict]:
        docs = extract_contracts(load_manifest(str(path)))
        return {d["x-dbt"]["unique_id"]: d for d in docs}

    old, new = by_id(project / "prod" / "manifest.json"), by_id(project / "target" /
                                                                 "manifest.json")
    return any(diff_documents(old[u], new[u]).breaking for u in old.keys() & new.keys())
