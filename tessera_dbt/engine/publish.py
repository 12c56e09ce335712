"""What the on-run-end hook publishes (write-audit-publish), decided as pure functions.

The verdict comes from the one decider (`decider.judge`, shared with `tessera check` and
`propose`); this module maps it to the hook's action: first publication, compatible and
verified, a graduating pre-release, an approved or pre-release breaking change → publish;
identical → nothing; breaking without approval → an unapproved change is recorded;
pending verification (an added or tightened guarantee whose test did not pass in this
run) or a failed guarantee under `require_audit_pass` → held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .changes import Change, Report
from .decider import Verdict, content_hash, fingerprint, judge
from .proposal import Proposal
from .vocabulary import Action, Bump, Outcome

__all__ = ["Decision", "Published", "action_of", "content_hash", "decide", "fingerprint"]

_ACTIONS: dict[Outcome, Action] = {
    "first": "publish", "graduation": "publish", "compatible": "publish",
    "breaking_approved": "publish", "unchanged": "unchanged",
    "breaking_pending": "unapproved", "breaking_unproposed": "unapproved",
    "pending_verification": "held", "held": "held",
}


def action_of(verdict: Verdict) -> Action:
    return _ACTIONS[verdict.outcome]


@dataclass(frozen=True)
class Published:
    """The current published version of one asset, as read from the state tables."""

    asset: str
    version: str
    fingerprint: str
    contract: Mapping[str, Any]
    history: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Decision:
    asset: str
    action: Action
    version: str | None
    bump: Bump
    report: Report | None
    reason: str
    contract: Mapping[str, Any] = field(repr=False, default_factory=dict)
    proposal_id: str | None = None
    verdict: Verdict | None = field(default=None, repr=False, compare=False)

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        if self.verdict is not None:
            return self.verdict.breaking_changes
        return self.report.breaking_changes if self.report else ()


def _broken_guarantees(doc: Mapping[str, Any], failed_tests: set[str],
                       failed_guarantees: Iterable[str]) -> list[str]:
    """'guarantee (test ids)' for each guarantee of the contract whose test failed, plus any
    other failed guarantee (a freshness check), sorted."""
    broken: dict[str, list[str]] = {}
    for key, ids in (doc.get("x-tests") or {}).items():
        hit = sorted(set([ids] if isinstance(ids, str) else ids) & failed_tests)
        if hit:
            broken[key] = hit
    for key in failed_guarantees:
        broken.setdefault(key, [])
    return [f"{key} ({', '.join(ids)})" if ids else key for key, ids in sorted(broken.items())]


def decide(
    doc: Mapping[str, Any],
    published: Published | None,
    passed_tests: Iterable[str],
    failed_tests: Iterable[str] = (),
    approved_proposal: Mapping[str, Any] | None = None,
    require_audit_pass: bool = False,
    declared_version: str | None = None,
    failed_guarantees: Iterable[str] = (),
    proposals: Iterable[Proposal] = (),
    block_unverified: bool = False,
) -> Decision:
    """Decide what to publish for one asset built in this run. `failed_guarantees` are the
    asset's guarantees whose check failed in the run (from the audit rows: tests and source
    freshness); with `require_audit_pass` any of them, or any failed test behind the
    contract's `x-tests`, holds every publication, not only tightenings.
    `approved_proposal` ({proposal_id, version}) is an approved proposal for this exact
    contract; `proposals` are the asset's proposals (the hook passes them all)."""
    asset = str(doc["asset"])
    broken = (_broken_guarantees(doc, set(failed_tests), failed_guarantees)
              if require_audit_pass else [])
    found = list(proposals)
    if approved_proposal is not None:
        found.append(Proposal(str(approved_proposal.get("proposal_id")), asset, "approved",
                              approved_proposal.get("version"), fingerprint(doc), [], None,
                              None, None, [], {}))
    history = [*published.history, published.contract] if published is not None else []
    verdict = judge(doc, history, passed_tests=passed_tests, verified_by_run=True,
                    proposals=found, declared_version=declared_version,
                    block_unverified=block_unverified, broken=broken,
                    published_version=published.version if published is not None else None)
    action = action_of(verdict)
    reason = verdict.reason
    if verdict.outcome == "breaking_approved" and verdict.approval == "proposal" \
            and verdict.proposal is not None and verdict.proposal.forced:
        p = verdict.proposal
        reason = (f"breaking change force-published by {p.forced_by or 'an unrecorded actor'}"
                  f" without every acknowledgment (proposal {p.proposal_id}): "
                  f"{p.forced_reason or 'no reason recorded'}")
    elif verdict.outcome == "breaking_approved" and verdict.approval == "proposal":
        reason = "breaking change approved by " + (
            f"proposal {verdict.proposal.proposal_id}" if verdict.proposal is not None
            else "its proposal")
    elif action == "unapproved":
        reason = "breaking change without an approved proposal"
    elif verdict.outcome == "pending_verification":
        reason = ("a tightened guarantee was not verified by a passing test in this run "
                  f"({verdict.reason})")
    elif verdict.outcome == "breaking_approved":
        reason = "pre-release: consumers opt in, no proposal needed"
    return Decision(asset, action, verdict.version if action == "publish" else
                    (verdict.version if action == "unchanged" else None),
                    verdict.bump, verdict.report, reason, doc,
                    proposal_id=verdict.proposal.proposal_id
                    if action == "publish" and verdict.proposal else None,
                    verdict=verdict)
