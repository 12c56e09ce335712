"""`dbt run-operation tessera.audit_ingest`: record the audit rows of runs made without the
on-run-end hook (dbt Cloud artifacts, a project that disabled the hook) from their
run_results.json and sources.json.

Every file is read and checked before anything is written; rows get the same deterministic
ids the hook gives them, so ingesting a file twice, or a run the hook already recorded,
records nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..artifacts.contracts import Extractor
from ..artifacts.readers import load_manifest, load_run_results, load_sources
from ..engine.errors import ConfigError
from ..state.audit import audit_rows, from_freshness_result, from_run_result, utc_naive, version_at
from ..state.events import stable_id
from .invocation import Invocation
from .operation_args import check_args, raw_args

ARGS: dict[str, tuple[type, bool]] = {
    "run_results": (list, False), "sources": (list, False), "manifest": (str, False)}


def _paths(op: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """A single path may be given as a string; every path must be a non-empty string."""
    given = {k: ([v] if isinstance(v, str) and k != "manifest" else v) for k, v in args.items()}
    out = check_args(op, given, ARGS)
    for name in ("run_results", "sources"):
        for path in out.get(name) or ():
            if not isinstance(path, str) or not path.strip():
                raise ConfigError(f"tessera.{op}: argument {name!r} must list file paths, "
                                  f"got {path!r}")
    if not out.get("run_results") and not out.get("sources"):
        raise ConfigError(f"tessera.{op}: nothing to ingest",
                          "pass --args '{run_results: [path/to/run_results.json]}' "
                          "and/or sources: [path/to/sources.json]")
    return out


def _invocation_of(run_id: str | None, path: str, generated_at: str | None) -> str:
    # Very old artifacts carry no invocation_id: the file's own identity stands in.
    return run_id or "ingest_" + stable_id(path, generated_at)[:24]


def ingest(inv: Invocation, run_results: Sequence[str] = (), sources: Sequence[str] = (),
           manifest: str | None = None) -> list[str]:
    """Read every file, then write their audit rows in one transaction."""
    project = load_manifest(manifest) if manifest else inv.manifest
    extractor = Extractor(project, ()) if manifest else inv.extractor
    runs = [load_run_results(path) for path in run_results]
    checks = [load_sources(path) for path in sources]
    inv.store.ensure_tables()
    version_of = version_at({asset: [(utc_naive(when) or dt.datetime.min, version)
                                      for when, version in entries]
                             for asset, entries in inv.store.publications().items()})
    rows: list[dict[str, Any]] = []
    for run in runs:
        default_time = utc_naive(run.generated_at)
        outcomes = [from_run_result(r, (project.nodes.get(r.unique_id) or {}).get("name"),
                                    default_time)
                    for r in run.results if r.unique_id.startswith("test.")
                    or (project.nodes.get(r.unique_id) or {}).get("resource_type") == "test"]
        rows += audit_rows(extractor, outcomes,
                           _invocation_of(run.invocation_id, run.path, run.generated_at),
                           None, inv.now, version_of)
    for check in checks:
        default_time = utc_naive(check.generated_at)
        outcomes = [from_freshness_result(r, default_time) for r in check.results]
        rows += audit_rows(extractor, outcomes,
                           _invocation_of(check.invocation_id, check.path, check.generated_at),
                           None, inv.now, version_of)
    _, written = inv.store.write([], rows, inv.invocation_id)
    files = len(runs) + len(checks)
    return [f"tessera: ingested {files} file(s): {written} audit row(s) recorded, "
            f"{len(rows) - written} already recorded."]


def audit_ingest(payload: dict[str, Any]) -> dict[str, Any]:
    args = _paths("audit_ingest", raw_args("audit_ingest", payload))
    inv = Invocation(payload)
    with inv.store.exclusive():  # the only writer, and never into a damaged state
        return {"lines": ingest(inv, **args)}
