"""What installing tessera costs a small project's every `dbt build`, on DuckDB.

The project is jaffle_shop_duckdb as dbt Labs publishes it (vendored under
bench/fixtures/, with its provenance and licence): 3 seeds, 5 models, 20 tests. Two copies
build into their own DuckDB files side by side: one plain, one with this checkout installed
through packages.yml (`local:`), as a user installs the package. After a first build of
each (the package's first build creates its state tables and publishes), they run
alternating `dbt build`, as fresh processes, `--repeats` times each:

  plain     the project alone (the baseline);
  package   the project with tessera: its hooks and its own models;
  hooks     the project with tessera, its own models excluded (`--exclude package:tessera`),
            so the package's models' share is `package - hooks`.

Medians are reported, the ratio is package / plain. Acceptance target (issue 16): the
package adds less than 10 % and less than 0.5 s to the build.

    python -m bench.package_cost [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ._common import ROOT, Figure, table, workdir
from .hook_overhead import dbt_executable

NAME = "package_cost"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "jaffle_shop_duckdb"
DEFAULT_REPEATS = 5
TARGET_RATIO = 1.10
TARGET_ADDED_SECONDS = 0.5
VARIANTS = {"plain": ("plain", ()), "package": ("package", ()),
            "hooks": ("package", ("--exclude", "package:tessera"))}


def _project(dest: Path, with_package: bool) -> Path:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("PROVENANCE.md"))
    (dest / "profiles.yml").write_text(
        "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{dest / 'jaffle_shop.duckdb'}'\n      threads: 4\n")
    if with_package:
        (dest / "packages.yml").write_text(f"packages:\n  - local: '{ROOT}'\n")
    return dest


def _dbt(project: Path, *args: str) -> float:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    start = time.perf_counter()
    done = subprocess.run([dbt_executable(), *args, "--profiles-dir", str(project)],
                          cwd=project, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SystemExit(f"bench: `dbt {' '.join(args)}` failed in {project}:\n{tail}")
    return seconds


def run(repeats: int = DEFAULT_REPEATS, keep: str | None = None) -> list[Figure]:
    with workdir(keep, "tessera-package-cost-") as base:
        projects = {"plain": _project(base / "plain", False),
                    "package": _project(base / "package", True)}
        _dbt(projects["package"], "deps")
        for project in projects.values():  # first builds: parse, create, publish
            _dbt(project, "build")
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for round_ in range(1, repeats + 1):
            for name, (project, extra) in VARIANTS.items():
                times[name].append(_dbt(projects[project], "build", *extra))
            print(f"  round {round_}/{repeats}: " + ", ".join(
                f"{n} {t[-1]:.2f} s" for n, t in times.items()), flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    added = median["package"] - median["plain"]
    ratio = median["package"] / median["plain"]
    ok = ratio <= TARGET_RATIO and added <= TARGET_ADDED_SECONDS
    print(table((f"build (median of {repeats})", "s", "added s", "ratio"), [
        ("plain jaffle_shop_duckdb", f"{median['plain']:.2f}", "-", "1.00"),
        ("with tessera, own models excluded", f"{median['hooks']:.2f}",
         f"{median['hooks'] - median['plain']:+.2f}", f"{median['hooks'] / median['plain']:.2f}"),
        ("with tessera", f"{median['package']:.2f}", f"{added:+.2f}", f"{ratio:.2f}"),
    ]))
    print(f"the package's own models: {median['package'] - median['hooks']:+.2f} s; "
          f"target: ratio <= {TARGET_RATIO:.2f} and added <= {TARGET_ADDED_SECONDS} s: "
          + ("ok" if ok else "FAIL"))
    return [Figure(NAME, "dbt build with the package", median["package"],
                   "plain dbt build", median["plain"],
                   f"ratio <= {TARGET_RATIO:.2f}, +<= {TARGET_ADDED_SECONDS} s", ok),
            Figure(NAME, "dbt build, package models excluded", median["hooks"],
                   "plain dbt build", median["plain"])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.package_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and leave it there")
    args = parser.parse_args(argv)
    figures = run(args.repeats, args.keep)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
