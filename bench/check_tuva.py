"""`tessera check` on the largest real manifest of the corpus (Tuva, 737 models).

The baseline is the Tuva manifest itself; the pull request is a copy with 20 edits on 20
models (a column dropped, a column retyped, a test removed, a test turned into a warning,
in turn). Tuva puts no asset under contract, so the check runs with `--all` (every model,
seed, snapshot and source: 869 assets). Two commands run as fresh processes, alternating,
best of N each:

  (a) python -c "json.load(A); json.load(B)"        reading both manifests, the baseline
  (b) tessera check --manifest B --baseline A --all --format json
  (c) the same with --catalog: a catalog.json of B's relations (every documented column),
      so every asset's served columns are merged in (engine.served)

Acceptance target: (b) and (c) under 5 s. The output is checked: exit code 1 (a dropped column
breaks) and exactly the 20 edited assets reported as changed.

    python -m bench.check_tuva [--manifest P] [--edits N] [--repeats N]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import TUVA, Figure, children_cpu, corpus_file, table
from .contracts_vs_json_load import tessera_command

NAME = "check_tuva"
TARGET_SECONDS = 5.0
DEFAULT_EDITS = 20
DEFAULT_REPEATS = 3
_EDITS = ("drop column", "retype column", "remove test", "test to warn")


def edit_manifest(manifest: dict[str, Any], edits: int, seed: int = 7
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy with `edits` edits, one per model, cycling through the kinds; returns the
    copy and unique_id → kind of edit."""
    out = copy.deepcopy(manifest)
    nodes = out["nodes"]
    tests_of: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") == "test" and node.get("attached_node"):
            tests_of.setdefault(node["attached_node"], []).append(uid)
    candidates = sorted(uid for uid, n in nodes.items()
                        if n.get("resource_type") == "model" and len(n.get("columns") or {}) >= 2
                        and tests_of.get(uid))
    if len(candidates) < edits:
        raise SystemExit(f"bench: only {len(candidates)} models can be edited, {edits} asked")
    done: dict[str, str] = {}
    for i, uid in enumerate(random.Random(seed).sample(candidates, edits)):
        kind, node = _EDITS[i % len(_EDITS)], nodes[uid]
        columns = node["columns"]
        if kind == "drop column":
            del columns[sorted(columns)[-1]]
        elif kind == "retype column":
            column = columns[sorted(columns)[0]]
            column["data_type"] = "bigint" if column.get("data_type") != "bigint" else "text"
        elif kind == "remove test":
            test = sorted(tests_of[uid])[0]
            del nodes[test]
            for children in out.get("child_map", {}).values():
                if test in children:
                    children.remove(test)
        else:
            test = nodes[sorted(tests_of[uid])[0]]
            test.setdefault("config", {})["severity"] = "warn"
        done[uid] = kind
    return out, done


def served_catalog(manifest: dict[str, Any]) -> dict[str, Any]:
    """A catalog.json of the pull request's relations as a build leaves them: every
    documented column, typed as declared (a seed's column_types too; varchar where
    nothing declares one)."""
    from tessera_dbt.artifacts.contracts import declared_columns

    def entry(node: dict[str, Any]) -> dict[str, Any]:
        return {"columns": {str(c.get("name") or k): {
            "name": str(c.get("name") or k), "index": i + 1,
            "type": c.get("data_type") or "varchar"}
            for i, (k, c) in enumerate(declared_columns(node).items())}}

    return {"metadata": {}, "nodes": {uid: entry(n) for uid, n in manifest["nodes"].items()
                                      if n.get("resource_type") in ("model", "seed",
                                                                    "snapshot")},
            "sources": {uid: entry(n) for uid, n in manifest.get("sources", {}).items()}}


def _run(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    import time

    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-2000:]}")
    return elapsed, children_cpu() - cpu, done


def run(manifest: Path | str | None = None, edits: int = DEFAULT_EDITS,
        repeats: int = DEFAULT_REPEATS) -> list[Figure]:
    source = Path(manifest) if manifest else corpus_file(TUVA)
    original = json.loads(source.read_text())
    edited, kinds = edit_manifest(original, edits)
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as tmp:
        baseline, current = Path(tmp) / "baseline.json", Path(tmp) / "manifest.json"
        baseline.write_text(json.dumps(original))
        current.write_text(json.dumps(edited))
        catalog = Path(tmp) / "catalog.json"
        catalog.write_text(json.dumps(served_catalog(edited)))
        commands = {
            "json.load x2": [sys.executable, "-c",
                             f"import json; json.load(open({str(baseline)!r})); "
                             f"json.load(open({str(current)!r}))"],
            "check": [*tessera_command(), "check", "--manifest", str(current), "--baseline",
                      str(baseline), "--all", "--format", "json", "--project-dir", tmp,
                      "--no-catalog"],
            # every relation's served columns merged in (engine.served), as after
            # `dbt docs generate` in CI
            "check + catalog": [*tessera_command(), "check", "--manifest", str(current),
                                "--baseline", str(baseline), "--all", "--format", "json",
                                "--project-dir", tmp, "--catalog", str(catalog)],
        }
        for key in ("check", "check + catalog"):  # untimed: checks the answer
            _, _, warm = _run(commands[key])
            report = json.loads(warm.stdout)
            changed = {a["unique_id"] for a in report["assets"]
                       if a["status"] != "unchanged"}
            if warm.returncode != 1 or changed != set(kinds):
                raise RuntimeError(f"{NAME} ({key}): expected exit 1 and the {len(kinds)} "
                                   f"edited assets changed, got exit {warm.returncode} and "
                                   f"{sorted(changed)}")
        best = {key: float("inf") for key in commands}
        cpu = dict(best)
        for _ in range(max(1, repeats)):
            for key, command in commands.items():
                wall, used, _ = _run(command)
                best[key] = min(best[key], wall)
                cpu[key] = min(cpu[key], used)
    counts = {s: n for s, n in report["summary"].items() if n}
    print(f"[{NAME}] {source.parent.name}: {len(report['assets'])} assets, {edits} edits "
          f"({', '.join(f'{n} {s}' for s, n in counts.items())})")
    print(table(("command", "wall s", "cpu s", "ratio"),
                [(key, f"{best[key]:.3f}", f"{cpu[key]:.3f}",
                  f"{best[key] / best['json.load x2']:.2f}") for key in commands]))
    print(f"best of {repeats}, alternating; target: check < {TARGET_SECONDS:.0f} s")
    return [Figure(NAME, f"check --all, Tuva + {edits} edits", best["check"],
                   "json.load x2", best["json.load x2"], f"total < {TARGET_SECONDS:.0f} s",
                   best["check"] < TARGET_SECONDS),
            Figure(NAME, f"check --all --catalog, Tuva + {edits} edits",
                   best["check + catalog"], "json.load x2", best["json.load x2"],
                   f"total < {TARGET_SECONDS:.0f} s", best["check + catalog"] < TARGET_SECONDS)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", metavar="PATH", help="default: the Tuva manifest")
    parser.add_argument("--edits", type=int, default=DEFAULT_EDITS)
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    args = parser.parse_args(argv)
    figures = run(args.manifest, args.edits, args.repeats)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
