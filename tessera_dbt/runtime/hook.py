"""The on-run-end hook's brain: audit every executed test, publish what the run built.

Called through the bridge with the live `results`, `graph` and adapter of the dbt
invocation. Its cost follows what ran, not the project's size: documents are built only
for the assets this run built, and a contract is written only when its fingerprint
changed. All writes of one run go in one transaction, batched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..artifacts.nodes import is_under_contract, tessera_meta
from ..engine.errors import TesseraError
from ..engine.publish import Decision, Published, decide, fingerprint
from ..engine.vocabulary import FAILED_STATUSES, PROPOSAL_EVENTS
from ..state.audit import audit_rows, failed_guarantees, from_live
from ..state.events import decision_events
from ..state.folds import fold_proposals
from ..state.store import PartialWrite
from .invocation import Invocation
from .notify import deliver

_BUILT = ("model", "seed", "snapshot")
# invocation ids already recorded in this process: calling the hook twice records once
_RECORDED: set[str] = set()


def _status(result: Any) -> str:
    status = getattr(result, "status", "")
    return str(getattr(status, "value", status)).lower()


@dataclass
class RunOutcome:
    messages: list[str] = field(default_factory=list)
    published: list[Decision] = field(default_factory=list)
    unapproved: list[Decision] = field(default_factory=list)
    audit_rows: int = 0


class Hook(Invocation):
    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__(payload)
        self.results: Sequence[Any] = list(payload.get("results") or ())
        self.proposals: dict[str, Any] = {}

    def publishes_here(self) -> bool:
        targets = self.settings.get("publish_targets")
        if targets in (None, "", []):
            return True
        if isinstance(targets, str):
            targets = [targets]
        return self.target_name in targets

    def run(self) -> RunOutcome:
        outcome = RunOutcome()
        # tests and source freshness checks, each an outcome for a guarantee
        checks = [c for c in map(from_live, self.results) if c is not None]
        built = [r for r in self.results if _status(r) == "success"
                 and str(getattr(r.node, "resource_type", "")) in _BUILT]
        built_ids = [r.node.unique_id for r in built
                     if is_under_contract(self.extractor.node(r.node.unique_id) or {})]
        # Sources are never built: their contracts are checked on every run (few, cheap).
        built_ids += [uid for uid, node in self.manifest.sources.items()
                      if tessera_meta(node) is not None]
        if not checks and not built_ids:
            return outcome
        passed = {c.unique_id for c in checks if c.status == "pass" and not c.freshness}
        failed = {c.unique_id for c in checks if c.status in FAILED_STATUSES and not c.freshness}
        audit = audit_rows(self.extractor, checks, self.invocation_id, self.target_name,
                           self.now)
        broken = failed_guarantees(audit)
        self.store.ensure_tables()
        versions: dict[str, str] = {}
        events: list[dict[str, Any]] = []
        if built_ids and self.publishes_here():
            published = self.store.published_heads()
            documents = {uid: self.extractor.document(uid, self.extractor.node(uid))
                         for uid in built_ids}
            changed = [d["asset"] for d in documents.values()
                       if d["asset"] not in published
                       or published[d["asset"]]["fingerprint"] != fingerprint(d)]
            histories = self.store.contract_histories(changed) if changed else {}
            if changed:
                self.proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now)
            for uid, doc in documents.items():
                decision = self._decide(uid, doc, published.get(doc["asset"]),
                                        histories.get(doc["asset"], ()), passed, failed,
                                        broken.get(doc["asset"], set()))
                events.extend(decision_events(decision, self.event_context))
                self._report(decision, outcome)
                if decision.version:
                    versions[doc["asset"]] = decision.version
            for asset, head in published.items():
                versions.setdefault(asset, head["version"])
        for row in audit:  # the version in force after this invocation
            row["contract_version"] = versions.get(row["asset"]) if row["asset"] else None
        written, outcome.audit_rows = self.store.write(events, audit, self.invocation_id)
        teams = {p.proposal_id: p.required for p in self.proposals.values()}
        outcome.messages += deliver(self.settings, written, teams)
        return outcome

    def _decide(self, uid: str, doc: dict[str, Any], head: Mapping[str, Any] | None,
                history: Sequence[dict[str, Any]], passed: set[str],
                failed: set[str], broken: set[str]) -> Decision:
        published = None
        if head is not None and history:
            published = Published(doc["asset"], head["version"], head["fingerprint"],
                                  history[-1], tuple(history[:-1]))
        elif head is not None:
            # fingerprint unchanged: nothing to compare
            return Decision(doc["asset"], "unchanged", head["version"], "none", None,
                            "identical to the published contract", doc)
        declared = (tessera_meta(self.extractor.node(uid) or {}) or {}).get("version")
        approved = next((p for p in self.proposals.values()
                         if p.asset == doc["asset"] and p.status == "approved"
                         and p.fingerprint == fingerprint(doc)), None)
        return decide(doc, published, passed, failed, failed_guarantees=broken,
                      approved_proposal={"proposal_id": approved.proposal_id,
                                         "version": approved.proposed_version}
                      if approved else None,
                      require_audit_pass=bool(self.settings.get("require_audit_pass")),
                      declared_version=str(declared) if declared else None)

    def _report(self, decision: Decision, outcome: RunOutcome) -> None:
        if decision.action == "publish":
            outcome.published.append(decision)
            outcome.messages.append(f"tessera: published {decision.asset} {decision.version} "
                                    f"({decision.reason})")
        elif decision.action == "unapproved":
            outcome.unapproved.append(decision)
            rules = ", ".join(f"{c.rule} at {c.path}" for c in decision.breaking_changes)
            outcome.messages.append(
                f"tessera: WARNING: {decision.asset} changed in a breaking way ({rules}) "
                "without an approved proposal; nothing was published. Propose it with "
                "`dbt run-operation tessera.propose --args '{model: "
                f"{decision.contract.get('x-dbt', {}).get('name', '<model>')}}}'`")
        elif decision.action == "held":
            outcome.messages.append(f"tessera: {decision.asset} not published: "
                                    f"{decision.reason}")


def on_run_end(payload: dict[str, Any]) -> dict[str, Any]:
    """Audit and publish; fails soft unless `strict`: an error is reported loudly but does
    not turn a green build red."""
    settings = payload.get("settings") or {}
    invocation_id = str(payload.get("invocation_id") or "")
    if invocation_id and invocation_id in _RECORDED:
        return {"messages": []}
    try:
        hook = Hook(payload)
        outcome = hook.run()
    except Exception as exc:
        if os.environ.get("TESSERA_DEBUG") == "1":
            raise
        cause = exc.cause if isinstance(exc, PartialWrite) else exc
        detail = cause.one_line() if isinstance(cause, TesseraError) else \
            f"{type(cause).__name__}: {cause}"
        detail = " ".join(detail.split())  # one line, however dbt formatted it
        recorded = "nothing was recorded"
        if isinstance(exc, PartialWrite):  # no transactions here: say what is stored
            recorded = (f"partly recorded (this warehouse has no transactions; "
                        f"{exc.what_was_kept()}; a re-run writes only what is missing)")
        if settings.get("strict"):
            kept = f"; {recorded}" if isinstance(exc, PartialWrite) else ""
            return {"messages": [],
                    "error": f"tessera: on-run-end failed (strict): {detail}{kept}"}
        return {"messages": [
            f"tessera: ERROR in on-run-end, {recorded}: {detail}. The build's "
            "result is unchanged (set vars.tessera.strict: true to fail the run instead)."]}
    if invocation_id:
        _RECORDED.add(invocation_id)
    result: dict[str, Any] = {"messages": outcome.messages,
                              "published": [d.asset for d in outcome.published]}
    if outcome.unapproved and settings.get("fail_on_unapproved"):
        result["error"] = (
            f"tessera: {len(outcome.unapproved)} breaking change(s) without an approved "
            "proposal: " + ", ".join(d.asset for d in outcome.unapproved) + "; propose them "
            "with `dbt run-operation tessera.propose` (vars.tessera.fail_on_unapproved is on)")
    return result
