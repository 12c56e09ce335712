"""Notifications of proposal events and guarantee alerts: JSON webhooks signed with
HMAC-SHA256 over a timestamp and the body, and Slack incoming webhooks (global and per
team). A guarantee alert (render.alert_messages) is one message per team and run, sent to
that team's channels, and one per run to the global ones. Sent after the event is
recorded, with a short timeout and retries; a failed delivery is reported and recorded
(`notification_failed`), a delivered one recorded too (`notification_sent`), never raised
(a dbt run does not fail for it). Webhook URLs are secrets (Slack's carry the token):
every message and event shows them redacted.

    vars:
      tessera:
        webhooks: [{url: https://..., secret_env: TESSERA_WEBHOOK_SECRET}]
        team_webhooks: {finance: [{url: https://..., secret: plain-text}]}   # that team's events
        slack_webhooks: [https://hooks.slack.com/...]
        team_slack: {finance: [https://hooks.slack.com/...]}                # that team's events

dbt does not render Jinja inside nested vars, so `secret: "{{ env_var(...) }}"` would sign
with that literal text: `secret_env` names the environment variable to read instead.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify_signature
from ..render.alert_messages import ALERT, AlertMessage, alert_text
from ..render.notifications import event_payload, notification_body, slack_text

__all__ = ["NOTIFIED", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Delivery", "deliver",
           "deliver_alerts", "redact", "verify_signature"]

NOTIFIED = ("proposal_created", "proposal_acknowledged", "proposal_resolved",
            "proposal_withdrawn", "proposal_forced", "proposal_published", "proposal_reminder",
            "drift_detected")
TIMEOUT_SECONDS = 3.0
ATTEMPTS = 3


@dataclass(frozen=True)
class Target:
    url: str
    secret: str | None
    slack: bool


@dataclass(frozen=True)
class Delivery:
    """One notification attempt's outcome: what was sent where (redacted) and why not."""

    event: Mapping[str, Any]
    name: str
    url: str  # redacted
    error: str | None = None

    @property
    def line(self) -> str:
        return (f"tessera: notification {self.name} to {self.url} failed after {ATTEMPTS} "
                f"attempts: {self.error}")


def redact(url: str) -> str:
    """A webhook URL safe to print and store: scheme and host, the path hidden.

    >>> redact("https://hooks.slack.com/services/T000/B000/XXXX")
    'https://hooks.slack.com/***'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}/***" if parts.scheme else "***"


def _webhook(w: Mapping[str, Any]) -> Target:
    secret = os.environ.get(str(w["secret_env"])) if w.get("secret_env") else w.get("secret")
    return Target(str(w["url"]), secret, False)


def _targets(settings: Mapping[str, Any], teams: Iterable[str],
             every_team: bool = True) -> list[Target]:
    """The channels of `teams` (`team_webhooks`, `team_slack`), after those that hear
    every team (`webhooks`, `slack_webhooks`) unless `every_team` is false."""
    teams = list(teams)
    out = [_webhook(w) for w in settings.get("webhooks") or ()
           if isinstance(w, Mapping) and w.get("url")] if every_team else []
    per_team = settings.get("team_webhooks") or {}
    for team in teams:
        out += [_webhook(w) for w in per_team.get(team) or ()
                if isinstance(w, Mapping) and w.get("url")]
    if every_team:
        out += [Target(str(url), None, True) for url in settings.get("slack_webhooks") or ()]
    slack_teams = settings.get("team_slack") or {}
    for team in teams:
        urls = slack_teams.get(team) or ()
        out += [Target(str(url), None, True) for url in ([urls] if isinstance(urls, str)
                                                        else urls)]
    unique: dict[tuple[str, bool], Target] = {}
    for target in out:
        unique.setdefault((target.url, target.slack), target)
    return list(unique.values())


def _post(target: Target, body: Mapping[str, Any], text: str | None = None) -> None:
    payload = {"text": text or slack_text(body)} if target.slack else body
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "tessera-dbt"}
    if target.secret:
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(str(target.secret), timestamp, data)
    request = urllib.request.Request(target.url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        if response.status >= 300:
            raise urllib.error.HTTPError(redact(target.url), response.status, "not accepted",
                                         {}, None)


def deliver(settings: Mapping[str, Any], events: Iterable[Mapping[str, Any]],
            proposals: Mapping[str, Any] | None = None) -> list[Delivery]:
    """Send every notifiable event to its targets; one Delivery per target tried.
    `proposals` maps proposal_id → its Proposal (or the list of teams it requires)."""
    out: list[Delivery] = []
    for event in events:
        if event.get("event_type") not in NOTIFIED:
            continue
        proposal = (proposals or {}).get(str(event.get("proposal_id")))
        if isinstance(proposal, (list, tuple, set, frozenset)):
            teams = set(proposal)
            proposal = None
        else:
            teams = set(getattr(proposal, "required", None) or ())
        if event.get("team"):
            teams.add(str(event["team"]))
        teams.update(str(t) for t in event_payload(event).get("notify_teams") or ())
        body = notification_body(event, proposal)
        out += [Delivery(event, body["event"], redact(target.url), _send(target, body))
                for target in _targets(settings, sorted(teams))]
    return out


def _send(target: Target, body: Mapping[str, Any], text: str | None = None) -> str | None:
    """Post with retries; why it failed (the URL redacted), or None."""
    error: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            _post(target, body, text)
            return None
        except (OSError, urllib.error.URLError, ValueError) as exc:
            error = exc
            time.sleep(0.2 * (attempt + 1))
    return str(error).replace(target.url, redact(target.url))


def deliver_alerts(settings: Mapping[str, Any], messages: Iterable[AlertMessage]
                   ) -> list[Delivery]:
    """Send each guarantee alert (render.alert_messages) to its team's channels only (a
    message of no team to the channels of every team), signed as every notification;
    one Delivery per target tried, its `event` naming the message."""
    out: list[Delivery] = []
    for message in messages:
        targets = _targets(settings, [message.team], every_team=False) if message.team \
            else _targets(settings, ())
        shown = {"event_id": message.message_id, "event_type": ALERT, "team": message.team}
        out += [Delivery(shown, ALERT, redact(t.url), _send(t, message.body,
                                                            alert_text(message.body)))
                for t in targets]
    return out
