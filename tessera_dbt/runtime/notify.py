"""Notifications of proposal events: JSON webhooks signed with HMAC-SHA256, and Slack
incoming webhooks. Sent after the event is recorded, with a short timeout and retries; a
failed delivery is reported and recorded, never raised (a dbt run does not fail for it).

    vars:
      tessera:
        webhooks: [{url: https://..., secret_env: TESSERA_WEBHOOK_SECRET}]
        team_webhooks: {finance: [{url: https://..., secret: plain-text}]}   # that team's events

dbt does not render Jinja inside nested vars, so `secret: "{{ env_var(...) }}"` would sign
with that literal text: `secret_env` names the environment variable to read instead.
        slack_webhooks: [https://hooks.slack.com/...]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NOTIFIED = ("proposal_created", "proposal_acknowledged", "proposal_resolved",
            "proposal_withdrawn", "proposal_forced", "proposal_published")
SIGNATURE_HEADER = "X-Tessera-Signature"
TIMEOUT_SECONDS = 3.0
ATTEMPTS = 3


@dataclass(frozen=True)
class Target:
    url: str
    secret: str | None
    slack: bool


def _webhook(w: Mapping[str, Any]) -> Target:
    secret = os.environ.get(str(w["secret_env"])) if w.get("secret_env") else w.get("secret")
    return Target(str(w["url"]), secret, False)


def _targets(settings: Mapping[str, Any], teams: Iterable[str]) -> list[Target]:
    out = [_webhook(w) for w in settings.get("webhooks") or ()
           if isinstance(w, Mapping) and w.get("url")]
    per_team = settings.get("team_webhooks") or {}
    for team in teams:
        for w in per_team.get(team) or ():
            if isinstance(w, Mapping) and w.get("url"):
                out.append(_webhook(w))
    out += [Target(str(url), None, True) for url in settings.get("slack_webhooks") or ()]
    return out


def event_name(event: Mapping[str, Any]) -> str:
    """The public name: `proposal_approved` rather than `proposal_resolved`."""
    if event["event_type"] == "proposal_resolved":
        return f"proposal_{event.get('status')}"
    return str(event["event_type"])


def _body(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event": event_name(event), "event_id": event.get("event_id"),
        "asset": event.get("asset"), "proposal_id": event.get("proposal_id"),
        "version": event.get("version"), "team": event.get("team"),
        "status": event.get("status"), "reason": event.get("reason"),
        "actor": event.get("actor"), "recorded_at": str(event.get("recorded_at")),
    }


def _slack_text(body: Mapping[str, Any]) -> str:
    parts = [f"tessera: {body['event'].replace('_', ' ')}", f"{body['asset']}"]
    if body.get("proposal_id"):
        parts.append(f"proposal {body['proposal_id']}")
    if body.get("team"):
        parts.append(f"team {body['team']}: {body.get('status')}")
    if body.get("reason"):
        parts.append(f"reason: {body['reason']}")
    return " · ".join(parts)


def _post(target: Target, body: Mapping[str, Any]) -> None:
    payload = {"text": _slack_text(body)} if target.slack else body
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "tessera-dbt"}
    if target.secret:
        digest = hmac.new(str(target.secret).encode(), data, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    request = urllib.request.Request(target.url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        if response.status >= 300:
            raise urllib.error.HTTPError(target.url, response.status, "not accepted", {}, None)


def deliver(settings: Mapping[str, Any], events: Iterable[Mapping[str, Any]],
            teams_of: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Send every notifiable event to its targets; return one line per failed delivery."""
    failures: list[str] = []
    for event in events:
        if event.get("event_type") not in NOTIFIED:
            continue
        teams = set((teams_of or {}).get(str(event.get("proposal_id")), ()))
        if event.get("team"):
            teams.add(str(event["team"]))
        body = _body(event)
        for target in _targets(settings, sorted(teams)):
            error = None
            for attempt in range(ATTEMPTS):
                try:
                    _post(target, body)
                    error = None
                    break
                except (OSError, urllib.error.URLError, ValueError) as exc:
                    error = exc
                    time.sleep(0.2 * (attempt + 1))
            if error is not None:
                failures.append(f"tessera: notification {body['event']} to {target.url} "
                                f"failed after {ATTEMPTS} attempts: {error}")
    return failures
