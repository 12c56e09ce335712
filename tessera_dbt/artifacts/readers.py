"""Reading dbt artifacts: manifest.json (schema v1-v12), run_results.json (v1-v6) and
sources.json (v1-v3).

The files are read as plain JSON and left as dicts: the extraction works on the raw
shapes and tolerates fields a version lacks, which is both faster and kinder to old
artifacts than building typed objects for every node. Every way a file can be wrong
becomes one ArtifactError naming the file and the fix.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.errors import ArtifactError, brief

MANIFEST_VERSIONS = range(1, 13)
RUN_RESULTS_VERSIONS = range(1, 7)
SOURCES_VERSIONS = range(1, 4)

_SCHEMA_URL = re.compile(r"/dbt/(?P<kind>[a-z_-]+)/v(?P<version>\d+)\.json$")
_KIND_NAMES = {
    "manifest": "manifest",
    "run-results": "run_results",
    "sources": "sources",
    "catalog": "catalog",
}
_SUPPORTED = {
    "manifest": MANIFEST_VERSIONS,
    "run_results": RUN_RESULTS_VERSIONS,
    "sources": SOURCES_VERSIONS,
}
_REGENERATE = {
    "manifest": "regenerate it with `dbt parse`",
    "run_results": "regenerate it with `dbt build` or `dbt test`",
    "sources": "regenerate it with `dbt source freshness`",
}


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest.json: the raw maps plus the metadata every caller needs."""

    path: str
    schema_version: int
    dbt_version: str
    adapter_type: str | None
    project_name: str | None
    nodes: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    exposures: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]]
    child_map: dict[str, list[str]] = field(repr=False)
    # the semantic layer (manifest v10+; older manifests have legacy `metrics` only)
    semantic_models: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    saved_queries: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TestResult:
    """One entry of run_results.json (any node kind, despite the name: dbt calls them results)."""

    __test__ = False  # not a pytest class

    unique_id: str
    status: str
    failures: int | None
    execution_time: float
    message: str | None
    completed_at: str | None


@dataclass(frozen=True)
class RunResults:
    path: str
    schema_version: int
    dbt_version: str
    invocation_id: str | None
    generated_at: str | None
    command: str | None
    results: tuple[TestResult, ...]
    # fields no result carries (dbt 2.x writes no `message`, `failures`, `compiled_code`)
    missing: tuple[str, ...] = ()

    def status_by_id(self) -> dict[str, str]:
        return {r.unique_id: r.status for r in self.results}


def _read_json(path: str, expected: str) -> dict[str, Any]:
    label = expected.replace("_", "-")
    if os.path.isdir(path):
        raise ArtifactError(
            f"{path}: is a directory, not a {label} file",
            f"pass the file itself, e.g. {os.path.join(path, expected + '.json')}",
        )
    try:
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            raise ArtifactError(f"{path}: not a regular file (a device, FIFO or socket)",
                                f"pass the {expected}.json file written by dbt")
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file", _REGENERATE.get(expected, "")) from None
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise ArtifactError(f"{path}: the file is empty", _REGENERATE.get(expected, ""))
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "the file is corrupt or truncated",
            _REGENERATE.get(expected, ""),
        ) from None
    except UnicodeDecodeError:
        raise ArtifactError(f"{path}: not UTF-8 text", _REGENERATE.get(expected, "")) from None
    except RecursionError:
        raise ArtifactError(f"{path}: JSON nested too deeply to be a dbt artifact",
                            _REGENERATE.get(expected, "")) from None
    if not isinstance(doc, dict):
        raise ArtifactError(f"{path}: a dbt {label} is a JSON object, this file holds a "
                            f"{type(doc).__name__}")
    _check_schema(path, doc, expected)
    return doc


def _schema_of(doc: dict[str, Any]) -> tuple[str, int] | None:
    metadata = doc.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    match = _SCHEMA_URL.search(url) if isinstance(url, str) else None
    if not match:
        return None
    return _KIND_NAMES.get(match["kind"], match["kind"]), int(match["version"])


def _check_schema(path: str, doc: dict[str, Any], expected: str) -> int:
    label = expected.replace("_", "-")
    schema = _schema_of(doc)
    if schema is None:
        raise ArtifactError(
            f"{path}: no metadata.dbt_schema_version, so this is not a dbt {label} file",
            _REGENERATE.get(expected, ""),
        )
    kind, version = schema
    if kind != expected:
        raise ArtifactError(
            f"{path}: this is a dbt {kind.replace('_', '-')} file, not a {label}",
            f"pass the {expected}.json written by dbt",
        )
    supported = _SUPPORTED[expected]
    if version not in supported:
        newest = supported[-1]
        if version > newest:
            raise ArtifactError(
                f"{path}: {label} schema v{version} is newer than this tessera-dbt reads "
                f"(v{supported[0]}-v{newest})",
                "upgrade tessera-dbt (pip install -U tessera-dbt)",
            )
        raise ArtifactError(f"{path}: {label} schema v{version} is not a known dbt version")
    return version


