"""`tessera report`'s data (pure): contracts and their changelogs, proposals of every status
with each team's answer, consumers per asset, audit pass rates per day, the guarantees
failing now, drift, and a view per team; from the state tables (runtime.report_data) or
an export directory, rendered by `render.report_html`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.proposal import Proposal, parse_time
from ..engine.vocabulary import OPEN_STATUSES
from ..state.export import PublishedState
from ..state.history import changelog, team_views


def _when(value: Any) -> str | None:
    at = parse_time(value)
    return at.isoformat(sep=" ", timespec="minutes") if at else None


def report_data(state: PublishedState, published_at: Mapping[str, Mapping[str, Any]],
                daily: Sequence[Mapping[str, Any]], *, days: int, today: dt.date,
                generated_at: str, source: str,
                drift: Mapping[str, str] | None = None,
                publications: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                failing: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The report as plain data (pure). `published_at`: asset → version → when;
    `daily`: rows of (asset, run_date, runs, passed); `drift`: asset → its current drift;
    `publications`: asset → its contract_published events (who and why); `failing`: the
    guarantees failing now (state.history). drift and failing are None where the source
    does not hold them (an export)."""
    contracts = []
    consumers: dict[str, list[dict[str, Any]]] = {}
    for asset, versions in sorted(state.histories.items()):
        head = versions[-1]
        when = published_at.get(asset) or {}
        contracts.append({
            "asset": asset, "owner": head.get("owner"), "current": head.get("version"),
            "compatibility": head.get("compatibility"),
            "columns": len((head.get("schema") or {}).get("properties") or {}),
            "versions": [{"version": v.get("version"),
                          "published_at": _when(when.get(str(v.get("version"))))}
                         for v in versions]})
        teams = {(c.get("team"), c.get("source")): c for c in head.get("consumers") or ()
                 if isinstance(c, Mapping) and c.get("team")}
        for team, purpose in (state.registrations.get(asset) or {}).items():
            teams.setdefault((team, "registered"), {"team": team, "source": "registered",
                                                     "purpose": purpose})
        consumers[asset] = [{"team": t, "source": s, "purpose": c.get("purpose")}
                            for (t, s), c in sorted(teams.items(), key=lambda kv: (
                                str(kv[0][0]), str(kv[0][1])))]
    every = [_proposal(p) for p in sorted(
        state.proposals.values(), key=lambda p: (str(p.created_at), p.proposal_id))]
    proposals = [p for p in every if p["status"] in OPEN_STATUSES]
    changelogs = {asset: changelog(versions, (publications or {}).get(asset) or (),
                                   state.proposals)
                  for asset, versions in sorted(state.histories.items())}
    owners = {c["asset"]: c["owner"] for c in contracts}
    start = today - dt.timedelta(days=days - 1)
    trends: dict[str, dict[str, list[int]]] = {}
    for row in daily:
        day = row.get("run_date")
        day = day if isinstance(day, dt.date) else parse_time(str(day))
        if isinstance(day, dt.datetime):
            day = day.date()
        if not isinstance(day, dt.date) or not start <= day <= today or not row.get("asset"):
            continue
        series = trends.setdefault(str(row["asset"]), {"runs": [0] * days,
                                                       "passed": [0] * days})
        index = (day - start).days
        series["runs"][index] += int(row.get("runs") or 0)
        series["passed"][index] += int(row.get("passed") or 0)
    return {"project": state.project, "target": state.target, "generated_at": generated_at,
            "source": source, "days": days, "start": start.isoformat(),
            "contracts": contracts, "proposals": proposals, "consumers": consumers,
            "audit": dict(sorted(trends.items())), "drift": None if drift is None else dict(drift),
            "closed_proposals": [p for p in every if p["status"] not in OPEN_STATUSES][::-1],
            "changelogs": changelogs,
            "failing": None if failing is None else list(failing),
            "teams": team_views(owners, every, failing or (), drift)}


def _proposal(p: Proposal) -> dict[str, Any]:
    return {"proposal_id": p.proposal_id, "asset": p.asset, "status": p.status,
            "proposed_version": p.proposed_version, "created_at": _when(p.created_at),
            "expires_at": _when(p.expires_at), "reason": p.reason, "required": p.required,
            "waiting": p.missing if p.status == "pending" else [],
            "answers": {t: a.get("response") for t, a in p.acks.items()},
            "comments": {t: {"comment": a.get("comment"), "at": _when(a.get("acknowledged_at")),
                             "actor": a.get("actor")} for t, a in sorted(p.acks.items())},
            "resolved_at": _when(p.resolved_at), "forced": p.forced, "retire": p.retire,
            "forced_by": p.forced_by, "forced_reason": p.forced_reason,
            "breaking_changes": [{k: c.get(k) for k in ("rule", "path", "message")}
                                 for c in p.breaking_changes if isinstance(c, Mapping)]}
