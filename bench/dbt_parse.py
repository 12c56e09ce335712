"""What tessera adds to `dbt parse`: the plugin, and the package as a whole.

The project is hook_overhead's generator (N trivial models in layers, three tests each,
about 20% under contract; default 500 models), parsed from scratch (`--no-partial-parse`,
a fresh process each time) in three variants, alternating, best of N each:

  bare     the same project without the tessera package (no packages.yml) and without
           the plugin: dbt alone;
  package  the tessera package installed (its macros and models are parsed too), the
           plugin not loaded;
  plugin   the package and the plugin: what a user runs.

dbt loads plugins by importing every top-level `dbt_*` module it finds
(`dbt.plugins.manager.PluginManager.get_prefixed_modules`). Both the plugin-less variants
and the plugin variant run dbt through the same small launcher (`python -c ...`, which then
calls dbt's own `cli()`); for the plugin-less variants the launcher leaves `dbt_tessera` out
of that discovery, which is exactly "tessera-dbt not installed where dbt runs" while every
other module stays where it is. Ratios, of dbt's CPU seconds (the wall clock of a shared
machine measures the neighbours; both are printed): plugin / package (what the plugin costs;
target: adds under 0.5 s) and plugin / bare (what adopting tessera costs a parse).

    python -m bench.dbt_parse [--models N] [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ._common import Figure, table
from .hook_overhead import generate

NAME = "dbt_parse"
DEFAULT_MODELS = 500
DEFAULT_REPEATS = 3
TARGET_ADDED_SECONDS = 0.5
VARIANTS = ("bare", "package", "plugin")
PLUGIN_MODULE = "dbt_tessera"
# dbt's own entry point, with or without the tessera plugin in dbt's plugin discovery.
LAUNCHER = """\
import sys
hidden = sys.argv.pop(1)  # a module name, or "-"
if hidden != "-":
    import importlib, pkgutil
    import dbt.plugins.manager as manager
    def get_prefixed_modules(cls):
        return {name: importlib.import_module(name) for _, name, _ in pkgutil.iter_modules()
                if name.startswith(cls.PLUGIN_MODULE_PREFIX) and name != hidden}
    manager.PluginManager.get_prefixed_modules = classmethod(get_prefixed_modules)
from dbt.cli.main import cli
sys.argv[0] = "dbt"
sys.exit(cli())
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Parser:
    """Runs `dbt <args>` in one of the variants' projects, as a fresh process."""

    def __init__(self, projects: dict[str, Path]) -> None:
        self.projects = projects
        self.env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR"):
            self.env.pop(key, None)

    def run(self, variant: str, *args: str) -> tuple[float, float, str]:
        """(wall, CPU) seconds of one invocation, and what it printed."""
        path = self.projects[variant]
        hidden = "-" if variant == "plugin" else PLUGIN_MODULE
        cmd = [sys.executable, "-c", LAUNCHER, hidden, *args, "--project-dir", str(path),
               "--profiles-dir", str(path)]
        cpu = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=path, env=self.env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"`dbt {' '.join(args)}` ({variant}) exited {done.returncode}:\n"
                               f"{(done.stdout + done.stderr)[-3000:]}")
        return wall, _children_cpu() - cpu, done.stdout


def setup(base: Path, models: int) -> dict[str, Path]:
    """The generated project twice: with the package (deps installed) and without it."""
    with_package = generate(base / "with_package", models).path
    bare = generate(base / "bare", models).path
    (bare / "packages.yml").unlink()
    return {"bare": bare, "package": with_package, "plugin": with_package}


def run(models: int = DEFAULT_MODELS, repeats: int = DEFAULT_REPEATS,
        keep: Path | str | None = None) -> list[Figure]:
    tmp = None
    if keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="tessera-parse-bench-")
        base = Path(tmp.name)
    else:
        base = Path(keep)
        if base.exists():
            shutil.rmtree(base)
    try:
        return _run(base, models, repeats)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(base: Path, models: int, repeats: int) -> list[Figure]:
    projects = setup(base, models)
    parser = Parser(projects)
    deps, _, _ = parser.run("plugin", "deps")
    print(f"[{NAME}] {models} models (+3 tests each) in {base}; dbt deps {deps:.1f} s; "
          f"{repeats} round(s) of `dbt parse --no-partial-parse`, variants alternating ...",
          flush=True)
    best = {v: (float("inf"), float("inf")) for v in VARIANTS}
    for _ in range(max(1, repeats)):
        for variant in VARIANTS:
            wall, cpu, _ = parser.run(variant, "parse", "--no-partial-parse")
            best[variant] = (min(best[variant][0], wall), min(best[variant][1], cpu))
    print(table(("variant", "wall s", "cpu s"),
                [(v, f"{best[v][0]:.2f}", f"{best[v][1]:.2f}") for v in VARIANTS]))
    # CPU seconds of dbt's process: on a shared machine the wall clock mostly measures
    # the neighbours (a parse is single-threaded, so CPU is close to wall when idle)
    cpu = {v: best[v][1] for v in VARIANTS}
    added = cpu["plugin"] - cpu["package"]
    return [
        Figure(NAME, f"parse {models} models (CPU), plugin loaded", cpu["plugin"],
               "plugin not loaded", cpu["package"],
               f"added < {TARGET_ADDED_SECONDS:g} s (added {added:+.2f} s)",
               added < TARGET_ADDED_SECONDS),
        Figure(NAME, f"parse {models} models (CPU), package + plugin", cpu["plugin"],
               "no tessera", cpu["bare"]),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=DEFAULT_MODELS,
                        help=f"models in the generated project (default {DEFAULT_MODELS})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"best of how many parses per variant (default {DEFAULT_REPEATS})")
    parser.add_argument("--keep", metavar="DIR",
                        help="generate the projects in DIR (emptied first) and keep them")
    args = parser.parse_args(argv)
    figures = run(args.models, args.repeats, args.keep)
    failed = [f for f in figures if f.ok is False]
    for f in failed:
        print(f"FAIL {f.name}: {f.target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
