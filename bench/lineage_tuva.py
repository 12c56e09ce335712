"""Column lineage of every downstream edge of the Tuva manifest (737 models), cold and warm.

The corpus manifest was written by an offline build, so its models carry no compiled SQL.
Step 0 (not timed against the target) compiles them with dbt's own compiler from the
manifest's macros, in a subprocess, with the vars Tuva's integration project sets; models
whose macros query the warehouse fail to compile and stay "reads everything", as they
would for a user without `dbt compile`. The compiled SQL is kept in the work directory.

Then, in this process: the baseline is `json.load` of the manifest; "cold" is the lineage
of every (parent, child) edge of models and snapshots with an empty cache (then written);
"warm" is the same with the cache read back from disk. Target: cold <= 30 s.

    python -m bench.lineage_tuva [--work DIR] [--repeats N]
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ._common import TUVA, Figure, corpus_file, table

NAME = "lineage_tuva"
TARGET_SECONDS = 30.0
TUVA_VARS = {"tuva_last_run": "2024-01-01 00:00:00", "claims_enabled": True,
             "clinical_enabled": True, "provider_attribution_enabled": True}


def compile_manifest(manifest: Path, out: Path) -> None:
    """unique_id → compiled SQL of every model dbt can compile from the manifest alone
    (run in a subprocess: it registers an adapter and sets dbt's global flags)."""
    from argparse import Namespace

    from dbt.adapters.factory import get_adapter, register_adapter
    from dbt.compilation import Compiler
    from dbt.config.runtime import RuntimeConfig
    from dbt.context.providers import generate_runtime_macro_context
    from dbt.contracts.graph.manifest import Manifest, WritableManifest
    from dbt.flags import set_from_args
    from dbt.mp_context import get_mp_context

    loaded = Manifest.from_writable_manifest(
        WritableManifest.read_and_check_versions(str(manifest)))
    project = out.parent / "dbt_project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "dbt_project.yml").write_text(
        f"name: {loaded.metadata.project_name or 'integration_tests'}\nprofile: bench\n"
        "config-version: 2\n")
    (project / "profiles.yml").write_text(
        "bench:\n  target: t\n  outputs:\n    t: {type: duckdb, path: ':memory:'}\n")
    args = Namespace(project_dir=str(project), profiles_dir=str(project), target=None,
                     profile=None, threads=1, vars=TUVA_VARS, which="compile")
    set_from_args(args, None)
    config = RuntimeConfig.from_args(args)
    register_adapter(config, get_mp_context())
    adapter = get_adapter(config)
    adapter.set_macro_resolver(loaded)
    adapter.set_macro_context_generator(generate_runtime_macro_context)
    compiler = Compiler(config)
    compiled: dict[str, str] = {}
    with adapter.connection_named("bench"):
        for uid, node in loaded.nodes.items():
            if node.resource_type not in ("model", "snapshot"):
                continue
            try:
                compiled[uid] = compiler.compile_node(node, loaded, {}, write=False).compiled_code
            except Exception:  # noqa: BLE001 (a model dbt cannot compile offline)
                continue
    out.write_text(json.dumps(compiled))


def edges(manifest) -> list[tuple[str, str]]:
    return [(parent, uid) for uid, node in manifest.nodes.items()
            if node.get("resource_type") in ("model", "snapshot")
            for parent in (node.get("depends_on") or {}).get("nodes") or ()]


def lineage_of_every_edge(manifest, compiled, cache_path: Path | None):
    from tessera_dbt.lineage.cache import LineageCache
    from tessera_dbt.lineage.columns import Lineage

    cache = LineageCache(str(cache_path) if cache_path else None)
    lineage = Lineage(manifest, cache, compiled)
    results = {edge: lineage.edge(*edge) for edge in edges(manifest)}
    cache.save()
    return results


def run(repeats: int = 1, work: Path | None = None) -> list[Figure]:
    from tessera_dbt.artifacts.readers import load_manifest

    path = corpus_file(TUVA)
    work = work or Path(tempfile.mkdtemp(prefix="tessera-lineage-"))
    work.mkdir(parents=True, exist_ok=True)
    compiled_path = work / "compiled.json"
    if not compiled_path.exists():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bench.lineage_tuva", "--compile-to",
                        str(compiled_path)], check=True, cwd=Path(__file__).parents[1])
        print(f"compiled with dbt in {time.perf_counter() - start:.1f} s (not timed)")
    compiled = json.loads(compiled_path.read_text())
    manifest = load_manifest(str(path))

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    def baseline() -> None:
        with open(path, "rb") as handle:
            json.load(handle)

    cache_path = work / "tessera_lineage_cache.json"

    def cold() -> None:
        cache_path.unlink(missing_ok=True)
        lineage_of_every_edge(manifest, compiled, cache_path)

    base = best(baseline)
    cold_s = best(cold)
    results: dict = {}

    def warm() -> None:
        results.update(lineage_of_every_edge(manifest, compiled, cache_path))

    warm_s = best(warm)
    models = sum(1 for n in manifest.nodes.values() if n.get("resource_type") == "model")
    why = collections.Counter(
        (r.unresolved or "").split(" (")[0] for r in results.values() if r.unresolved)
    resolved = sum(1 for r in results.values() if not r.unresolved)
    print(f"{models} models, {len(compiled)} compiled, {len(results)} edges: "
          f"{resolved} resolved column by column")
    print(table(("reads everything because", "edges"), sorted(why.items(), key=lambda x: -x[1])))
    print(table(("step", "seconds", "x json.load"),
                [("json.load (baseline)", f"{base:.2f}", "1.0"),
                 ("lineage, cold cache", f"{cold_s:.2f}", f"{cold_s / base:.1f}"),
                 ("lineage, warm cache", f"{warm_s:.2f}", f"{warm_s / base:.1f}")]))
    return [
        Figure(NAME, f"every edge, cold ({len(results)} edges)", cold_s, "json.load", base,
               f"total <= {TARGET_SECONDS:.0f} s", cold_s <= TARGET_SECONDS),
        Figure(NAME, "every edge, warm cache", warm_s, "json.load", base),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lineage_tuva",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="keep compiled SQL and the cache here")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compile_to:
        compile_manifest(corpus_file(TUVA), args.compile_to)
        return 0
    figures = run(args.repeats, args.work)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