def _object(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    if isinstance(value, dict):
        return value
    if isinstance(value, Mapping):
        # dbt 1.12's live `graph` holds read-only mappings that build each node's dict on
        # every access: materialise them once.
        return dict(value)
    return {}


def load_manifest(path: str) -> Manifest:
    """Read a manifest.json of any dbt version from 0.19 to 1.12.

    >>> load_manifest("/nonexistent/manifest.json")
    Traceback (most recent call last):
    tessera_dbt.engine.errors.ArtifactError: /nonexistent/manifest.json: no such file
    """
    doc = _read_json(path, "manifest")
    metadata = _object(doc, "metadata")
    _, version = _schema_of(doc)  # type: ignore[misc]
    nodes = _object(doc, "nodes")
    if "nodes" not in doc:
        raise ArtifactError(f"{path}: the manifest has no `nodes`; it is incomplete",
                            _REGENERATE["manifest"])
    sources, exposures = _object(doc, "sources"), _object(doc, "exposures")
    semantic = {key: _object(doc, key) for key in _SEMANTIC_KEYS}
    _check_nodes(path, {"nodes": nodes, "sources": sources, "exposures": exposures,
                        **semantic})
    child_map = doc.get("child_map")
    if not isinstance(child_map, dict):
        child_map = _child_map_from_depends_on(nodes, exposures, *semantic.values())
    return Manifest(
        path=path,
        schema_version=version,
        dbt_version=str(metadata.get("dbt_version") or "unknown"),
        adapter_type=metadata.get("adapter_type"),
        project_name=metadata.get("project_name") or _guess_project_name(nodes),
        nodes=nodes,
        sources=sources,
        exposures=exposures,
        groups=_object(doc, "groups"),
        child_map=child_map,
        **semantic,
    )


# The manifest's semantic-layer maps, named as the Manifest fields that hold them.
_SEMANTIC_KEYS = ("semantic_models", "metrics", "saved_queries")
# The keys of a node that tessera walks into, with the JSON type dbt writes them as.
_NODE_SHAPE = {"columns": dict, "constraints": list, "meta": dict, "config": dict,
               "depends_on": dict, "tags": list}


def _check_nodes(path: str, sections: dict[str, dict[str, Any]]) -> None:
    """A node is a JSON object whose walked keys have dbt's types; anything else is a
    corrupt or hand-made manifest, refused in one line naming the node and the key."""
    for section, entries in sections.items():
        for key, node in entries.items():
            where = f"{path}: {section}[{brief(repr(key), 80)}]"
            if not isinstance(node, dict):
                raise ArtifactError(f"{where} is a {type(node).__name__}, not a JSON object",
                                    _REGENERATE["manifest"])
            for name, kind in _NODE_SHAPE.items():
                value = node.get(name)
                if value is not None and not isinstance(value, kind):
                    raise ArtifactError(f"{where}.{name} is a {type(value).__name__}, not a "
                                        f"JSON {'object' if kind is dict else 'array'}",
                                        _REGENERATE["manifest"])
            for name, kind in (("meta", dict), ("contract", dict)):
                value = (node.get("config") or {}).get(name)
                if value is not None and not isinstance(value, kind):
                    raise ArtifactError(f"{where}.config.{name} is a {type(value).__name__}, "
                                        "not a JSON object", _REGENERATE["manifest"])
            for column, spec in (node.get("columns") or {}).items():
                if not isinstance(spec, dict):
                    raise ArtifactError(f"{where}.columns[{brief(repr(column), 80)}] is a "
                                        f"{type(spec).__name__}, not a JSON object",
                                        _REGENERATE["manifest"])


def _guess_project_name(nodes: dict[str, dict[str, Any]]) -> str | None:
    """Manifests before v10 have no project_name: the root project owns most models."""
    counts: dict[str, int] = {}
    for node in nodes.values():
        if node.get("resource_type") == "model" and node.get("package_name"):
            counts[node["package_name"]] = counts.get(node["package_name"], 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _child_map_from_depends_on(*sections: dict[str, dict[str, Any]]
                               ) -> dict[str, list[str]]:
    """Some manifests (dbt Fusion betas, trimmed fixtures) and dbt's live graph omit
    child_map: rebuild it from every section's depends_on."""
    children: dict[str, list[str]] = {}
    for unique_id, node in (item for section in sections for item in section.items()):
        for parent in (node.get("depends_on") or {}).get("nodes") or ():
            children.setdefault(parent, []).append(unique_id)
    return children


def _executed_at(raw: dict[str, Any]) -> str | None:
    """When a result's `execute` step completed (run_results and sources.json alike)."""
    completed_at = None
    for step in raw.get("timing") or ():
        if isinstance(step, dict) and step.get("name") == "execute":
            completed_at = step.get("completed_at")
    return completed_at


def load_run_results(path: str) -> RunResults:
    """Read a run_results.json of any dbt version (schema v1-v6)."""
    doc = _read_json(path, "run_results")
    metadata = _object(doc, "metadata")
    _, version = _schema_of(doc)  # type: ignore[misc]
    raw_results = doc.get("results")
    if not isinstance(raw_results, list):
        raise ArtifactError(f"{path}: the run results have no `results` list; it is incomplete",
                            _REGENERATE["run_results"])
    results = []
    present: set[str] = set()
    for raw in raw_results:
        if not isinstance(raw, dict) or not isinstance(raw.get("unique_id"), str):
            continue
        present.update(raw)
        failures = raw.get("failures")
        results.append(
            TestResult(
                unique_id=raw["unique_id"],
                status=str(raw.get("status") or "unknown").lower(),
                failures=failures if isinstance(failures, int) else None,
                execution_time=float(raw.get("execution_time") or 0.0),
                message=raw.get("message"),
                completed_at=_executed_at(raw),
            )
        )
    args = _object(doc, "args")
    return RunResults(
        path=path,
        schema_version=version,
        dbt_version=str(metadata.get("dbt_version") or "unknown"),
        invocation_id=metadata.get("invocation_id"),
        generated_at=metadata.get("generated_at"),
        command=args.get("which"),
        results=tuple(results),
        missing=tuple(f for f in _RESULT_FIELDS if results and f not in present),
    )


# what a result of dbt 1.x carries that the audit and the lineage use
_RESULT_FIELDS = ("message", "failures", "compiled_code")


@dataclass(frozen=True)
class FreshnessResult:
    """One entry of sources.json: a source freshness check (`dbt source freshness`)."""

    unique_id: str
    status: str  # pass | warn | error | runtime error
    max_loaded_at: str | None
    age_seconds: float | None
    execution_time: float
    message: str | None
    completed_at: str | None


@dataclass(frozen=True)
class SourcesResults:
    path: str
    invocation_id: str | None
    generated_at: str | None
    results: tuple[FreshnessResult, ...]


def load_sources(path: str) -> SourcesResults:
    """Read a sources.json of any dbt version (schema v1-v3), as `dbt source freshness`
    writes it."""
    doc = _read_json(path, "sources")
    metadata = _object(doc, "metadata")
    raw_results = doc.get("results")
    if not isinstance(raw_results, list):
        raise ArtifactError(f"{path}: the sources file has no `results` list; it is incomplete",
                            _REGENERATE["sources"])
    results = []
    for raw in raw_results:
        if not isinstance(raw, dict) or not isinstance(raw.get("unique_id"), str):
            continue
        age = raw.get("max_loaded_at_time_ago_in_s")
        results.append(FreshnessResult(
            unique_id=raw["unique_id"],
            status=str(raw.get("status") or "unknown").lower(),
            max_loaded_at=raw.get("max_loaded_at"),
            age_seconds=float(age) if isinstance(age, (int, float)) else None,
            execution_time=float(raw.get("execution_time") or 0.0),
            message=raw.get("error") or raw.get("message"),
            completed_at=_executed_at(raw) or raw.get("snapshotted_at"),
        ))
    return SourcesResults(path=path, invocation_id=metadata.get("invocation_id"),
                          generated_at=metadata.get("generated_at"), results=tuple(results))


def manifest_from_graph(graph: dict[str, Any], project_name: str | None,
                        dbt_version: str, adapter_type: str | None) -> Manifest:
    """The Manifest of a live dbt invocation, from the `graph` its macros see (the same
    node dicts as manifest.json, without child_map)."""
    nodes = _object(graph, "nodes")
    exposures = _object(graph, "exposures")
    semantic = {key: _object(graph, key) for key in _SEMANTIC_KEYS}
    return Manifest(
        path="<dbt graph>",
        schema_version=MANIFEST_VERSIONS[-1],
        dbt_version=dbt_version,
        adapter_type=adapter_type,
        project_name=project_name,
        nodes=nodes,
        sources=_object(graph, "sources"),
        exposures=exposures,
        groups=_object(graph, "groups"),
        child_map=_child_map_from_depends_on(nodes, exposures, *semantic.values()),
        **semantic,
    )
