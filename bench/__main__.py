"""`python -m bench` (`make bench`): every benchmark, then one summary table of ratios.

Add a benchmark by appending (name, callable) to BENCHMARKS; the callable runs it with its
defaults, prints its own details and returns its figures (bench._common.Figure). The exit
code is 1 when any figure misses its acceptance target.

    python -m bench [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from . import (
    check_tuva,
    classify_pairs,
    contracts_vs_json_load,
    dbt_parse,
    hook_overhead,
    lineage_tuva,
    package_cost,
    read_commands,
    report_html,
    spark_build,
)
from ._common import Figure, figures_table

BENCHMARKS: list[tuple[str, Callable[[], list[Figure]]]] = [
    (contracts_vs_json_load.NAME, contracts_vs_json_load.run),
    (classify_pairs.NAME, classify_pairs.run),
    (hook_overhead.NAME, hook_overhead.run),
    (package_cost.NAME, package_cost.run),
    (read_commands.NAME, read_commands.run),
    (dbt_parse.NAME, dbt_parse.run),
    (check_tuva.NAME, check_tuva.run),
    (lineage_tuva.NAME, lineage_tuva.run),
    (report_html.NAME, report_html.run),
    (spark_build.NAME, spark_build.run),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    names = [name for name, _ in BENCHMARKS]
    if args.list:
        print("\n".join(names))
        return 0
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (one of: {', '.join(names)})")
    figures: list[Figure] = []
    for name, bench in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"=== {name}", flush=True)
        start = time.perf_counter()
        figures += bench()
        print(f"=== {name}: {time.perf_counter() - start:.0f} s\n", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"=== summary ({os.cpu_count()} cores, load average {load:.2f}; ratios are "
          "against a baseline measured in the same session)")
    print(figures_table(figures))
    failed = [f for f in figures if f.ok is False]
    if failed:
        print(f"\n{len(failed)} figure(s) miss their target: "
              + "; ".join(f"{f.bench}: {f.name} ({f.target})" for f in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
