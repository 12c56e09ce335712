"""Notifications as recorded facts: deliver what an invocation just wrote (proposal
events one by one, guarantee alerts grouped per team and run), then record
each delivery (`notification_sent`) and failure (`notification_failed`), URLs redacted;
and reminders (`proposal_reminder`) of proposals about to expire, due
`reminder_days_before_expiry` days before the deadline and recorded, with a deterministic
id, by whichever invocation first reads the state after that moment (so sent once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.proposal import Proposal, parse_time
from ..engine.settings import default
from ..engine.vocabulary import PROPOSAL_EVENTS
from ..render.alert_messages import alert_messages
from ..state.events import event
from ..state.folds import fold_proposals
from .notify import NOTIFIED, Delivery, deliver, deliver_alerts


def reminder_days(settings: Mapping[str, Any]) -> float | None:
    days = settings.get("reminder_days_before_expiry", default("reminder_days_before_expiry"))
    return float(days) if days not in (None, "", 0, "0", False) else None


def due_reminders(inv: Any, proposals: Mapping[str, Proposal] | None = None
                  ) -> tuple[list[dict[str, Any]], Mapping[str, Proposal]]:
    """The reminder events due now (`inv` is the Invocation), and the proposals read."""
    days = reminder_days(inv.settings)
    if days is None:
        return [], proposals or {}
    if proposals is None:
        proposals = fold_proposals(inv.store.events(PROPOSAL_EVENTS), inv.now,
                                   inv.membership)
    out = []
    for p in proposals.values():
        expires = parse_time(p.expires_at)
        if p.status != "pending" or expires is None or not p.missing:
            continue
        if expires - dt.timedelta(days=days) <= inv.now < expires:
            out.append(event("proposal_reminder", **inv.event_context, asset=p.asset,
                             proposal_id=p.proposal_id,
                             version=p.proposed_version, status="pending",
                             reason=expires.isoformat(),
                             payload={"waiting_on": p.missing, "expires_at": p.expires_at,
                                      "days_before": days}))
    return out, proposals


def deliver_written(inv: Any) -> list[str]:
    """Deliver what `inv` (the Invocation) wrote, once its writes are committed and the
    writer lock (StateStore.exclusive) released: a slow webhook never holds other writers
    up, and nothing rolled back is ever announced. One line per failed delivery."""
    written, inv.undelivered = inv.undelivered, []
    return notify_and_record(inv, written) + alert_and_record(inv, written)


def notify_and_record(inv: Any, written: Sequence[Mapping[str, Any]],
                      proposals: Mapping[str, Any] | None = None) -> list[str]:
    """Deliver the notifiable events among `written`; record every outcome; return one
    line per failed delivery."""
    if not any(e.get("event_type") in NOTIFIED for e in written):
        return []
    if proposals is None:
        proposals = fold_proposals(inv.store.events(PROPOSAL_EVENTS), inv.now,
                                   inv.membership)
    return _record(inv, deliver(inv.settings, written, proposals))


def alert_and_record(inv: Any, written: Sequence[Mapping[str, Any]]) -> list[str]:
    """The guarantee alerts among `written` (`guarantee_failed`, `guarantee_recovered`),
    one message per team and run (render.alert_messages); every outcome recorded."""
    messages = alert_messages(written)
    return _record(inv, deliver_alerts(inv.settings, messages)) if messages else []


def _record(inv: Any, deliveries: Sequence[Delivery]) -> list[str]:
    recorded = [event("notification_failed" if d.error else "notification_sent",
                      (d.event.get("event_id"), index, d.url), **inv.event_context,
                      asset=d.event.get("asset"), proposal_id=d.event.get("proposal_id"),
                      team=d.event.get("team"), status=d.name,
                      reason=d.line if d.error else d.url,
                      payload={"event_id": d.event.get("event_id"), "url": d.url,
                               "error": d.error})
                for index, d in enumerate(deliveries)]
    if recorded:
        inv.store.write(recorded, [], inv.invocation_id)
    return [d.line for d in deliveries if d.error]
