"""A proposal and the rules of its life (pure).

A breaking change becomes a proposal that waits for every required consumer team:
pending → approved (all answered approved or migrating) / rejected (any blocked) /
withdrawn / expired (applied when state is read, no daemon) → published (by the hook
when the approved contract ships). A forced publish is an audited approval. The events
are folded into these values by `state.folds`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .settings import default
from .vocabulary import OPEN_STATUSES, ProposalStatus

DEFAULT_EXPIRY_DAYS = int(default("proposal_expiry_days"))


@dataclass
class Proposal:
    proposal_id: str
    asset: str
    status: ProposalStatus
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
    forced_by: str | None = None  # who forced it (the acting user) ...
    forced_reason: str | None = None  # ... and why, as recorded by force_publish
    retire: bool = False  # a proposal to retire the asset (deleted or out of contract)
    # the event that settled it (the answer that completed or blocked it, or its creation
    # when nobody must answer): later answers are ignored, and readers record it
    settled_by: str | None = None
    # answers, withdrawals and forcings not counted: their actor was no member (by the
    # membership of the run that reads), each {event, team, actor, why}
    ignored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [t for t in self.required if t not in self.acks]


def parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def expire(proposal: Proposal, now: dt.datetime) -> None:
    """A pending proposal past its expiry is expired (applied whenever state is read)."""
    expires = parse_time(proposal.expires_at)
    if proposal.status == "pending" and expires is not None and now >= expires:
        proposal.status, proposal.resolved_at = "expired", proposal.expires_at


def settle(proposal: Proposal, at: Any) -> None:
    """After an answer: rejected by any required team's `blocked`, approved once every
    required team answered. A proposal nobody must answer is settled at its creation (or
    only forced, under require_force_without_consumers), never by a stray answer."""
    answers = [proposal.acks[t]["response"] for t in proposal.required if t in proposal.acks]
    if "blocked" in answers:
        proposal.status, proposal.resolved_at = "rejected", at
    elif proposal.required and not proposal.missing:
        proposal.status, proposal.resolved_at = "approved", at


def open_proposal(proposals: Mapping[str, Proposal], asset: str) -> Proposal | None:
    """The asset's pending or approved proposal (one at a time per asset)."""
    for proposal in proposals.values():
        if proposal.asset == asset and proposal.status in OPEN_STATUSES:
            return proposal
    return None
