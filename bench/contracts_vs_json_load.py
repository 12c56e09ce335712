"""`tessera contracts` against the bare cost of reading the manifest.

For each manifest, three commands run as fresh processes, alternating, best of N each:

  (a) python -c "import json; json.load(open(P))"          the baseline
  (b) tessera contracts --manifest P --format json          stdout to /dev/null
  (c) tessera contracts --manifest P --all --format json    stdout to /dev/null

and the ratios b/a and c/a are printed. Acceptance target: b/a <= 2.0 on every manifest
(exit 1 otherwise). The manifests are the largest real one of the corpus (Tuva, 737 models)
and a synthetic one of 10,000 models (bench.synthetic_manifest), generated in a temporary
directory. The runs are sequential: with two cores, one timed process at a time.

    python -m bench.contracts_vs_json_load [--manifest P ...] [--models N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ._common import TUVA, Figure, children_cpu, corpus_file, table
from .synthetic_manifest import DEFAULT_MODELS, DEFAULT_SEED, generate

NAME = "contracts_vs_json_load"
TARGET_RATIO = 2.0
DEFAULT_REPEATS = 5


def tessera_command() -> list[str]:
    """The `tessera` script next to this interpreter, else on PATH, else `-m`."""
    script = Path(sys.executable).parent / "tessera"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("tessera")
    return [found] if found else [sys.executable, "-m", "tessera_dbt.cli"]


def commands(path: Path) -> dict[str, list[str]]:
    tessera = tessera_command()
    return {
        "json.load": [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"],
        "contracts": [*tessera, "contracts", "--manifest", str(path), "--format", "json"],
        "contracts --all": [*tessera, "contracts", "--manifest", str(path), "--all",
                            "--format", "json"],
    }


def _run(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; the CPU time (user + system of the child) is the
    figure that the other processes of a busy machine disturb least."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-2000:]}")
    return elapsed, children_cpu() - cpu


def _count_documents(command: list[str]) -> int:
    """Untimed warm-up run that also checks the output is a JSON list of documents."""
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-2000:]}")
    documents = json.loads(done.stdout)
    if not isinstance(documents, list):
        raise RuntimeError(f"{' '.join(command)} did not print a JSON list")
    return len(documents)


@dataclass
class Row:
    label: str
    models: int
    megabytes: float
    documents: int
    documents_all: int
    seconds: dict[str, float]  # best wall time per command
    cpu: dict[str, float]  # best CPU time per command

    @property
    def ratio(self) -> float:
        return self.seconds["contracts"] / self.seconds["json.load"]

    @property
    def ratio_all(self) -> float:
        return self.seconds["contracts --all"] / self.seconds["json.load"]

    @property
    def cpu_ratio(self) -> float:
        return self.cpu["contracts"] / self.cpu["json.load"]

    @property
    def cpu_ratio_all(self) -> float:
        return self.cpu["contracts --all"] / self.cpu["json.load"]


def measure(label: str, path: Path, models: int, repeats: int) -> Row:
    """Best of `repeats` for each command, the three run in turn in every round."""
    cmds = commands(path)
    subprocess.run(cmds["json.load"], check=True)  # warm the page cache
    documents = _count_documents(cmds["contracts"])
    documents_all = _count_documents(cmds["contracts --all"])
    best = {key: float("inf") for key in cmds}
    cpu = dict(best)
    for _ in range(max(1, repeats)):
        for key, command in cmds.items():
            wall, used = _run(command)
            best[key] = min(best[key], wall)
            cpu[key] = min(cpu[key], used)
    return Row(label, models, path.stat().st_size / 1e6, documents, documents_all, best, cpu)


def _models_in(path: Path) -> int:
    with open(path, "rb") as handle:
        nodes = json.load(handle).get("nodes") or {}
    return sum(1 for n in nodes.values() if n.get("resource_type") == "model")


def run(manifests: Sequence[Path | str] | None = None, models: int = DEFAULT_MODELS,
        repeats: int = DEFAULT_REPEATS, seed: int = DEFAULT_SEED,
        synthetic: Path | str | None = None, out: TextIO | None = None) -> list[Figure]:
    """Measure every manifest (default: Tuva) plus a synthetic one of `models` models
    (0: none; `synthetic`: use that file instead of generating one). Prints the table and
    returns the figures."""
    paths = [Path(p) for p in manifests] if manifests is not None else [corpus_file(TUVA)]
    rows: list[Row] = []
    for path in paths:
        label = path.parent.name if path.name.startswith("manifest") else path.stem
        print(f"[{NAME}] {label}: {repeats} rounds ...", file=out, flush=True)
        rows.append(measure(label, path, _models_in(path), repeats))
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as tmp:
        if synthetic is not None:
            path = Path(synthetic)
            rows_models = _models_in(path)
        elif models > 0:
            path = Path(tmp) / "manifest.json"
            start = time.perf_counter()
            stats = generate(path, models, seed)
            rows_models = stats["models"]
            print(f"[{NAME}] synthetic manifest: {rows_models} models, {stats['tests']} tests, "
                  f"{stats['bytes'] / 1e6:.0f} MB, generated in "
                  f"{time.perf_counter() - start:.1f} s", file=out, flush=True)
        else:
            path = None
        if path is not None:
            print(f"[{NAME}] synthetic {rows_models}: {repeats} rounds ...", file=out,
                  flush=True)
            rows.append(measure(f"synthetic {rows_models}", path, rows_models, repeats))
    print(file=out)
    print(table(
        ("manifest", "models", "MB", "docs", "docs --all", "json.load s", "contracts s",
         "ratio", "with --all s", "ratio"),
        [(r.label, r.models, f"{r.megabytes:.1f}", r.documents, r.documents_all,
          f"{r.seconds['json.load']:.3f}", f"{r.seconds['contracts']:.3f}", f"{r.ratio:.2f}",
          f"{r.seconds['contracts --all']:.3f}", f"{r.ratio_all:.2f}") for r in rows]),
        file=out)
    print(f"wall time, best of {repeats}, alternating; target: contracts / json.load <= "
          f"{TARGET_RATIO}", file=out)
    print("CPU time (user + system) of the same runs, best of each: "
          + "; ".join(f"{r.label}: json.load {r.cpu['json.load']:.3f} s, contracts "
                      f"{r.cpu['contracts']:.3f} s (ratio {r.cpu_ratio:.2f}), --all "
                      f"{r.cpu['contracts --all']:.3f} s (ratio {r.cpu_ratio_all:.2f})"
                      for r in rows), file=out)
    figures = []
    for r in rows:
        figures.append(Figure(NAME, f"contracts, {r.label}", r.seconds["contracts"],
                              "json.load", r.seconds["json.load"],
                              f"ratio <= {TARGET_RATIO}", r.ratio <= TARGET_RATIO))
        figures.append(Figure(NAME, f"contracts --all, {r.label}",
                              r.seconds["contracts --all"], "json.load",
                              r.seconds["json.load"]))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", action="append", default=None, metavar="PATH",
                        help="a manifest to measure (repeatable; default: the Tuva manifest "
                             "of the corpus)")
    parser.add_argument("--models", type=int, default=DEFAULT_MODELS,
                        help=f"models in the synthetic manifest (default {DEFAULT_MODELS}; "
                             "0 for none)")
    parser.add_argument("--synthetic", metavar="PATH",
                        help="an already generated synthetic manifest to use")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"best of how many runs (default {DEFAULT_REPEATS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    figures = run(args.manifest, args.models, args.repeats, args.seed, args.synthetic)
    failed = [f for f in figures if f.ok is False]
    for f in failed:
        print(f"FAIL {f.name}: {f.seconds:.3f} s vs json.load {f.baseline_seconds:.3f} s, "
              f"ratio {f.ratio:.2f} > {TARGET_RATIO}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
