"""`tessera demo`: the story told with real dbt runs on an embedded DuckDB warehouse.

It works in a temporary copy of the multi-team example project (integration_tests), so
nothing in the user's directories changes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..engine.errors import ConfigError


def dbt_package_root() -> Path:
    """Where the dbt package is: inside the installed wheel (setup.py bundles it), else the
    repository this module runs from (an editable install)."""
    here = Path(__file__).resolve()
    bundled = here.parents[1] / "dbt_package"
    return bundled if (bundled / "dbt_project.yml").is_file() else here.parents[2]


def copy_example(dest: Path, package: Path) -> Path:
    """The example project (`package`/integration_tests) copied to `dest`, without build
    output, its `local: ../` dbt package pointed at `package` (the demo, the tests and the
    benchmarks all build such a copy)."""
    shutil.copytree(package / "integration_tests", dest,
                    ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb",
                                                  "package-lock.yml"))
    packages = dest / "packages.yml"
    packages.write_text(packages.read_text().replace("local: ../\n", f"local: {package}\n")
                        .replace("local: ..\n", f"local: {package}\n"))
    return dest


# the `tessera` command line, handed in by the CLI that runs the demo
Tessera = Callable[[Sequence[str]], int]


class Demo:
    def __init__(self, workdir: Path, say: Callable[[str], None], tessera: Tessera) -> None:
        self.workdir = workdir
        self.run_tessera = tessera
        self.project = workdir / "shop"
        self.say = say
        self.env = {"TESSERA_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
                    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def setup(self) -> None:
        import importlib.util

        if importlib.util.find_spec("dbt.adapters.duckdb") is None:
            raise ConfigError("tessera demo runs dbt on DuckDB, and dbt-duckdb is not installed",
                              "python -m pip install 'tessera-dbt[duckdb]' (or the same "
                              "path or git URL you installed tessera-dbt from, with [duckdb])")
        package = dbt_package_root()
        example = package / "integration_tests"
        if not (example / "dbt_project.yml").is_file():
            raise ConfigError(f"the example project is not at {example}",
                              "reinstall tessera-dbt (its wheel ships the example project)")
        copy_example(self.project, package)

    def dbt(self, *args: str, quiet: bool = False) -> list[str]:
        """Run dbt in-process, print the command, its result counts and tessera's lines
        (all but the command when quiet); return tessera's lines."""
        from ..runtime.runner import invoke

        shown = " ".join(args)
        self.say(f"$ dbt {shown}")
        os.environ.update(self.env)
        started = time.perf_counter()
        # --log-level none: dbt prints nothing itself; the callback still sees every event
        result = invoke([*args, "--log-level", "none", "--project-dir", str(self.project),
                         "--profiles-dir", str(self.project)], capture_stdout=True)
        if result.exception is not None:
            raise ConfigError(f"dbt {shown} failed in the demo project: {result.exception}")
        lines = result.tessera_lines
        counts: dict[str, int] = {}
        for item in getattr(result.result, "results", None) or ():
            status = str(getattr(item.status, "value", item.status))
            counts[status] = counts.get(status, 0) + 1
        if quiet:
            return lines
        if counts:
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.say(f"  {summary} ({time.perf_counter() - started:.1f}s)")
        for line in lines:
            self.say(f"  {line}")
        return lines

    def tessera(self, *args: str, expect: int = 0) -> None:
        """Run the `tessera` CLI on the demo project, printing the command and its output."""
        self.say("$ tessera " + " ".join(args))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = self.run_tessera([*args, "--project-dir", str(self.project),
                         "--profiles-dir", str(self.project)])
        for line in out.getvalue().rstrip().splitlines():
            self.say(f"  {line}")
        if code != expect:
            raise ConfigError(f"tessera {args[0]} exited {code} in the demo, "
                              f"{expect} was expected")

    def check(self, expect: int) -> None:
        """`tessera check` against the warehouse's published state, as CI would run it."""
        self.tessera("check", "--state-from-warehouse", "--manifest",
                     str(self.project / "target" / "manifest.json"), expect=expect)
        self.say(f"  (exit code {expect})")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(self.env["TESSERA_DUCKDB_PATH"]) as con:
            return con.execute(sql).fetchall()

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.project / relative
        text = path.read_text()
        if old not in text:
            raise ConfigError(f"the demo edit of {relative} no longer applies")
        path.write_text(text.replace(old, new, 1))


