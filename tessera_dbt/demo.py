"""`tessera demo`: the story told with real dbt runs on an embedded DuckDB warehouse.

It works in a temporary copy of the multi-team example project (integration_tests), so
nothing in the user's directories changes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = PACKAGE_ROOT / "integration_tests"


class Demo:
    def __init__(self, workdir: Path, say: Callable[[str], None]) -> None:
        self.workdir = workdir
        self.project = workdir / "shop"
        self.say = say
        self.env = {"TESSERA_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
                    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def setup(self) -> None:
        if not (EXAMPLE / "dbt_project.yml").is_file():
            raise ConfigError(f"the example project is not at {EXAMPLE}",
                              "run the demo from a checkout of tessera-dbt (make demo)")
        shutil.copytree(EXAMPLE, self.project,
                        ignore=shutil.ignore_patterns("target", "dbt_packages", "logs",
                                                      "*.duckdb", "package-lock.yml"))
        packages = self.project / "packages.yml"
        packages.write_text(packages.read_text().replace("local: ../\n",
                                                         f"local: {PACKAGE_ROOT}\n"))

    def dbt(self, *args: str) -> Any:
        """Run dbt in-process, print the command, its result counts and tessera's lines."""
        from dbt.cli.main import dbtRunner

        shown = " ".join(args)
        self.say(f"$ dbt {shown}")
        os.environ.update(self.env)
        lines: list[str] = []

        def collect(event: Any) -> None:
            if event.info.name == "JinjaLogInfo" and event.data.msg.startswith("tessera:"):
                lines.append(event.data.msg)

        started = time.perf_counter()
        result = dbtRunner(callbacks=[collect]).invoke(
            [*args, "--quiet", "--project-dir", str(self.project),
             "--profiles-dir", str(self.project)])
        if result.exception is not None:
            raise ConfigError(f"dbt {shown} failed in the demo project: {result.exception}")
        counts: dict[str, int] = {}
        for item in getattr(result.result, "results", None) or ():
            status = str(getattr(item.status, "value", item.status))
            counts[status] = counts.get(status, 0) + 1
        if counts:
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.say(f"  {summary} ({time.perf_counter() - started:.1f}s)")
        for line in lines:
            self.say(f"  {line}")
        return result

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(self.env["TESSERA_DUCKDB_PATH"]) as con:
            return con.execute(sql).fetchall()

    def contracts(self) -> list[dict[str, Any]]:
        from .artifacts import load_manifest
        from .contracts import extract_contracts

        return extract_contracts(load_manifest(str(self.project / "target" / "manifest.json")))

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.project / relative
        text = path.read_text()
        if old not in text:
            raise ConfigError(f"the demo edit of {relative} no longer applies")
        path.write_text(text.replace(old, new, 1))


def _by_name(documents: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(d for d in documents if d["x-dbt"]["name"] == name
                and d["x-dbt"]["resource_type"] == "model")


def _published(demo: Demo, say: Callable[[str], None], like: str = "%") -> None:
    from .render import table

    rows = demo.query(
        "select asset, version, owner, compatibility from main_tessera.tessera_contracts "
        f"where is_current and asset like '{like}' order by asset")
    say(table(("asset", "version", "owner", "mode"), rows))


def run_demo(say: Callable[[str], None] = print, keep: bool = False) -> int:
    from .compat import classify
    from .render import diff_text, table

    workdir = Path(tempfile.mkdtemp(prefix="tessera-demo-"))
    demo = Demo(workdir, say)
    started = time.perf_counter()
    try:
        demo.setup()
        say("tessera demo: a shop's dbt project where commerce produces fct_orders and")
        say("finance, marketing and data_platform read it. Warehouse: DuckDB, in "
            f"{workdir}\n")
        say("1. dbt build: tessera's on-run-end hook publishes every contract as 1.0.0.")
        demo.dbt("deps")
        demo.dbt("build")
        _published(demo, say)

        say("\n2. Commerce adds a nullable column `coupon_code` to fct_orders: compatible,")
        say("   so the next build ships it as a minor version.")
        demo.edit("models/commerce/fct_orders.sql",
                  "        cast(orders.updated_at as timestamp) as updated_at\n",
                  "        cast(orders.updated_at as timestamp) as updated_at,\n"
                  "        cast(null as varchar) as coupon_code\n")
        demo.edit("models/commerce/fct_orders.yml", "    columns:\n",
                  "    columns:\n      - name: coupon_code\n        data_type: varchar\n")
        demo.dbt("build", "--select", "fct_orders", "--indirect-selection", "cautious")
        _published(demo, say, "%.fct_orders")

        say("\n3. Commerce drops `is_paid` from fct_orders, which three other teams read.")
        demo.edit("models/commerce/fct_orders.yml",
                  "      - name: is_paid\n        data_type: boolean\n"
                  "        description: True when captured payments cover the order amount.\n",
                  "")
        demo.edit("models/commerce/fct_orders.sql", IS_PAID_SQL, "")
        demo.dbt("parse")
        current = json.loads(demo.query(
            "select contract from main_tessera.tessera_contracts "
            "where is_current and asset like '%.fct_orders'")[0][0])
        proposed = _by_name(demo.contracts(), "fct_orders")
        say("$ tessera diff <published fct_orders> <fct_orders as it is now>")
        say(diff_text(classify(current, proposed), model="fct_orders"))
        say("\n   The build still runs, but the hook refuses to publish the breaking change:")
        demo.dbt("build", "--select", "fct_orders", "--indirect-selection", "cautious")
        _published(demo, say, "%.fct_orders")

        say("\n4. Audit: every dbt test is recorded against the guarantee it checks. A build")
        say("   where one guarantee fails (the project's var tessera_it_failing):")
        demo.dbt("build", "--select", "+dim_products", "+dim_customers",
                 "--indirect-selection", "cautious", "--vars", "{tessera_it_failing: true}")
        rows = demo.query(
            "select asset, guarantee, status, failures from main_tessera.tessera_audit_results "
            "where status != 'pass' order by asset")
        say(table(("asset", "guarantee", "status", "failures"), rows))
        rows = demo.query(
            "select asset, current_version, last_audit_status, "
            "round(audit_pass_rate_30d, 2) from main_tessera.tessera_contract_status "
            "where asset like '%dim_%' order by asset")
        say(table(("asset", "version", "last audit", "pass rate 30d"), rows))

        say(f"\nDone in {time.perf_counter() - started:.0f}s. Where to look: the BI models "
            "tessera_contracts, tessera_audit_results and tessera_contract_status in "
            f"schema main_tessera of {demo.env['TESSERA_DUCKDB_PATH']}"
            + ("" if keep else " (removed now; run `tessera demo --keep` to keep it)") + ".")
        return 0
    finally:
        if keep:
            say(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


IS_PAID_SQL = """        cast(
            case
                when order_payments.paid_amount >= coalesce(order_items.amount, 0) then true
                else false
            end
            as boolean
        ) as is_paid,
"""
