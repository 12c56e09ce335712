"""The on-run-end hook's brain: audit every executed test, publish what the run built.

Called through the bridge with the live `results`, `graph` and adapter of the dbt
invocation. Its cost follows what ran, not the project's size: documents are built only
for the assets this run built, and a contract is written only when its fingerprint
changed. All writes of one run go in one transaction, batched.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..artifacts.nodes import BUILT_TYPES, asset_name, is_under_contract, iter_assets
from ..engine.asset_errors import AssetError
from ..engine.errors import TesseraError
from ..engine.publish import Decision
from ..engine.served import drift, served_findings
from ..engine.text import unapproved_step
from ..engine.vocabulary import FAILED_STATUSES
from ..state.audit import audit_rows, failed_guarantees, from_live
from ..state.events import (
    asset_error_event,
    decision_events,
    drift_event,
    membership_events,
    membership_fingerprint,
    retirement_events,
)
from ..state.integrity import RESTORE, StateDamaged
from ..state.store import EVENTS, PartialWrite
from .alerts import guarantee_events
from .delivery import deliver_written, due_reminders
from .drift import teams_of
from .invocation import Invocation
from .judging import Judge
from .package import BUILDS, keep_views, upgrade_tables

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
        self.judge = Judge(self)
        self._upgraded = False

    def run(self) -> RunOutcome:
        """Read the state, decide and write as the only writer (StateStore.exclusive): a
        concurrent build or operation waits, then decides on what this one committed.
        A build or run, and any run that writes, then keeps the package's views
        (runtime.package), in a transaction of their own: a view that cannot be created
        is reported, what was recorded is kept."""
        with self.store.exclusive():
            outcome = self._run()
        if self._upgraded:
            try:
                with self.store.exclusive(check_damage=False):
                    outcome.messages += keep_views(self)
            except Exception as exc:
                if os.environ.get("TESSERA_DEBUG") == "1":
                    raise
                outcome.messages.append(
                    "tessera: WARNING: the package's views were not brought up to date: "
                    + " ".join(f"{type(exc).__name__}: {exc}".split())
                    + " (`dbt build --select package:tessera` builds them as nodes)")
        outcome.messages += deliver_written(self)
        return outcome

    def _upgrade(self) -> None:
        """The state tables as this release has them (created, columns added, widened),
        once per run, inside the writer lock."""
        if not self._upgraded:
            upgrade_tables(self)
            self._upgraded = True

    def _run(self) -> RunOutcome:
        outcome = RunOutcome()
        if str(self.payload.get("command") or "") in BUILDS:
            self._upgrade()  # a default build selected no package model (runtime.selection)
        judge = self.judge
        # tests and source freshness checks, each an outcome for a guarantee
        checks = [c for c in map(from_live, self.results) if c is not None]
        built = [r for r in self.results if _status(r) == "success"
                 and str(getattr(r.node, "resource_type", "")) in BUILT_TYPES]
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
        self._upgrade()
        versions: dict[str, str] = {}
        events: list[dict[str, Any]] = []
        if built_ids and self.publishes_here():
            self.read_relations(built_ids)  # what was really built: one query per schema
            events += self._membership_change()
            published = self.store.published_heads()
            documents = judge.documents(built_ids, outcome.errors)
            sources = judge.matched(documents, published)  # uid → the asset published
            changed = [sources.get(uid, d["asset"]) for uid, d in documents.items()
                       if judge.changed(uid, d, published.get(sources.get(uid, d["asset"])))]
            histories = self.store.contract_histories(changed) if changed else {}
            if changed:
                judge.load_proposals()
            for uid, doc in documents.items():
                source = sources.get(uid, doc["asset"])  # the relation published
                try:  # one asset's invalid contract or state is that asset's error alone
                    decision = judge.decide(uid, doc, published.get(source),
                                            histories.get(source, ()), passed, failed,
                                            broken.get(doc["asset"], set()), source)
                    decided = decision_events(decision, self.event_context)
                except Exception as exc:
                    outcome.errors.append(judge.asset_error(uid, doc["asset"], exc))
                    continue
                events.extend(decided)
                events.extend(self._drift(uid, decision, source, histories.get(source)))
                self._report(decision, outcome)
                outcome.messages += finding_lines(doc)
                if decision.version:
                    versions[doc["asset"]] = decision.version
                if source != doc["asset"] and decision.action == "publish":
                    # the contract moved with its relation: the old one is no longer in force
                    events += retirement_events(source, published[source]["version"],
                                                decision.proposal_id or "moved",
                                                self.event_context, publish_proposal=False)
            self._refuse_lost_history(events, published)
            for asset, head in published.items():
                versions.setdefault(asset, head["version"])
            events.extend(self._retirements(published, outcome))
        if audit and not versions:  # `dbt test` (nothing built): the versions as published
            versions = {a: h["version"] for a, h in self.store.published_heads().items()}
        for row in audit:  # the version in force after this invocation
            row["contract_version"] = versions.get(row["asset"]) if row["asset"] else None
        if audit and self.publishes_here():  # a failure episode starts or ends: alerts
            events += guarantee_events(self, audit, versions)
        events += [asset_error_event(e, self.event_context) for e in outcome.errors]
        outcome.messages += [error_line(e) for e in outcome.errors]
        reminders, _ = due_reminders(self, judge.proposals or None)
        written, outcome.audit_rows = self.store.write([*events, *reminders], audit,
                                                       self.invocation_id)
        self.undelivered.extend(written)
        return outcome

    def _membership_change(self) -> list[dict[str, Any]]:
        """The membership this run judges by, recorded when it differs from the last one
        recorded, so verify and the SQL models judge each answer by the membership in
        force when it was given."""
        if self.store.newest("membership_recorded", "fingerprint") == \
                membership_fingerprint(self.membership):
            return []
        return membership_events(self.membership, self.event_context)

    def _refuse_lost_history(self, events: Sequence[Mapping[str, Any]],
                             published: Mapping[str, Any]) -> None:
        """An asset about to be published as first whose publication an invocation record
        lists: its history was deleted from the log; re-publishing it as 1.0.0 would hide
        what changed since. The run stops, writing nothing (state.integrity)."""
        first = sorted({str(e["asset"]) for e in events if e["event_type"] ==
                        "contract_published" and e["asset"] not in published})
        lost = self.store.recorded_publications(first)
        if lost:
            asset, invocation = next(iter(sorted(lost.items())))
            raise StateDamaged(
                f"tessera: the state is damaged: {self.store.relations[EVENTS]['relation']} "
                f"lost the history of {asset}: invocation {invocation} recorded its "
                "publication, the log holds none (rows deleted?)", RESTORE)

    def _drift(self, uid: str, decision: Decision, source: str,
               history: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """What this run built (or a source's loader left) unapproved differs from the
        contract in force: drift, recorded from the columns already read (no query)."""
        served = self.served.get(uid)
        if decision.action != "unapproved" or served is None or not history:
            return []
        published = history[-1]
        found = drift(published, served, str(published.get("dialect") or "generic"))
        if not found.drifted:
            return []
        found = dataclasses.replace(found, asset=source)
        return [drift_event(found, str(published.get("version")), teams_of(published),
                            self.event_context)]

    def _retirements(self, published: Mapping[str, Any], outcome: RunOutcome
                     ) -> list[dict[str, Any]]:
        """Published assets this manifest no longer has under contract whose retirement
        proposal is approved: recorded as `contract_retired` (and the proposal published)."""
        present = {asset_name(node) for _, node in iter_assets(self.manifest)}
        gone = set(published) - present
        if not gone:
            return []
        self.judge.load_proposals()
        out: list[dict[str, Any]] = []
        for p in self.judge.proposals.values():
            if p.retire and p.status == "approved" and p.asset in gone:
                head = published[p.asset]
                out += retirement_events(p.asset, head["version"], p.proposal_id,
                                         self.event_context)
                outcome.messages.append(f"tessera: retired {p.asset} {head['version']} "
                                        f"(proposal {p.proposal_id})")
        return out

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
                "without an approved proposal; nothing was published. "
                f"{_capitalised(unapproved_step(decision))}")
        elif decision.action == "held":
            outcome.messages.append(f"tessera: {decision.asset} not published: "
                                    f"{decision.reason}")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def finding_lines(doc: Mapping[str, Any]) -> list[str]:
    """What the document says about itself (engine.served): one line each."""
    return [f"tessera: WARNING: {f.line(doc['asset'])}" for f in served_findings(doc)]


def error_line(error: AssetError) -> str:
    return ("tessera: ERROR: " + error.line(
        "its contract was not judged and nothing was published for it (its tests' audit "
        "rows are kept, an asset_error event records this); every other asset was recorded "
        "(vars.tessera.strict: true fails the run)"))


def on_run_end(payload: dict[str, Any]) -> dict[str, Any]:
    """Audit and publish; fails soft unless `strict`: an error is reported loudly but does
    not turn a green build red."""
    invocation_id = str(payload.get("invocation_id") or "")
    if invocation_id and invocation_id in _RECORDED:
        return {"messages": []}
    result = record_run(payload)
    if invocation_id and "published" in result:  # it ran to the end (errors or not)
        _RECORDED.add(invocation_id)
    return result


def record_run(payload: dict[str, Any]) -> dict[str, Any]:
    """The hook's job for the `results` in `payload` (live, or read from run_results.json
    by `tessera record`): rows already recorded are skipped by their ids."""
    settings = payload.get("settings") or {}
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
    result: dict[str, Any] = {"messages": outcome.messages,
                              "published": [d.asset for d in outcome.published],
                              "audit_rows": outcome.audit_rows}
    if outcome.errors and settings.get("strict"):
        result["error"] = (
            f"tessera: on-run-end failed (strict): {len(outcome.errors)} asset(s) with an "
            "invalid config, contract or state: " + ", ".join(e.asset for e in outcome.errors)
            + "; every other asset was recorded")
        return result
    if outcome.unapproved and str(settings.get("gate") or "").lower() == "block":
        # the gate passed them, yet they end unapproved: a proposal withdrawn, expired or
        # rejected while the run built (or a parent changed what they serve)
        result["error"] = (
            f"tessera: {len(outcome.unapproved)} breaking change(s) built without an approved "
            "proposal although the gate passed the run: " + ", ".join(
                d.asset for d in outcome.unapproved) + " (withdrawn or rejected during the "
            "build?); nothing was published for them (vars.tessera.gate is block; "
            "`{{ tessera.guard() }}` as a pre-hook stops such a model before it is replaced)")
        return result
    if outcome.unapproved and settings.get("fail_on_unapproved"):
        result["error"] = (
            f"tessera: {len(outcome.unapproved)} breaking change(s) without an approved "
            "proposal: " + ", ".join(d.asset for d in outcome.unapproved) + "; propose them "
            "with `dbt run-operation tessera.propose` (vars.tessera.fail_on_unapproved is on)")
    return result
