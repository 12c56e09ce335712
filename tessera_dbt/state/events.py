"""Rows of the event log and their stable ids, built in one place.

An event's id is a hash of what identifies the fact, never a clock or a random number: a
retried hook, a re-run operation or two invocations writing the same fact produce the
same id, and the writer skips ids already stored (docs/architecture.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine.asset_errors import AssetError
from ..engine.membership import Membership
from ..engine.publish import Decision, content_hash, fingerprint
from ..engine.served import Drift
from ..engine.vocabulary import EventType


def stable_id(*parts: Any) -> str:
    """A deterministic id of JSON-able parts."""
    return content_hash(*parts)


def body(row: Mapping[str, Any]) -> dict[str, Any]:
    """An event's payload, as built (a dict) or as stored (JSON text)."""
    value = row.get("payload")
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


Identity = Callable[[Mapping[str, Any]], tuple[Any, ...]]
_PROPOSAL: Identity = lambda r: (r.get("proposal_id"),)  # noqa: E731
# The one id rule: event type → what identifies the fact, read from the row itself, so the
# writers (`event`) and `tessera verify` (state.verify) hash the same fields. Types absent
# here identify themselves by a value no column keeps (a count, a delivery's attempt):
# their writers pass `identity`, and verify checks them by their invocation record only.
IDENTITY: dict[str, Identity] = {
    "contract_published": lambda r: (r.get("asset"), r.get("version"), r.get("fingerprint")),
    "consumer_observed": lambda r: (r.get("asset"), r.get("version"), r.get("team"),
                                    r.get("status")),
    "change_unapproved": lambda r: (r.get("asset"), r.get("fingerprint"),
                                    r.get("invocation_id")),
    "publish_held": lambda r: (r.get("asset"), r.get("fingerprint"), r.get("invocation_id")),
    "contract_retired": lambda r: (r.get("asset"), r.get("version"), r.get("proposal_id")),
    # who answered is part of the fact: a member's answer is never merged into a
    # non-member's identical one (which readers do not count)
    "proposal_acknowledged": lambda r: (r.get("proposal_id"), r.get("team"), r.get("status"),
                                        r.get("reason"), r.get("actor")),
    "proposal_required": lambda r: (r.get("proposal_id"), r.get("team")),
    # one settlement per proposal, whatever it says: racing readers store one, the first
    "proposal_resolved": _PROPOSAL,
    "proposal_reminder": lambda r: (r.get("proposal_id"), body(r).get("days_before")),
    "asset_error": lambda r: (r.get("asset"), r.get("invocation_id"), r.get("reason")),
    "drift_detected": lambda r: (r.get("asset"), r.get("version"), body(r).get("missing"),
                                 body(r).get("dropped"), body(r).get("retyped"),
                                 body(r).get("added")),
    # one per failure episode of a guarantee (`reason`), numbered per (asset, guarantee):
    # a guarantee that keeps failing records nothing more until it recovers (state.episodes)
    **{kind: lambda r: (r.get("asset"), r.get("reason"), body(r).get("episode"))
       for kind in ("guarantee_failed", "guarantee_recovered")},
    # one record per batch of a write (state.records): who wrote, each event's hash, and
    # the record before it in the log (the chain `tessera verify` walks)
    "invocation_recorded": lambda r: (r.get("invocation_id"), r.get("actor"), r.get("status"),
                                      sorted((body(r).get("events") or {}).items()),
                                      body(r).get("previous")),
    # one row of the membership a publishing run held, per run that saw it change
    "membership_recorded": lambda r: (r.get("invocation_id"), r.get("fingerprint"),
                                      r.get("team"), r.get("status"), r.get("reason")),
    # who decided is part of the fact: a non-member's withdrawal or forcing (which readers
    # ignore) never takes the id a member's would have
    **{kind: lambda r: (r.get("proposal_id"), r.get("actor"))
       for kind in ("proposal_withdrawn", "proposal_forced")},
    **{kind: _PROPOSAL for kind in ("proposal_created", "proposal_changes", "proposal_deadline",
                                    "proposal_published")},
}


# Rules tessera wrote ids by before: rows written then still verify.
LEGACY_IDENTITY: dict[str, Identity] = {
    "proposal_acknowledged": lambda r: (r.get("proposal_id"), r.get("team"), r.get("status"),
                                        r.get("reason")),
    "invocation_recorded": lambda r: (r.get("invocation_id"), r.get("actor"), r.get("status"),
                                      sorted((body(r).get("events") or {}).items())),
    **{kind: _PROPOSAL for kind in ("proposal_withdrawn", "proposal_forced")},
}


def legacy_ids(row: Mapping[str, Any]) -> set[str]:
    rule = LEGACY_IDENTITY.get(str(row.get("event_type")))
    return {stable_id(row.get("event_type"), *rule(row))} if rule else set()


