"""Proposals, acknowledgments and registrations, folded from the event log (pure).

A breaking change becomes a proposal that waits for every required consumer team:
pending → approved (all answered approved or migrating) / rejected (any blocked) /
withdrawn / expired (applied when state is read, no daemon) → published (by the hook
when the approved contract ships). A forced publish is an audited approval.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RESPONSES = ("approved", "migrating", "blocked")
OPEN = ("pending", "approved")
DEFAULT_EXPIRY_DAYS = 30


@dataclass
class Proposal:
    proposal_id: str
    asset: str
    status: str
    proposed_version: str | None
    fingerprint: str | None
    required: list[str]
    created_at: Any
    expires_at: Any
    reason: str | None
    breaking_changes: list[dict[str, Any]]
    contract: dict[str, Any]
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    resolved_at: Any = None
    forced: bool = False

    @property
    def missing(self) -> list[str]:
        return [t for t in self.required if t not in self.acks]


def _payload(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("payload")
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def fold_proposals(events: Iterable[Mapping[str, Any]], now: dt.datetime) -> dict[str, Proposal]:
    """Every proposal's current state, from its events in recorded order."""
    proposals: dict[str, Proposal] = {}
    for row in sorted(events, key=lambda r: (str(r.get("recorded_at")), str(r.get("event_id")))):
        kind, pid = row.get("event_type"), row.get("proposal_id")
        if not pid:
            continue
        body = _payload(row)
        if kind == "proposal_created":
            proposals[pid] = Proposal(
                pid, str(row.get("asset")), "pending", row.get("version"),
                row.get("fingerprint"), list(body.get("required_acks") or []),
                row.get("recorded_at"), body.get("expires_at"), row.get("reason"),
                list(body.get("breaking_changes") or []), dict(body.get("contract") or {}))
            if not proposals[pid].required and body.get("approve_without_consumers", True):
                proposals[pid].status = "approved"
                proposals[pid].resolved_at = row.get("recorded_at")
            continue
        proposal = proposals.get(pid)
        if proposal is None:
            continue
        if kind == "proposal_acknowledged" and proposal.status == "pending":
            proposal.acks[str(row.get("team"))] = {
                "response": row.get("status"), "comment": body.get("comment"),
                "migration_deadline": body.get("migration_deadline"),
                "acknowledged_at": row.get("recorded_at"), "actor": row.get("actor")}
            _settle(proposal, row.get("recorded_at"))
        elif kind == "proposal_withdrawn" and proposal.status in OPEN:
            proposal.status, proposal.resolved_at = "withdrawn", row.get("recorded_at")
        elif kind == "proposal_forced" and proposal.status in ("pending", "rejected"):
            proposal.status, proposal.forced = "approved", True
            proposal.resolved_at = row.get("recorded_at")
        elif kind == "proposal_published" and proposal.status == "approved":
            proposal.status, proposal.resolved_at = "published", row.get("recorded_at")
    for proposal in proposals.values():
        expire(proposal, now)
    return proposals


def expire(proposal: Proposal, now: dt.datetime) -> None:
    """A pending proposal past its expiry is expired (applied whenever state is read)."""
    expires = _time(proposal.expires_at)
    if proposal.status == "pending" and expires is not None and now >= expires:
        proposal.status, proposal.resolved_at = "expired", proposal.expires_at


def _settle(proposal: Proposal, at: Any) -> None:
    answers = [proposal.acks[t]["response"] for t in proposal.required if t in proposal.acks]
    if "blocked" in answers:
        proposal.status, proposal.resolved_at = "rejected", at
    elif not proposal.missing:
        proposal.status, proposal.resolved_at = "approved", at


def fold_registrations(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str | None]]:
    """asset → {team: purpose} of teams registered (and not unregistered since)."""
    out: dict[str, dict[str, str | None]] = {}
    for row in sorted(events, key=lambda r: (str(r.get("recorded_at")), str(r.get("event_id")))):
        asset, team = str(row.get("asset")), str(row.get("team"))
        if row.get("event_type") == "consumer_registered":
            out.setdefault(asset, {})[team] = row.get("reason")
        elif row.get("event_type") == "consumer_unregistered":
            out.get(asset, {}).pop(team, None)
    return out


def open_proposal(proposals: Mapping[str, Proposal], asset: str) -> Proposal | None:
    """The asset's pending or approved proposal (one at a time per asset)."""
    for proposal in proposals.values():
        if proposal.asset == asset and proposal.status in OPEN:
            return proposal
    return None
