"""`dbt run-operation tessera.inbox --args '{team: T}'` (and `tessera inbox --team T`):
what waits on a team's answer, oldest first, with each deadline and the exact command that
answers it."""

from __future__ import annotations

from typing import Any

from ..engine.proposal import parse_time
from ..engine.text import acknowledge_command, human_time
from ..engine.vocabulary import REGISTRATION_EVENTS
from ..state.folds import fold_registrations
from .teams import known_teams, unknown_team_error


def answer_command(proposal_id: str, team: str) -> str:
    return acknowledge_command(proposal_id, team)


def _deadline(expires_at: Any, now: Any) -> str:
    when = parse_time(expires_at)
    if when is None:
        return "no deadline"
    days = (when - now).total_seconds() / 86400
    left = f"{days:.0f} day(s) left" if days >= 1 else f"{max(days * 24, 0):.0f} hour(s) left"
    return f"deadline {when.isoformat(sep=' ', timespec='minutes')} UTC ({left})"


def inbox(ops: Any, team: str) -> list[str]:
    """`ops` is the runtime.operations.Operations of this invocation."""
    proposals = ops._proposals()
    registered = fold_registrations(ops._events(REGISTRATION_EVENTS))
    recorded = {t for p in proposals.values() for t in p.required}
    recorded |= {t for teams in registered.values() for t in teams}
    known = known_teams(ops.manifest, ops.membership, recorded)
    if team not in known:
        raise unknown_team_error(team, known, "inbox")
    waiting = sorted((p for p in proposals.values()
                      if p.status == "pending" and team in p.missing),
                     key=lambda p: (str(p.created_at), p.proposal_id))
    if not waiting:
        return [f"Nothing waits on {team}."]
    lines = [f"{len(waiting)} proposal(s) wait on {team}, oldest first:"]
    for p in waiting:
        others = [t for t in p.missing if t != team]
        lines.append(f"- {p.proposal_id}: {p.asset} → {p.proposed_version}, proposed "
                     f"{human_time(p.created_at)}; "
                     f"{_deadline(p.expires_at, ops.now)}")
        if p.reason:
            lines.append(f"  reason: {p.reason}")
        for change in p.breaking_changes:
            lines.append(f"  ✗ {change['rule']} at `{change['path']}`: {change['message']}")
        if others:
            lines.append(f"  also waiting on: {', '.join(others)}")
        lines.append(f"  answer: {answer_command(p.proposal_id, team)}")
    return lines
