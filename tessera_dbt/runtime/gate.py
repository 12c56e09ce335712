"""The on-run-start gate: before any node runs, would a selected asset's contract change in
a way that is breaking and unapproved?

It asks exactly what the on-run-end hook will decide for the same asset (`Hook._decide`,
with no test result yet, so a tightened guarantee is held, never blocked), for the models,
seeds and snapshots dbt selected (`selected_resources`: `--select`, `--exclude`, `--defer`
and `dbt retry` are dbt's to resolve). `vars.tessera.gate`: `warn` names each such asset in
one line and the run goes on (the hook then publishes nothing for it), `block` fails the
invocation before anything is built, `off` skips the check. Only a target that publishes
(`publish_targets`) is gated, and the state tables are only read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..artifacts.nodes import built_under_contract
from ..engine.asset_errors import AssetError
from ..engine.errors import TesseraError, brief
from ..engine.publish import Decision, fingerprint
from ..engine.settings import gate_mode
from ..engine.text import unapproved_step
from ..state.store import EVENTS
from .hook import finding_lines
from .invocation import Invocation
from .judging import Judge


class Gate(Invocation):
    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__(payload)
        self.judge = Judge(self)
        self.errors: list[AssetError] = []
        self.findings: list[str] = []

    def unapproved(self) -> list[Decision]:
        """The selected assets the hook would refuse to publish as breaking; a selected
        asset whose config, contract, state or served schema is invalid is in `errors`."""
        judge = self.judge
        self.errors = []
        selected = built_under_contract(self.manifest.nodes, self.payload.get("selected") or ())
        if not selected or not self.publishes_here() \
                or not self.store.relations[EVENTS].get("exists"):
            return []
        published = self.store.published_heads()
        if not published:
            return []
        self.probe(selected)  # what each selected asset's SQL would serve, before the build
        documents = judge.documents(selected, self.errors)
        sources = judge.matched(documents, published)  # uid → the published asset it is
        changed = {uid: doc for uid, doc in documents.items() if uid in sources
                   and published[sources[uid]]["fingerprint"] != fingerprint(doc)}
        self.findings = [line for doc in documents.values() for line in finding_lines(doc)]
        if not changed:
            return []
        histories = self.store.contract_histories([sources[u] for u in changed])
        judge.load_proposals()
        decisions = []
        for uid, doc in sorted(changed.items()):
            source = sources[uid]
            try:  # as the hook decides it: one asset's error is that asset's alone
                decisions.append(judge.decide(uid, doc, published[source],
                                              histories.get(source, ()), source=source))
            except Exception as exc:
                self.errors.append(judge.asset_error(uid, doc["asset"], exc))
        return [d for d in decisions if d.action == "unapproved"]


def guard(payload: dict[str, Any]) -> dict[str, Any]:
    """`{{ tessera.guard() }}` as a model's pre-hook: the model about to be replaced,
    judged on what its compiled SQL serves now that this run built its parents (the gate
    saw them as they were before the run). Under `block` the model fails before its
    relation is replaced, and dbt skips its children."""
    mode = gate_mode(payload.get("settings") or {})
    uid = str(payload.get("unique_id") or "")
    if mode == "off" or not uid:
        return {"messages": []}
    name = uid.rsplit(".", 1)[-1]
    gate = Gate({**payload, "selected": [uid]})
    gate.probe([uid], {uid: str(payload.get("sql") or "")})  # as dbt compiled it for this run
    blocked = gate.unapproved()
    if not blocked and not gate.errors:
        return {"messages": []}
    lines = [*(blocked_line(d) for d in blocked), *(e.line("the guard cannot judge it")
                                            for e in gate.errors)]
    if mode == "block":
        return {"messages": [], "error": (
            f"tessera: the guard stopped {name} before its relation was replaced (what its "
            "parents built in this run changes what it serves): " + "; ".join(lines))}
    return {"messages": [f"tessera: WARNING (guard): {line}; the build goes on and publishes "
                         "nothing for it" for line in lines]}


def blocked_line(decision: Decision, verb: str = "changes") -> str:
    rules = ", ".join(f"{c.rule} at {c.path}" for c in decision.breaking_changes)
    return (f"{decision.asset} {verb} in a breaking way ({rules}) without an approved "
            f"proposal: {unapproved_step(decision)}")


def on_run_start(payload: dict[str, Any]) -> dict[str, Any]:
    mode = gate_mode(payload.get("settings") or {})
    if mode == "off":
        return {"messages": []}
    try:
        gate = Gate(payload)
        blocked = gate.unapproved()
    except Exception as exc:
        if os.environ.get("TESSERA_DEBUG") == "1":
            raise
        detail = exc.one_line() if isinstance(exc, TesseraError) else \
            f"{type(exc).__name__}: {exc}"
        if mode == "block":  # a gate that cannot look fails closed
            return {"messages": [], "error": f"tessera: the gate could not check this run "
                                             f"({brief(detail)}); nothing was built"}
        return {"messages": [f"tessera: WARNING (gate): could not check this run "
                             f"({brief(detail)}); the build goes on"]}
    if not blocked and not gate.errors:
        return {"messages": gate.findings}
    if mode == "block":  # an asset the gate cannot judge fails closed, as check does
        return {"messages": [], "error": (
            "tessera: the gate stopped this run before any node was built: "
            + "; ".join([*(blocked_line(d) for d in blocked),
                         *(e.line("the gate cannot judge it") for e in gate.errors)])
            + " (or set vars.tessera.gate: warn to build anyway and publish nothing)")}
    return {"messages": [
        *gate.findings,
        *(f"tessera: WARNING (gate): {blocked_line(d, 'would change')}; the build goes on and "
          "publishes nothing for it" for d in blocked),
        *(f"tessera: WARNING (gate): {e.line('the build goes on and publishes nothing for it')}"
          for e in gate.errors)]}
