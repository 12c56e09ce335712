"""`tessera inbox` and `tessera status` against `dbt run-operation tessera.inbox`.

A copy of integration_tests is built on DuckDB and a breaking change proposed, so the inbox
has something to list. `tessera status` runs once through dbt (which locates the state for
the CLI, cli.direct), then `--repeats` interleaved rounds of three fresh processes:

  dbt       `dbt run-operation tessera.inbox --args '{team: marketing}'` (the baseline);
  inbox     `tessera inbox --team marketing`;
  status    `tessera status`.

Medians of wall and CPU seconds (the child's user + system). Acceptance (issue 23): both
CLI reads ≤ 0.3× the dbt operation, on wall time, as a user waits.

    python -m bench.read_commands [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._common import ROOT, Figure, children_cpu, table, workdir
from .hook_overhead import dbt_executable

NAME = "read_commands"
DEFAULT_REPEATS = 3
TARGET_RATIO = 0.3
# fct_orders' is_paid dropped from its YAML and its SQL (as tests/runtime/test_hook.py does)
_DROP_IS_PAID = (
    ("models/commerce/fct_orders.yml",
     "      - name: is_paid\n        data_type: boolean\n"
     "        description: True when captured payments cover the order amount.\n", ""),
    ("models/commerce/fct_orders.sql",
     "        cast(\n            case\n                when order_payments.paid_amount >= "
     "coalesce(order_items.amount, 0) then true\n                else false\n            end\n"
     "            as boolean\n        ) as is_paid,\n", ""))


def _run(project: Path, argv: Sequence[str]) -> tuple[float, float]:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "TESSERA_DUCKDB_PATH": str(project / "warehouse.duckdb")}
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run([*argv, "--project-dir", str(project), "--profiles-dir",
                           str(project)], cwd=project, env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SystemExit(f"bench: `{' '.join(argv)}` failed in {project}:\n{tail}")
    return wall, children_cpu() - cpu


def run(repeats: int = DEFAULT_REPEATS, keep: str | None = None) -> list[Figure]:
    from tessera_dbt.cli.demo import copy_example

    dbt = dbt_executable()
    tessera = str(Path(sys.executable).parent / "tessera")
    with workdir(keep, "tessera-read-commands-") as base:
        project = copy_example(base / "integration_tests", ROOT)
        for step in (["deps"], ["build"]):
            _run(project, [dbt, *step])
        for path, old, new in _DROP_IS_PAID:
            text = (project / path).read_text()
            if old not in text:
                raise SystemExit(f"bench: {path} no longer holds the is_paid column")
            (project / path).write_text(text.replace(old, new, 1))
        _run(project, [dbt, "run-operation", "tessera.propose", "--args",
                       "{model: fct_orders}"])
        _run(project, [tessera, "status"])  # through dbt: the CLI keeps the location
        commands = {
            "dbt": [dbt, "run-operation", "tessera.inbox", "--args", "{team: marketing}"],
            "inbox": [tessera, "inbox", "--team", "marketing"],
            "status": [tessera, "status"],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_ in range(1, repeats + 1):
            for name, argv in commands.items():
                times[name].append(_run(project, argv))
            print(f"  round {round_}/{repeats}: " + ", ".join(
                f"{n} {t[-1][0]:.2f} s" for n, t in times.items()), flush=True)
    wall = {n: statistics.median(w for w, _ in t) for n, t in times.items()}
    cpu = {n: statistics.median(c for _, c in t) for n, t in times.items()}
    load = os.getloadavg()[0]
    print(table((f"fresh process (median of {repeats})", "wall s", "CPU s", "ratio (wall)"), [
        (" ".join(Path(a).name if i == 0 else a for i, a in enumerate(commands[n])),
         f"{wall[n]:.2f}", f"{cpu[n]:.2f}", f"{wall[n] / wall['dbt']:.2f}")
        for n in commands]))
    print(f"{os.cpu_count()} cores, load average {load:.2f}; target: each read <= "
          f"{TARGET_RATIO}x the dbt operation")
    return [Figure(NAME, f"tessera {n}", wall[n], "dbt run-operation tessera.inbox",
                   wall["dbt"], f"ratio <= {TARGET_RATIO}", wall[n] / wall["dbt"] <= TARGET_RATIO)
            for n in ("inbox", "status")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_commands",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and leave it there")
    args = parser.parse_args(argv)
    figures = run(args.repeats, args.keep)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
