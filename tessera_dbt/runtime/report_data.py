"""`tessera report`'s data: contracts and their versions, open proposals and who they wait
on, consumers per asset, and audit pass rates per day per asset; gathered in the dbt
process from the state tables (`dbt run-operation tessera.report`) or from an export
directory (`tessera report --export DIR`), then rendered by `runtime.report_html`."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.errors import ConfigError
from ..engine.proposal import Proposal, parse_time
from ..engine.vocabulary import OPEN_STATUSES, PROPOSAL_EVENTS, REGISTRATION_EVENTS
from ..state.export import PublishedState
from ..state.folds import current_drift, fold_proposals, fold_registrations
from ..state.store import EVENTS
from .invocation import Invocation
from .operation_args import check_args, raw_args

ARGS: dict[str, tuple[type, bool]] = {"out": (str, True), "days": (int, False)}
DEFAULT_DAYS = 30
MAX_DAYS = 365


def _when(value: Any) -> str | None:
    when = parse_time(value)
    return when.isoformat(sep=" ", timespec="minutes") if when else None


def report_data(state: PublishedState, published_at: Mapping[str, Mapping[str, Any]],
                daily: Sequence[Mapping[str, Any]], *, days: int, today: dt.date,
                generated_at: str, source: str,
                drift: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as plain data (pure). `published_at`: asset → version → when;
    `daily`: rows of (asset, run_date, runs, passed); `drift`: asset → its current drift, or
    None where the source does not hold drift (an export)."""
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
    proposals = [_proposal(p) for p in sorted(
        state.proposals.values(), key=lambda p: (str(p.created_at), p.proposal_id))
        if p.status in OPEN_STATUSES]
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
            "audit": dict(sorted(trends.items())), "drift": None if drift is None else dict(drift)}


def _proposal(p: Proposal) -> dict[str, Any]:
    return {"proposal_id": p.proposal_id, "asset": p.asset, "status": p.status,
            "proposed_version": p.proposed_version, "created_at": _when(p.created_at),
            "expires_at": _when(p.expires_at), "reason": p.reason, "required": p.required,
            "waiting": p.missing if p.status == "pending" else [],
            "answers": {t: a.get("response") for t, a in p.acks.items()},
            "breaking_changes": [{k: c.get(k) for k in ("rule", "path", "message")}
                                 for c in p.breaking_changes if isinstance(c, Mapping)]}


def _umask() -> int:
    """The process's umask (reading it means setting it: it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(out: str, text: str) -> None:
    """All or nothing: a temporary file beside `out`, renamed over it once complete."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ConfigError(f"{out}: the directory {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=".tessera_report.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        # mkstemp makes the file private (0600); a report is written as any file the user
        # creates, e.g. 0644 under umask 022
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class ReportReader(Invocation):
    """Reads the state tables (and tessera_audit_runs, when built) read-only."""

    def gather(self, days: int) -> dict[str, Any]:
        state = PublishedState({}, project=self.manifest.project_name,
                               target=self.target_name)
        published: dict[str, dict[str, Any]] = {}
        drift: dict[str, str] = {}
        if self.store.relations[EVENTS].get("exists"):
            heads = self.store.published_heads()
            histories = self.store.contract_histories(list(heads))
            drift = current_drift(self.store.events(("drift_detected",)), heads)
            state = PublishedState(
                histories, fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now,
                               self.membership),
                fold_registrations(self.store.events(REGISTRATION_EVENTS)),
                self.manifest.project_name, self.target_name)
            for asset, entries in self.store.publications().items():
                for when, version in entries:
                    published.setdefault(asset, {}).setdefault(str(version), when)
        runs = (self.payload.get("marts") or {}).get("tessera_audit_runs") or {}
        daily: list[dict[str, Any]] = []
        if runs.get("exists"):
            from ..state.sql import literal

            start = dt.datetime.combine(self.now.date() - dt.timedelta(days=days - 1),
                                        dt.time())
            daily = self.store.select(
                "select asset, cast(executed_at as date) as run_date, count(*) as runs, "
                "sum(case when status = 'passed' then 1 else 0 end) as passed "
                f"from {runs['relation']} where status != 'skipped' and executed_at >= "
                f"{literal(start, self.store.dialect)} "
                "group by asset, cast(executed_at as date)")
        return report_data(state, published, daily, days=days, today=self.now.date(),
                           generated_at=_when(self.now) or "",
                           source=f"warehouse, target {self.target_name}", drift=drift)


def report(payload: dict[str, Any]) -> dict[str, Any]:
    """`dbt run-operation tessera.report --args '{out: report.html, days: 30}'`."""
    from .report_html import render_report

    args = check_args("report", raw_args("report", payload), ARGS)
    days = args.get("days", DEFAULT_DAYS)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"tessera.report: days must be between 1 and {MAX_DAYS}, "
                          f"got {days}")
    data = ReportReader(payload).gather(days)
    write_atomically(args["out"], render_report(data))
    return {"lines": [f"Wrote {args['out']}: {len(data['contracts'])} contract(s), "
                      f"{len(data['proposals'])} open proposal(s), "
                      f"{len(data['audit'])} audited asset(s)."]}
