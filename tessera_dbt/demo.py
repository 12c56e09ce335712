"""`tessera demo`: the story told with real dbt runs on an embedded DuckDB warehouse.

It works in a temporary copy of the multi-team example project (integration_tests), so
nothing in the user's directories changes.
"""

from __future__ import annotations

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
        from dbt.cli.main import dbtRunner

        shown = " ".join(args)
        self.say(f"$ dbt {shown}")
        os.environ.update(self.env)
        started = time.perf_counter()
        result = dbtRunner().invoke([*args, "--quiet", "--project-dir", str(self.project),
                                     "--profiles-dir", str(self.project)])
        if not result.success:
            raise ConfigError(f"dbt {shown} failed in the demo project: {result.exception}")
        counts: dict[str, int] = {}
        for item in getattr(result.result, "results", None) or ():
            status = str(getattr(item.status, "value", item.status))
            counts[status] = counts.get(status, 0) + 1
        if counts:
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.say(f"  {summary} ({time.perf_counter() - started:.1f}s)")
        return result

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


def run_demo(say: Callable[[str], None] = print, keep: bool = False) -> int:
    from .artifacts import load_manifest
    from .compat import classify
    from .render import contracts_table, diff_text

    workdir = Path(tempfile.mkdtemp(prefix="tessera-demo-"))
    demo = Demo(workdir, say)
    try:
        demo.setup()
        say("tessera demo: a shop's dbt project where commerce produces fct_orders and")
        say("finance, marketing and data_platform read it. Warehouse: DuckDB, in "
            f"{workdir}\n")
        say("1. Build the project; every asset under contract gets a contract document.")
        demo.dbt("deps")
        demo.dbt("build")
        published = demo.contracts()
        say(contracts_table(published, load_manifest(
            str(demo.project / "target" / "manifest.json"))))

        say("\n2. Commerce adds a nullable column `coupon_code` to fct_orders.")
        demo.edit("models/commerce/fct_orders.sql",
                  "        cast(orders.updated_at as timestamp) as updated_at\n",
                  "        cast(orders.updated_at as timestamp) as updated_at,\n"
                  "        cast(null as varchar) as coupon_code\n")
        demo.edit("models/commerce/fct_orders.yml", "    columns:\n",
                  "    columns:\n      - name: coupon_code\n        data_type: varchar\n")
        demo.dbt("build", "--select", "fct_orders")
        widened = _by_name(demo.contracts(), "fct_orders")
        report = classify(_by_name(published, "fct_orders"), widened)
        say(diff_text(report, model="fct_orders"))

        say("\n3. Commerce drops `is_paid` from fct_orders, which three other teams read.")
        demo.edit("models/commerce/fct_orders.yml",
                  "      - name: is_paid\n        data_type: boolean\n"
                  "        description: True when captured payments cover the order amount.\n",
                  "")
        demo.edit("models/commerce/fct_orders.sql", IS_PAID_SQL, "")
        demo.dbt("build", "--select", "fct_orders")
        broken = _by_name(demo.contracts(), "fct_orders")
        report = classify(widened, broken)
        say(diff_text(report, model="fct_orders"))
        say("\nWhere to look next: `tessera contracts --manifest "
            f"{demo.project}/target/manifest.json`, `tessera diff OLD NEW`.")
        return 0
    finally:
        if keep:
            say(f"\n(kept {workdir})")
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
