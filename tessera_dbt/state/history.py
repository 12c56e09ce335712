"""What happened, as people read it (pure): each asset's changelog (every version, when, by
whom, what changed with its rule ids, the proposal behind it and its reason), the
guarantees failing now with their last failure, and each team's view (what waits on it,
what it changed). `tessera report` and `tessera changelog` render these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..engine.compat import diff_documents
from ..engine.errors import TesseraError
from ..engine.proposal import Proposal, parse_time
from ..engine.text import human_time
from ..engine.vocabulary import FAILED_STATUSES
from .folds import event_order


def when(value: Any) -> str | None:
    """A time as people read it (engine.text.human_time), None when it is no time."""
    at = parse_time(value)
    return human_time(at) if at else None


def _changes(versions: Sequence[Mapping[str, Any]], i: int) -> list[dict[str, Any]]:
    """What version i changed against version i - 1, under the mode then in force."""
    if i == 0:
        return []
    try:
        report = diff_documents(versions[i - 1], versions[i], history=versions[:i - 1])
    except TesseraError as exc:  # a stored document the classifier refuses: say so
        return [{"rule": "UNREADABLE", "path": "", "breaking": None,
                 "message": f"the two versions could not be compared ({exc.one_line()})"}]
    return [{"rule": c["rule"], "path": c["path"], "breaking": c["breaking"],
             "message": c["message"]} for c in report.to_json()["changes"]]


def changelog(versions: Sequence[Mapping[str, Any]],
              publications: Iterable[Mapping[str, Any]],
              proposals: Mapping[str, Proposal]) -> list[dict[str, Any]]:
    """One asset's versions, newest first. `versions`: its published documents, oldest
    first; `publications`: its `contract_published` events (who, when, why; absent in an
    export); `proposals`: by id."""
    published = {str(e.get("version")): e for e in sorted(publications, key=event_order)}
    out = []
    for i, doc in enumerate(versions):
        version = str(doc.get("version"))
        event = published.get(version) or {}
        proposal = proposals.get(str(event.get("proposal_id") or ""))
        out.append({
            "version": version, "published_at": when(event.get("recorded_at")),
            "published_by": event.get("actor"), "bump": event.get("status"),
            "why": event.get("reason"), "compatibility": doc.get("compatibility"),
            "owner": doc.get("owner"),
            "proposal": None if proposal is None else {
                "proposal_id": proposal.proposal_id, "status": proposal.status,
                "reason": proposal.reason, "forced": proposal.forced,
                "forced_by": proposal.forced_by, "forced_reason": proposal.forced_reason,
                "answers": {t: a.get("response") for t, a in sorted(proposal.acks.items())}},
            "changes": _changes(versions, i)})
    return out[::-1]


def failing_guarantees(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The guarantees whose latest audit row (per test) failed or errored, each with that
    last failure; `rows`: tessera_audit_log rows (asset, guarantee, test_unique_id,
    test_name, status, failures, message, executed_at)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        key = str(row.get("test_unique_id"))
        at = parse_time(row.get("executed_at"))
        seen = latest.get(key)
        if seen is None or (at is not None and (parse_time(seen.get("executed_at")) is None
                                                or at > parse_time(seen["executed_at"]))):
            latest[key] = row
    failing = [r for r in latest.values() if str(r.get("status")) in FAILED_STATUSES]
    return [{"asset": r.get("asset"), "guarantee": r.get("guarantee"),
             "test": r.get("test_name") or r.get("test_unique_id"), "status": r.get("status"),
             "failures": r.get("failures"), "message": r.get("message"),
             "last_failure": when(r.get("executed_at"))}
            for r in sorted(failing, key=lambda r: (str(r.get("asset")),
                                                    str(r.get("guarantee")),
                                                    str(r.get("test_unique_id"))))]


def team_views(owners: Mapping[str, str | None], proposals: Iterable[Mapping[str, Any]],
               failing: Sequence[Mapping[str, Any]], drift: Mapping[str, str] | None
               ) -> dict[str, dict[str, list[Any]]]:
    """team → what waits on its answer, the proposals it made (on assets it owns), its
    failing guarantees and drifted relations. `owners`: asset → owner team; `proposals`
    as the report holds them (with `waiting`)."""
    views: dict[str, dict[str, list[Any]]] = {}

    def view(team: Any) -> dict[str, list[Any]]:
        return views.setdefault(str(team), {"waits_on_us": [], "our_changes": [],
                                             "failing": [], "drift": []})

    for p in proposals:
        for team in p.get("waiting") or ():
            view(team)["waits_on_us"].append(p["proposal_id"])
        owner = owners.get(str(p.get("asset")))
        if owner:
            view(owner)["our_changes"].append(p["proposal_id"])
        for team in p.get("required") or ():
            view(team)
    for f in failing:
        owner = owners.get(str(f.get("asset")))
        if owner:
            view(owner)["failing"].append(f"{f['asset']}: {f['guarantee']}")
    for asset in sorted(drift or {}):
        owner = owners.get(asset)
        if owner:
            view(owner)["drift"].append(asset)
    for owner in owners.values():
        if owner:
            view(owner)
    return dict(sorted(views.items()))
