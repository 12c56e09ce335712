"""Current state folded from the event log (pure): proposals and registrations.

Events are read in recorded order, ties broken by event id, the same order the SQL models
(`models/marts/`) use, so Python and the BI models agree on the same log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.errors import ConfigError
from ..engine.membership import DECISION_OPS, Membership, answer_refusal, decision_refusal
from ..engine.proposal import Proposal, expire, settle
from ..engine.vocabulary import OPEN_STATUSES
from .records import acting_user


def event_order(row: Mapping[str, Any]) -> tuple[str, str]:
    return (str(row.get("recorded_at")), str(row.get("event_id")))


def _payload(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("payload")
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}


def first_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows in the log's order, each event id once, the first recorded (as
    `stg_tessera__events`): two writers racing to store the same fact, or the same id
    with other content, leave one fact."""
    seen: set[Any] = set()
    out = []
    for row in sorted(rows, key=event_order):
        if row.get("event_id") in seen:
            continue
        seen.add(row.get("event_id"))
        out.append(row)
    return out


def fold_proposals(events: Iterable[Mapping[str, Any]], now: dt.datetime,
                   membership: Membership | None = None) -> dict[str, Proposal]:
    """Every proposal's current state, from its events in recorded order; a proposal's
    first creation is the one in force. With `membership` (the committed one of the run
    that reads), an answer, withdrawal or forcing counts only when its actor is a member:
    one written from a copy of the project that lists its own writer is kept in
    `Proposal.ignored`, with why (authority is judged by the reader that acts)."""
    proposals: dict[str, Proposal] = {}
    for row in first_rows(events):
        kind, pid = row.get("event_type"), row.get("proposal_id")
        if not pid or (kind == "proposal_created" and pid in proposals):
            continue
        body = _payload(row)
        if kind == "proposal_created":
            proposals[pid] = Proposal(
                pid, str(row.get("asset")), "pending", row.get("version"),
                row.get("fingerprint"), list(body.get("required_acks") or []),
                row.get("recorded_at"), body.get("expires_at"), row.get("reason"),
                list(body.get("breaking_changes") or []), dict(body.get("contract") or {}),
                retire=bool(body.get("retire")))
            if not proposals[pid].required and body.get("approve_without_consumers", True):
                proposals[pid].status = "approved"
                proposals[pid].resolved_at = row.get("recorded_at")
                proposals[pid].settled_by = row.get("event_id")
            continue
        proposal = proposals.get(pid)
        if proposal is None:
            continue
        refusal = _refusal(membership, kind, row, proposal)
        if refusal is not None:
            proposal.ignored.append({"event": kind, "team": row.get("team"),
                                     "actor": acting_user(row), "why": refusal.message})
            continue
        if kind == "proposal_acknowledged" and proposal.status == "pending":
            proposal.acks[str(row.get("team"))] = {
                "response": row.get("status"), "comment": body.get("comment"),
                "migration_deadline": body.get("migration_deadline"),
                "acknowledged_at": row.get("recorded_at"), "actor": acting_user(row)}
            settle(proposal, row.get("recorded_at"))
            if proposal.status != "pending":
                proposal.settled_by = row.get("event_id")
        elif kind == "proposal_withdrawn" and proposal.status in OPEN_STATUSES:
            proposal.status, proposal.resolved_at = "withdrawn", row.get("recorded_at")
        elif kind == "proposal_forced" and proposal.status in ("pending", "rejected"):
            proposal.status, proposal.forced = "approved", True
            proposal.forced_by, proposal.forced_reason = acting_user(row), row.get("reason")
            proposal.resolved_at = row.get("recorded_at")
        elif kind == "proposal_published" and proposal.status == "approved":
            proposal.status, proposal.resolved_at = "published", row.get("recorded_at")
    for proposal in proposals.values():
        expire(proposal, now)
    return proposals