def event_id(row: Mapping[str, Any], identity: Sequence[Any] | None = None) -> str:
    """The id of an event row: the hash of its type and what identifies it."""
    kind = str(row.get("event_type"))
    rule = IDENTITY.get(kind)
    if rule is None and identity is None:
        raise ValueError(f"{kind}: no id rule; pass its identity")
    return stable_id(kind, *(rule(row) if rule is not None else identity))


def event(kind: EventType, identity: Sequence[Any] | None = None, **fields: Any
          ) -> dict[str, Any]:
    """An event of `kind`; its id by the type's rule in IDENTITY, else from `identity`."""
    row = {"event_type": kind, **fields}
    return {"event_id": event_id(row, identity), **row}


def proposal_id(asset: str, published_version: str, earlier_proposals: int) -> str:
    """The asset's next proposal against the published version it would break, numbered by
    the proposals the asset had before. Not the proposed contract: two writers racing to
    propose on the same state (no lock on Spark, BigQuery) write the same proposal, and the
    folds keep its first creation, so an asset never has two open proposals."""
    return "p_" + stable_id("proposal", asset, published_version, earlier_proposals)[:16]


def audit_id(invocation_id: str, test_id: str, asset: str | None) -> str:
    return stable_id("audit", invocation_id, test_id, asset)


