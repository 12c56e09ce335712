"""The messages of guarantee alerts (pure): the `guarantee_failed` and
`guarantee_recovered` events one run wrote (state.episodes), grouped into one message per
team and run, listing every guarantee that team is told of, and one message per run for
the channels that hear every team (`webhooks`, `slack_webhooks`). The webhook body is JSON
(`AlertMessage.body`); Slack gets `alert_text` of it (runtime.notify sends both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..state.episodes import EPISODE_EVENTS
from ..state.events import body, stable_id

ALERT = "guarantee_alert"


@dataclass(frozen=True)
class AlertMessage:
    """One message of one run: to `team` (None: to the channels of every team)."""

    team: str | None
    body: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.body["message_id"])


def _entry(row: Mapping[str, Any], team: str | None) -> dict[str, Any]:
    payload = body(row)
    owner = payload.get("owner") or row.get("owner")
    entry = {"asset": row.get("asset"), "guarantee": payload.get("guarantee") or row.get("reason"),
             "version": row.get("version"), "owner": owner, "episode": payload.get("episode"),
             "role": None if team is None else "owner" if team == owner else "consumer",
             "teams": list(payload.get("notify_teams") or ()),
             "checks": list(payload.get("checks") or ()), "event_id": row.get("event_id")}
    if row.get("event_type") == "guarantee_recovered":
        entry["failing_since"] = payload.get("failing_since")
    return entry


def alert_messages(events: Iterable[Mapping[str, Any]]) -> list[AlertMessage]:
    """One message per (run, team told) and one per run for every team's channels, each
    listing the guarantees that started failing (`failed`) and those that recovered
    (`recovered`) in that run; nothing for events of other types.

    >>> row = {"event_type": "guarantee_failed", "event_id": "e1", "asset": "db.s.orders",
    ...        "invocation_id": "i1", "payload": {"guarantee": "nullability.amount",
    ...        "episode": 1, "owner": "commerce", "notify_teams": ["commerce", "finance"]}}
    >>> [(m.team, [f["role"] for f in m.body["failed"]]) for m in alert_messages([row])]
    [(None, [None]), ('commerce', ['owner']), ('finance', ['consumer'])]
    """
    runs: dict[str, list[Mapping[str, Any]]] = {}
    for row in events:
        if row.get("event_type") in EPISODE_EVENTS:
            runs.setdefault(str(row.get("invocation_id")), []).append(row)
    out: list[AlertMessage] = []
    for invocation, rows in sorted(runs.items()):
        rows = sorted(rows, key=lambda r: (str(r.get("asset")), str(r.get("reason"))))
        teams = sorted({str(t) for r in rows for t in body(r).get("notify_teams") or ()})
        for team in [None, *teams]:
            mine = [r for r in rows if team is None or team in (body(r).get("notify_teams")
                                                                 or ())]
            out.append(AlertMessage(team, {
                "event": ALERT,
                "message_id": stable_id(ALERT, invocation, team,
                                        sorted(str(r.get("event_id")) for r in mine)),
                "team": team, "invocation_id": invocation,
                "target_name": mine[0].get("target_name"),
                "recorded_at": str(mine[0].get("recorded_at")),
                "failed": [_entry(r, team) for r in mine
                           if r.get("event_type") == "guarantee_failed"],
                "recovered": [_entry(r, team) for r in mine
                              if r.get("event_type") == "guarantee_recovered"]}))
    return out


def _check_line(check: Mapping[str, Any]) -> str:
    failures = check.get("failures")
    count = f", {failures} row{'s' if failures != 1 else ''}" \
        if isinstance(failures, int) and failures else ""
    return f"{check.get('test_name') or check.get('test_unique_id')} {check.get('status')}{count}"


def alert_text(message: Mapping[str, Any]) -> str:
    """The Slack text of an alert message's body: a head line, then one line per
    guarantee (✗ started failing, ✓ recovered).

    >>> print(alert_text({"team": "finance", "invocation_id": "i1", "target_name": "prod",
    ...     "failed": [{"asset": "db.s.o", "guarantee": "nullability.a", "owner": "c",
    ...                 "role": "consumer", "version": "1.0.0", "checks": [
    ...                     {"test_name": "nn_a", "status": "fail", "failures": 2}]}]}))
    tessera: guarantee alert for team finance · 1 failing, 0 recovered · run i1 (target prod)
    ✗ db.s.o 1.0.0 · nullability.a failing (owner c; your team consumes it): nn_a fail, 2 rows
    """
    team = f" for team {message['team']}" if message.get("team") else ""
    failed, recovered = message.get("failed") or [], message.get("recovered") or []
    target = f" (target {message['target_name']})" if message.get("target_name") else ""
    lines = [f"tessera: guarantee alert{team} · {len(failed)} failing, {len(recovered)} "
             f"recovered · run {message.get('invocation_id')}{target}"]

    def who(entry: Mapping[str, Any]) -> str:
        role = {"owner": "; your team owns it",
                "consumer": "; your team consumes it"}.get(str(entry.get("role")), "")
        return f"owner {entry.get('owner')}{role}"

    def asset(entry: Mapping[str, Any]) -> str:
        version = f" {entry['version']}" if entry.get("version") else ""
        return f"{entry.get('asset')}{version} · {entry.get('guarantee')}"

    for entry in failed:
        checks = "; ".join(_check_line(c) for c in entry.get("checks") or ())
        lines.append(f"✗ {asset(entry)} failing ({who(entry)})" + (f": {checks}" if checks
                                                                    else ""))
    for entry in recovered:
        since = f", failing since {entry['failing_since']}" if entry.get("failing_since") \
            else ""
        lines.append(f"✓ {asset(entry)} recovered ({who(entry)}{since})")
    return "\n".join(lines)