def _refusal(membership: Membership | None, kind: Any, row: Mapping[str, Any],
             proposal: Proposal) -> ConfigError | None:
    if membership is None or not membership.configured:
        return None
    if kind == "proposal_acknowledged":
        return answer_refusal(membership, acting_user(row), str(row.get("team")))
    if kind in ("proposal_withdrawn", "proposal_forced"):
        return decision_refusal(membership, acting_user(row), proposal.contract.get("owner"),
                                DECISION_OPS[str(kind)])
    return None


@dataclass(frozen=True)
class RecordedMembership:
    """A membership a publishing run recorded (membership_recorded), in force from
    `recorded_at` until the next one."""
    recorded_at: Any
    fingerprint: str
    membership: Membership


def fold_memberships(rows: Iterable[Mapping[str, Any]]) -> list[RecordedMembership]:
    """The recorded memberships in the log's order, one per run that recorded one."""
    runs: dict[tuple[str, str], tuple[Any, dict[str, list[str]], list[str]]] = {}
    for row in first_rows(r for r in rows if r.get("event_type") == "membership_recorded"):
        key = (str(row.get("invocation_id")), str(row.get("fingerprint")))
        _, teams, admins = runs.setdefault(key, (row.get("recorded_at"), {}, []))
        if row.get("status") == "member":
            teams.setdefault(str(row.get("team")), []).append(str(row.get("reason")))
        elif row.get("status") == "admin":
            admins.append(str(row.get("reason")))
    return [RecordedMembership(at, fp, Membership(
                {t: tuple(u) for t, u in teams.items()}, tuple(admins),
                (f"the membership recorded at {at}",)))
            for (_, fp), (at, teams, admins) in runs.items()]


def membership_at(history: Sequence[RecordedMembership], when: Any) -> Membership | None:
    """The recorded membership in force at `when` (the log's order); before the first
    record, the first one (the nearest known); None when nothing was ever recorded."""
    if not history:
        return None
    in_force = history[0]
    for recorded in history:
        if str(recorded.recorded_at) <= str(when):
            in_force = recorded
    return in_force.membership


def fold_heads(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """asset → its `contract_published` row in force: the last word of its publications
    and retirements in recorded order, ties broken by event id (as `tessera_contracts`'
    is_current). An asset whose last word is `contract_retired` has no head."""
    heads: dict[str, dict[str, Any]] = {}
    for row in first_rows(rows):
        if row.get("event_type") == "contract_retired":
            heads.pop(str(row["asset"]), None)
        else:
            heads[str(row["asset"])] = dict(row)
    return heads


def fold_histories(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """asset → its published contract documents in recorded order (ties by event id), one
    per version; a retirement starts the history afresh."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=event_order):
        asset = str(row["asset"])
        if row.get("event_type") == "contract_retired":
            out.pop(asset, None)
            continue
        versions = out.setdefault(asset, [])
        if all(v.get("version") != row["version"] for v in versions):
            versions.append(_payload(row))
    return out


def fold_registrations(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str | None]]:
    """asset → {team: purpose} of teams registered (and not unregistered since)."""
    out: dict[str, dict[str, str | None]] = {}
    for row in sorted(events, key=event_order):
        asset, team = str(row.get("asset")), str(row.get("team"))
        if row.get("event_type") == "consumer_registered":
            out.setdefault(asset, {})[team] = row.get("reason")
        elif row.get("event_type") == "consumer_unregistered":
            out.get(asset, {}).pop(team, None)
    return out


def current_drift(events: Sequence[Mapping[str, Any]], heads: Mapping[str, Any]
                  ) -> dict[str, str]:
    """asset → its latest drift (`drift_detected`) against the version in force, as
    tessera_contract_status.last_drift shows it; a later version clears it."""
    out: dict[str, tuple[Any, str, str]] = {}
    for e in events:
        head = heads.get(e.get("asset"))
        if head is None or e.get("version") != head["version"]:
            continue
        key = (e.get("recorded_at"), str(e.get("event_id")), str(e.get("reason") or ""))
        if e["asset"] not in out or key > out[e["asset"]]:
            out[e["asset"]] = key
    return {asset: reason for asset, (_, _, reason) in out.items()}