def decision_events(decision: Decision, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the hook records for one publish decision; `context` holds the invocation's
    fields (actor, invocation_id, target_name, recorded_at)."""
    doc = decision.contract
    base = {"asset": decision.asset, "owner": doc.get("owner"),
            "compatibility": doc.get("compatibility"), "fingerprint": fingerprint(doc),
            **context}
    changes = [c.to_json(decision.report.mode) for c in decision.report.changes] \
        if decision.report else []
    if decision.action == "publish":
        events = [event("contract_published", **base,
                        version=decision.version, proposal_id=decision.proposal_id,
                        status=decision.bump, reason=decision.reason,
                        payload={**doc, "version": decision.version})]
        events += [event("consumer_observed", **base,
                         version=decision.version, team=c["team"], status=c["source"],
                         reason=c.get("purpose"), payload={"via": c.get("via", [])})
                   for c in doc.get("consumers") or ()]
        if decision.proposal_id:
            events.append(event("proposal_published", **base,
                                proposal_id=decision.proposal_id, version=decision.version,
                                status="published", payload={}))
        return events
    if decision.action in ("unapproved", "held"):
        kind: EventType = "change_unapproved" if decision.action == "unapproved" \
            else "publish_held"
        return [event(kind, **base, status=decision.bump, reason=decision.reason,
                      payload={"changes": changes})]
    return []


def retirement_events(asset: str, version: str, proposal: str,
                      context: Mapping[str, Any], publish_proposal: bool = True
                      ) -> list[dict[str, Any]]:
    """An approved retirement carried out (or a contract moved to another relation): the
    asset has no version in force any more."""
    base = {"asset": asset, "version": version, "proposal_id": proposal, **context}
    events = [event("contract_retired", **base, status="retired",
                    reason=f"retired by proposal {proposal}" if publish_proposal else
                    f"moved to another relation ({proposal})", payload={})]
    if publish_proposal:
        events.append(event("proposal_published", **base, status="published",
                            payload={}))
    return events


def asset_error_event(error: AssetError, context: Mapping[str, Any]) -> dict[str, Any]:
    """One asset whose config, contract or state was invalid in this invocation: its
    contract was neither judged nor published (its audit rows were kept). One per (asset,
    invocation, error)."""
    return event("asset_error", asset=error.asset, status="error", reason=error.problem,
                 **context,
                 payload={"unique_id": error.unique_id, "message": error.message,
                          "hint": error.hint})


def drift_event(drift: Drift, version: str, teams: Sequence[str],
                context: Mapping[str, Any]) -> dict[str, Any]:
    """A published contract whose live relation differs from it: one per distinct drift
    (the same drift found again records nothing), notified to `teams`."""
    return event("drift_detected", asset=drift.asset,
                 version=version, status="missing" if drift.missing else "drifted",
                 reason=drift.line(), **context,
                 payload={"dropped": list(drift.dropped), "added": list(drift.added),
                          "retyped": [list(r) for r in drift.retyped],
                          "missing": drift.missing, "notify_teams": list(teams)})


def _check(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a notification says of one check (an audit row)."""
    return {"test_unique_id": row.get("test_unique_id"), "test_name": row.get("test_name"),
            "status": row.get("status"), "failures": row.get("failures"),
            "message": row.get("message")}


def guarantee_failed_event(asset: str, guarantee: str, episode: int, version: str | None,
                           owner: str | None, consumers: Sequence[str],
                           checks: Sequence[Mapping[str, Any]], context: Mapping[str, Any]
                           ) -> dict[str, Any]:
    """A guarantee of `asset` started failing in this run: failure episode `episode`,
    notified to the owner team and the `consumers` that rely on it (state.episodes)."""
    teams = sorted({*consumers, *([owner] if owner else [])})
    return event("guarantee_failed", asset=asset, version=version, owner=owner,
                 status="failed", reason=guarantee, **context,
                 payload={"guarantee": guarantee, "episode": episode, "owner": owner,
                          "consumers": sorted(consumers), "notify_teams": teams,
                          "checks": [_check(c) for c in checks]})


def guarantee_recovered_event(asset: str, guarantee: str, episode: int,
                              version: str | None, owner: str | None,
                              teams: Sequence[str], failed_event_id: str, failed_at: Any,
                              checks: Sequence[Mapping[str, Any]],
                              context: Mapping[str, Any]) -> dict[str, Any]:
    """The guarantee of failure episode `episode` held again in this run: told once to the
    teams its failure was told to."""
    return event("guarantee_recovered", asset=asset, version=version, owner=owner,
                 status="recovered", reason=guarantee, **context,
                 payload={"guarantee": guarantee, "episode": episode, "owner": owner,
                          "notify_teams": sorted(teams), "failed_event_id": failed_event_id,
                          "failing_since": None if failed_at is None else str(failed_at),
                          "checks": [_check(c) for c in checks]})


def membership_fingerprint(membership: Membership) -> str:
    return stable_id("membership", sorted((t, sorted(u)) for t, u in membership.teams.items()),
                     sorted(membership.admins))


def membership_events(membership: Membership, context: Mapping[str, Any]
                      ) -> list[dict[str, Any]]:
    """The membership a publishing run holds, one row per team member and per admin (one
    `unconfigured` row when it holds none), so `tessera verify` and the SQL models judge
    each answer by the membership in force when it was given, without JSON functions.
    Rows of one membership share its fingerprint."""
    rows = [(team, "member", user) for team, users in sorted(membership.teams.items())
            for user in sorted(users)]
    rows += [(None, "admin", admin) for admin in sorted(membership.admins)]
    fp = membership_fingerprint(membership)
    return [event("membership_recorded", **context, fingerprint=fp, team=team, status=role,
                  reason=user, payload={})
            for team, role, user in rows or [(None, "unconfigured", None)]]


# --- proposals, as the operations record them (and tests replay racing writers with) ----

def proposal_events(proposal_id: str, asset: str, proposed: str | None,
                    body: Mapping[str, Any], context: Mapping[str, Any],
                    **created: Any) -> list[dict[str, Any]]:
    """A proposal's creation and its typed companions, so SQL models need no JSON
    functions: its breaking changes, its deadline as text (tessera_proposals shows an expiry
    nobody has read yet) and each team that must answer. `body` is the creation's payload
    (required_acks, breaking_changes, expires_at, ...); `created` its other columns (owner,
    compatibility, fingerprint, reason)."""
    # approved at creation when nobody must answer (as state.folds.fold_proposals)
    status = "approved" if not body["required_acks"] \
        and body.get("approve_without_consumers", True) else "pending"
    return [
        event("proposal_created", **context, asset=asset,
              proposal_id=proposal_id, version=proposed, status=status, **created,
              payload=dict(body)),
        event("proposal_changes", **context, asset=asset,
              proposal_id=proposal_id, payload=body["breaking_changes"]),
        event("proposal_deadline", **context, asset=asset,
              proposal_id=proposal_id, reason=body["expires_at"]),
        *(event("proposal_required", **context, asset=asset,
                proposal_id=proposal_id, team=team) for team in body["required_acks"])]


def acknowledgment_event(proposal_id: str, asset: str, team: str, response: str,
                         comment: str | None, migration_deadline: str | None,
                         context: Mapping[str, Any]) -> dict[str, Any]:
    return event("proposal_acknowledged", **context,
                 asset=asset, proposal_id=proposal_id, team=team, status=response,
                 reason=comment,  # plain text, as given: tessera_acknowledgments.comment
                 payload={"comment": comment, "migration_deadline": migration_deadline})


def withdrawal_event(proposal_id: str, asset: str, reason: str | None,
                     context: Mapping[str, Any]) -> dict[str, Any]:
    return event("proposal_withdrawn", **context, asset=asset,
                 proposal_id=proposal_id, status="withdrawn", reason=reason)


def forced_event(proposal_id: str, asset: str, reason: str,
                 context: Mapping[str, Any]) -> dict[str, Any]:
    return event("proposal_forced", **context, asset=asset,
                 proposal_id=proposal_id, status="approved", reason=reason)
