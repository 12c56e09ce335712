"""The hooks' jobs from artifacts, for runs where dbt loads no plugin (dbt Core v2, or a
dbt whose Python cannot import tessera-dbt): `tessera record` after the build and
`tessera gate` before it, both run by the `tessera` CLI through the dbt 1.x installed
beside it (`dbt run-operation tessera.record` / `tessera.gate_check`).

`record` hands the on-run-end hook's own code (`hook.record_run`) the results of
run_results.json instead of dbt's live ones, under the build's invocation id: the audit
rows and events get the ids the hook would have given them, so recording a run twice, or
a run the hook already recorded, writes nothing new. `gate_check` asks the on-run-start
gate's own question (`gate.Gate`) for the assets given, or every asset under contract.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..artifacts.degraded import manifest_degradations, run_results_degradations
from ..artifacts.nodes import built_under_contract
from ..artifacts.readers import TestResult, load_manifest, load_run_results
from ..engine.errors import ConfigError
from ..state.audit import utc_naive
from .gate import Gate, blocked_line, gate_mode
from .hook import record_run
from .operation_args import check_args, raw_args
from .state_check import check_state

RECORD_ARGS: dict[str, tuple[type, bool]] = {"run_results": (str, True),
                                             "manifest": (str, False)}
GATE_ARGS: dict[str, tuple[type, bool]] = {"selected": (list, False)}


@dataclass(frozen=True)
class _Node:
    unique_id: str
    resource_type: str
    name: str | None


@dataclass(frozen=True)
class _Step:
    name: str
    completed_at: Any


@dataclass(frozen=True)
class ArtifactResult:
    """One entry of run_results.json shaped as the results dbt hands on-run-end."""

    node: _Node
    status: str
    failures: int | None
    execution_time: float
    message: str | None
    timing: list[_Step] = field(default_factory=list)


def artifact_results(results: Sequence[TestResult], nodes: Mapping[str, Mapping[str, Any]]
                     ) -> list[ArtifactResult]:
    """`nodes`: the manifest's, by unique_id (a result whose node is gone keeps the kind
    its unique_id names)."""
    out = []
    for r in results:
        node = nodes.get(r.unique_id) or {}
        kind = str(node.get("resource_type") or r.unique_id.split(".", 1)[0])
        steps = [_Step("execute", utc_naive(r.completed_at))] if r.completed_at else []
        out.append(ArtifactResult(_Node(r.unique_id, kind, node.get("name")),
                                  r.status, r.failures, r.execution_time, r.message, steps))
    return out


def record(payload: dict[str, Any]) -> dict[str, Any]:
    """`dbt run-operation tessera.record --args '{run_results: PATH}'`."""
    args = check_args("record", raw_args("record", payload), RECORD_ARGS)
    run = load_run_results(os.path.abspath(args["run_results"]))
    if not run.invocation_id:
        raise ConfigError(f"{run.path}: carries no invocation_id (written by dbt before 0.20?)",
                          "record older runs with `tessera audit ingest`")
    lines = [f"tessera: degraded: {line}" for line in run_results_degradations(run)]
    given = dict(payload)
    nodes = (payload.get("graph") or {}).get("nodes") or {}
    if args.get("manifest"):  # the build's own manifest.json instead of this parse's graph
        manifest = load_manifest(os.path.abspath(args["manifest"]))
        lines += [f"tessera: degraded: {line}" for line in manifest_degradations(manifest)]
        given["manifest"], nodes = manifest, manifest.nodes
    given.update({"results": artifact_results(run.results, nodes),
                  "invocation_id": run.invocation_id,
                  # a failure to record is the command's failure, never a warning
                  "settings": {**(payload.get("settings") or {}), "strict": True}})
    outcome = record_run(given)
    lines += outcome.get("messages", [])
    if "published" in outcome:
        published = outcome["published"]
        lines.append(f"tessera: recorded run {run.invocation_id} ({run.command or 'dbt'}, "
                     f"{len(run.results)} result(s)): {outcome.get('audit_rows', 0)} new "
                     f"audit row(s), {len(published)} contract(s) published"
                     + (f" ({', '.join(published)})" if published else ""))
    result: dict[str, Any] = {"lines": lines}
    if outcome.get("error"):
        result["error"] = str(outcome["error"]).replace("on-run-end failed (strict)",
                                                        "record failed", 1)
    return result


def gate_check(payload: dict[str, Any]) -> dict[str, Any]:
    """`dbt run-operation tessera.gate_check --args '{selected: [...]}'`: the on-run-start
    gate's verdict, as one JSON line (`tessera gate` renders it and picks the exit code)."""
    args = check_args("gate_check", raw_args("gate_check", payload), GATE_ARGS)
    mode = gate_mode(payload.get("settings") or {})
    state = check_state(payload)
    if state.get("error"):
        raise ConfigError(str(state["error"]).removeprefix("tessera: "))
    if mode == "off":
        return {"lines": [json.dumps({"mode": mode, "checked": 0, "blocked": [],
                                      "errors": [], "findings": [], "messages": []})]}
    nodes = (payload.get("graph") or {}).get("nodes") or {}
    selected = [str(u) for u in args["selected"]] if args.get("selected") is not None else \
        built_under_contract(nodes, nodes)
    gate = Gate({**payload, "selected": selected})
    blocked = gate.unapproved()
    report = {"mode": mode, "checked": len(selected),
              "blocked": [{"asset": d.asset, "rules": sorted({c.rule for c in
                                                              d.breaking_changes}),
                           "line": blocked_line(d, "would change")} for d in blocked],
              "errors": [{"asset": e.asset, "line": e.line("the gate cannot judge it")}
                         for e in gate.errors],
              "findings": [line.removeprefix("tessera: ") for line in gate.findings],
              "messages": list(state.get("messages", []))}
    return {"lines": [json.dumps(report, sort_keys=True)]}

