"""What a proposal or drift notification says (pure): the JSON body a webhook receives and
the Slack text made from it; `runtime.notify` signs and sends them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..engine.proposal import parse_time
from ..engine.text import human_time


def event_name(event: Mapping[str, Any]) -> str:
    """The public name: `proposal_approved` rather than `proposal_resolved`."""
    if event["event_type"] == "proposal_resolved":
        return f"proposal_{event.get('status')}"
    return str(event["event_type"])


def event_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    raw = event.get("payload")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    return raw if isinstance(raw, dict) else {}


def notification_body(event: Mapping[str, Any], proposal: Any) -> dict[str, Any]:
    """What a receiver needs to act without a second lookup: the asset, the proposed
    version, each breaking change, the teams that must answer (and those still waiting)
    and the deadline."""
    payload = event_payload(event)
    required = list(getattr(proposal, "required", None) or payload.get("required_acks") or [])
    changes = getattr(proposal, "breaking_changes", None) or payload.get("breaking_changes") \
        or []
    deadline = getattr(proposal, "expires_at", None) or payload.get("expires_at")
    waiting = payload.get("waiting_on")
    if waiting is None and proposal is not None:
        waiting = list(getattr(proposal, "missing", required))
    return {
        "event": event_name(event), "event_id": event.get("event_id"),
        "asset": event.get("asset"), "proposal_id": event.get("proposal_id"),
        "version": event.get("version"),
        "proposed_version": getattr(proposal, "proposed_version", None)
        or (event.get("version") if event.get("event_type") == "proposal_created" else None),
        "team": event.get("team"), "status": event.get("status"),
        # a settlement's reason is the id of the event that settled it, not a person's words
        "reason": None if event.get("event_type") == "proposal_resolved"
        else event.get("reason"), "actor": event.get("actor"),
        "recorded_at": str(event.get("recorded_at")),
        "breaking_changes": [{k: c.get(k) for k in ("rule", "path", "message")}
                             for c in changes if isinstance(c, Mapping)],
        "required_teams": required,
        "waiting_on": waiting if waiting is not None else required,
        "deadline": str(parse_time(deadline).isoformat()) if parse_time(deadline) else None,
    }


def slack_text(body: Mapping[str, Any]) -> str:
    head = [f"tessera: {body['event'].replace('_', ' ')}", f"{body['asset']}"]
    if body.get("proposal_id"):
        head.append(f"proposal {body['proposal_id']}")
    if body.get("proposed_version"):
        head.append(f"proposed version {body['proposed_version']}")
    if body.get("team"):
        head.append(f"team {body['team']}: {body.get('status')}")
    if body.get("reason"):
        head.append(f"reason: {body['reason']}")
    lines = [" · ".join(head)]
    lines += [f"• {c['rule']} at `{c['path']}`: {c['message']}"
              for c in body.get("breaking_changes") or ()]
    if body.get("required_teams"):
        tail = "must answer: " + ", ".join(body["required_teams"])
        if body.get("waiting_on") is not None and body["waiting_on"] != body["required_teams"]:
            tail += " (waiting on: " + (", ".join(body["waiting_on"]) or "nobody") + ")"
        if body.get("deadline"):
            tail += f" · deadline {human_time(body['deadline'])} UTC"
        lines.append(tail)
    return "\n".join(lines)