def _published(demo: Demo, say: Callable[[str], None], like: str = "%") -> None:
    from ..engine.text import table

    rows = demo.query(
        "select asset, version, owner, compatibility from main_tessera.tessera_contracts "
        f"where is_current and asset like '{like}' order by asset")
    say(table(("asset", "version", "owner", "mode"), rows))


def run_demo(tessera: Tessera, say: Callable[[str], None] = print, keep: bool = False) -> int:
    from ..engine.text import table

    workdir = Path(tempfile.mkdtemp(prefix="tessera-demo-"))
    demo = Demo(workdir, say, tessera)
    started = time.perf_counter()
    try:
        demo.setup()
        say("tessera demo: a shop's dbt project where commerce produces fct_orders and")
        say("finance, marketing and data_platform read it. Warehouse: DuckDB, in "
            f"{workdir}")
        say("")
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

        say("\n3. Commerce drops `is_paid` from fct_orders, which other teams read. In the")
        say("   pull request's CI, `tessera check` compares the project with what production")
        say("   published, and blocks the merge (exit code 1):")
        demo.edit("models/commerce/fct_orders.yml",
                  "      - name: is_paid\n        data_type: boolean\n"
                  "        description: True when captured payments cover the order amount.\n",
                  "")
        demo.edit("models/commerce/fct_orders.sql", IS_PAID_SQL, "")
        demo.dbt("compile", "--select", "fct_orders+")  # compiled SQL: column lineage
        demo.check(expect=1)

        say("\n4. Commerce proposes the change; every consumer team must answer.")
        out = demo.dbt("run-operation", "tessera.propose", "--args",
                       "{model: fct_orders, reason: is_paid moves to fct_payments}")
        proposal_id = _proposal_id(out)
        required = demo.query(
            "select team from main_tessera.tessera_events where event_type = "
            f"'proposal_required' and proposal_id = '{proposal_id}' order by team")
        for (team,) in required:
            demo.dbt("run-operation", "tessera.acknowledge", "--args",
                     f"{{proposal_id: {proposal_id}, team: {team}, response: approved}}",
                     quiet=team != required[-1][0])
        say("   Approved: the same check now lets the change through (exit code 0).")
        demo.check(expect=0)

        say("\n5. The merged change ships: the build's hook publishes 2.0.0.")
        demo.dbt("build", "--select", "fct_orders", "--indirect-selection", "cautious")
        _published(demo, say, "%.fct_orders")
        rows = demo.query("select proposal_id, status, required_acks, received_acks "
                          "from main_tessera.tessera_proposals")
        say(table(("proposal", "status", "required", "received"), rows))

        say("\n6. Audit: every dbt test is recorded against the guarantee it checks. A build")
        say("   where one guarantee fails (the project's var tessera_it_failing):")
        demo.dbt("build", "--select", "+dim_products", "+dim_customers",
                 "--indirect-selection", "cautious", "--vars", "{tessera_it_failing: true}")
        rows = demo.query(
            "select asset, guarantee, status, failures from main_tessera.tessera_audit_results "
            "where status != 'pass' order by asset")
        say(table(("asset", "guarantee", "status", "failures"), rows))
        demo.tessera("audit", "dim_products", "--days", "7")

        say(f"\nDone in {time.perf_counter() - started:.0f}s. Where to look: the BI models "
            "tessera_contracts, tessera_proposals, tessera_acknowledgments, "
            "tessera_consumers, tessera_audit_results, tessera_audit_trends, "
            "tessera_audit_alerts and tessera_contract_status in "
            f"schema main_tessera of {demo.env['TESSERA_DUCKDB_PATH']}"
            + ("" if keep else " (removed now; run `tessera demo --keep` to keep it)") + ".")
        return 0
    finally:
        if keep:
            say(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _proposal_id(lines: list[str]) -> str:
    for line in lines:
        found = re.search(r"\b(p_[0-9a-f]{16})\b", line)
        if found:
            return found.group(1)
    raise ConfigError("the demo's proposal was not made: " + " / ".join(lines))


IS_PAID_SQL = """        cast(
            case
                when order_payments.paid_amount >= coalesce(order_items.amount, 0) then true
                else false
            end
            as boolean
        ) as is_paid,
"""
