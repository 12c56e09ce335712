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

from ..artifacts.catalog import adopt_catalog_types
from ..artifacts.nodes import asset_name, is_under_contract, iter_assets, tessera_meta
from ..engine.asset_errors import AssetError
from ..engine.decider import fingerprints
from ..engine.errors import TesseraError
from ..engine.publish import Decision, Published, decide
from ..engine.semver import is_graduation
from ..engine.vocabulary import FAILED_STATUSES, PROPOSAL_EVENTS
from ..state.audit import audit_rows, failed_guarantees, from_live
from ..state.events import asset_error_event, decision_events, retirement_events
from ..state.folds import fold_proposals
from ..state.integrity import StateDamaged
from ..state.store import PartialWrite
from .delivery import deliver_written, due_reminders
from .invocation import Invocation

_BUILT = ("model", "seed", "snapshot")
# invocation ids already recorded in this process: calling the hook twice records once
_RECORDED: set[str] = set()


def _status(result: Any) -> str:
    status = getattr(result, "status", "")
    return str(getattr(status, "value", status)).lower()


@dataclass
class RunOutcome:
    messages: list[str] = field(default_factory=list)
    errors: list[AssetError] = field(default_factory=list)
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
        """Read the state, decide and write as the only writer (StateStore.exclusive): a
        concurrent build or operation waits, then decides on what this one committed."""
        with self.store.exclusive():
            outcome = self._run()
        outcome.messages += deliver_written(self)
        return outcome

    def _run(self) -> RunOutcome:
        outcome = RunOutcome()
        # tests and source freshness checks, each an outcome for a guarantee
        checks = [c for c in map(from_live, self.results) if c is not None]
        built = [r for r in self.results if _status(r) == "success"
                 and str(getattr(r.node, "resource_type", "")) in _BUILT]
        built_ids = [r.node.unique_id for r in built
                     if is_under_contract(self.extractor.node(r.node.unique_id) or {})]
        # Sources are never built: their contracts are checked on every run (few, cheap).
        built_ids += [uid for uid, node in self.manifest.sources.items()
                      if is_under_contract(node)]
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
            documents = self._documents(built_ids, outcome.errors)
            moved = self._moved(documents, published)
            changed = [moved.get(d["asset"], d["asset"]) for uid, d in documents.items()
                       if self._changed(uid, d, published.get(d["asset"]))]
            histories = self.store.contract_histories(changed) if changed else {}
            if changed:
                self.proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now)
            for uid, doc in documents.items():
                source = moved.get(doc["asset"], doc["asset"])  # the relation published
                try:  # one asset's invalid contract or state is that asset's error alone
                    decision = self._decide(uid, doc, published.get(source),
                                            histories.get(source, ()), passed, failed,
                                            broken.get(doc["asset"], set()), source)
                    decided = decision_events(decision, self.event_context)
                except Exception as exc:
                    outcome.errors.append(self._asset_error(uid, doc["asset"], exc))
                    continue
                events.extend(decided)
                self._report(decision, outcome)
                if decision.version:
                    versions[doc["asset"]] = decision.version
                if source != doc["asset"] and decision.action == "publish":
                    # the contract moved with its relation: the old one is no longer in force
                    events += retirement_events(source, published[source]["version"],
                                                decision.proposal_id or "moved",
                                                self.event_context, publish_proposal=False)
            for asset, head in published.items():
                versions.setdefault(asset, head["version"])
            events.extend(self._retirements(published, outcome))
        if audit and not versions:  # `dbt test` (nothing built): the versions as published
            versions = {a: h["version"] for a, h in self.store.published_heads().items()}
        for row in audit:  # the version in force after this invocation
            row["contract_version"] = versions.get(row["asset"]) if row["asset"] else None
        events += [asset_error_event(e, self.event_context) for e in outcome.errors]
        outcome.messages += [error_line(e) for e in outcome.errors]
        reminders, _ = due_reminders(self, self.proposals or None)
        written, outcome.audit_rows = self.store.write([*events, *reminders], audit,
                                                       self.invocation_id)
        self.undelivered.extend(written)
        return outcome

    def _asset_error(self, uid: str, asset: str | None, exc: Exception) -> AssetError:
        if os.environ.get("TESSERA_DEBUG") == "1":
            raise exc
        node = self.extractor.node(uid) or {}
        return AssetError.of(uid, asset or asset_name(node), exc)

    def _documents(self, uids: Sequence[str], errors: list[AssetError]
                   ) -> dict[str, dict[str, Any]]:
        """The contract document of each asset; an asset whose config is invalid (its
        `meta.tessera`) is an AssetError instead."""
        out: dict[str, dict[str, Any]] = {}
        for uid in uids:
            try:
                doc = self.document(uid)
            except Exception as exc:
                errors.append(self._asset_error(uid, None, exc))
                continue
            out[uid] = doc
        return out

    def _changed(self, uid: str, doc: Mapping[str, Any], head: Mapping[str, Any] | None
                 ) -> bool:
        """Whether the document differs from (or graduates) the published head."""
        return (head is None or head["fingerprint"] not in fingerprints(doc)
                or is_graduation(head["version"], self._declared(uid)))

    def _moved(self, documents: Mapping[str, dict[str, Any]],
               published: Mapping[str, Any]) -> dict[str, str]:
        """new relation → the published one it moved from (alias, schema or database
        changed): a document not published under its relation whose dbt node is the one
        behind a published asset this manifest no longer has. Read only when both exist."""
        new = {uid: d["asset"] for uid, d in documents.items() if d["asset"] not in published}
        if not new:
            return {}
        present = {asset_name(node) for _, node in iter_assets(self.manifest)}
        gone = sorted(set(published) - present)
        if not gone:
            return {}
        out: dict[str, str] = {}
        for asset, history in self.store.contract_histories(gone).items():
            uid = (history[-1].get("x-dbt") or {}).get("unique_id") if history else None
            if uid in new:
                out[new[uid]] = asset
        return out

    def _decide(self, uid: str, doc: dict[str, Any], head: Mapping[str, Any] | None,
                history: Sequence[dict[str, Any]], passed: set[str],
                failed: set[str], broken: set[str], source: str | None = None) -> Decision:
        published = None
        source = source or doc["asset"]
        if head is not None and history:
            history = [adopt_catalog_types(h, doc) for h in history]  # artifacts.catalog
            published = Published(source, head["version"], head["fingerprint"],
                                  history[-1], tuple(history[:-1]))
        elif head is not None:
            # fingerprint unchanged: nothing to compare
            return Decision(doc["asset"], "unchanged", head["version"], "none", None,
                            "identical to the published contract", doc)
        return decide(doc, published, passed, failed, failed_guarantees=broken,
                      proposals=[p for p in self.proposals.values()
                                 if p.asset in (doc["asset"], source)],
                      require_audit_pass=bool(self.settings.get("require_audit_pass")),
                      declared_version=self._declared(uid),
                      block_unverified=bool(self.settings.get("block_unverified_guarantees")))

    def _retirements(self, published: Mapping[str, Any], outcome: RunOutcome
                     ) -> list[dict[str, Any]]:
        """Published assets this manifest no longer has under contract whose retirement
        proposal is approved: recorded as `contract_retired` (and the proposal published)."""
        present = {asset_name(node) for _, node in iter_assets(self.manifest)}
        gone = set(published) - present
        if not gone:
            return []
        if not self.proposals:
            self.proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now)
        out: list[dict[str, Any]] = []
        for p in self.proposals.values():
            if p.retire and p.status == "approved" and p.asset in gone:
                head = published[p.asset]
                out += retirement_events(p.asset, head["version"], p.proposal_id,
                                         self.event_context)
                outcome.messages.append(f"tessera: retired {p.asset} {head['version']} "
                                        f"(proposal {p.proposal_id})")
        return out

    def _declared(self, uid: str) -> str | None:
        declared = (tessera_meta(self.extractor.node(uid) or {}) or {}).get("version")
        return str(declared) if declared else None

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


def error_line(error: AssetError) -> str:
    return ("tessera: ERROR: " + error.line(
        "its contract was not judged and nothing was published for it (its tests' audit "
        "rows are kept, an asset_error event records this); every other asset was recorded "
        "(vars.tessera.strict: true fails the run)"))


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
        if isinstance(exc, StateDamaged):  # never fail soft into a damaged state
            return {"messages": [], "error": exc.one_line()}
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
    if outcome.errors and settings.get("strict"):
        result["error"] = (
            f"tessera: on-run-end failed (strict): {len(outcome.errors)} asset(s) with an "
            "invalid config, contract or state: " + ", ".join(e.asset for e in outcome.errors)
            + "; every other asset was recorded")
        return result
    if outcome.unapproved and settings.get("fail_on_unapproved"):
        result["error"] = (
            f"tessera: {len(outcome.unapproved)} breaking change(s) without an approved "
            "proposal: " + ", ".join(d.asset for d in outcome.unapproved) + "; propose them "
            "with `dbt run-operation tessera.propose` (vars.tessera.fail_on_unapproved is on)")
    return result
