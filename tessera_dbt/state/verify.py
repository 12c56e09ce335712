"""`tessera verify`: which rows of the event log the product did not write as they stand.

Pure over the rows (every column of tessera_events) and the committed membership.
Findings (exit 1):
- `id`: the event id is not the hash of the fields that identify the event
  (`state.events`; types whose identity holds a value no column keeps are checked by
  their record only);
- `unrecorded`: no invocation record (`state.records`) of the row's invocation lists
  it: inserted by hand, or written before tessera recorded invocations;
- `edited`: its invocation's record lists it with another hash: a column changed since;
- `deleted`: an invocation record lists events the log no longer holds (rows deleted);
- `gap`: a record names a record before it (the chain) that the log no longer holds;
- `attribution`: the warehouse recorded another writer (`written_by`, PostgreSQL) than the
  row's actor column says: a writer inserted a row in someone else's name.
Ignored answers (shown, exit 0: every reader already ignores them):
- `not_member`: an acknowledgment whose actor was not a member of the team, or a
  withdrawal or forced approval whose actor was neither of the owner team nor an admin, by
  the membership in force when it was given (the one publishing runs recorded,
  `membership_recorded`; the committed one where none was recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..engine.membership import DECISION_OPS, Membership, answer_refusal, decision_refusal
from .events import IDENTITY, body, event_id, legacy_ids
from .folds import fold_memberships, membership_at
from .records import RECORD, WRITTEN_BY, acting_user, row_hash

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    kind: str  # id, unrecorded, edited, deleted, gap, attribution; not_member (ignored)
    event_id: str
    event_type: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.event_type} {self.event_id}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    findings: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)


def verify_events(rows: Sequence[Row], membership: Membership) -> Verification:
    out = Verification()
    recorded: dict[tuple[str, str], str] = {}  # (invocation_id, event_id) → hash
    for row in rows:
        if row.get("event_type") == RECORD and _id_matches(row):
            hashes = body(row).get("events")
            for event_id, value in (hashes.items() if isinstance(hashes, dict) else ()):
                recorded[(str(row.get("invocation_id")), str(event_id))] = str(value)
    owners = {str(r.get("proposal_id")): r.get("owner") for r in rows
              if r.get("event_type") == "proposal_created"}
    history = fold_memberships(r for r in rows if _id_matches(r))
    for row in sorted(rows, key=lambda r: (str(r.get("recorded_at")), str(r.get("event_id")))):
        kind, event_id = str(row.get("event_type")), str(row.get("event_id"))

        def add(what: str, detail: str, kind: str = kind, event_id: str = event_id) -> None:
            out.findings.append(Finding(what, event_id, kind, detail))

        if not _id_matches(row):
            add("id", "the id is not the hash of the fields that identify it (edited by hand?)")
        if kind == RECORD:
            continue
        stored = recorded.get((str(row.get("invocation_id")), event_id))
        if stored is None:
            add("unrecorded", f"no invocation record of invocation {row.get('invocation_id')!r}"
                              " lists it (inserted by hand, or written before tessera "
                              "recorded invocations)")
        elif stored != row_hash(row):
            add("edited", "a column differs from what its invocation wrote")
        if row.get(WRITTEN_BY) and row.get("actor") != row.get(WRITTEN_BY):
            add("attribution", f"its actor column says {row.get('actor')!r}, the warehouse "
                               f"recorded {row.get(WRITTEN_BY)!r} as its writer")
        in_force = membership_at(history, row.get("recorded_at")) or membership
        refusal = None
        if kind == "proposal_acknowledged":
            refusal = answer_refusal(in_force, acting_user(row), str(row.get("team")))
        elif kind in ("proposal_withdrawn", "proposal_forced"):
            refusal = decision_refusal(in_force, acting_user(row),
                                       owners.get(str(row.get("proposal_id"))),
                                       DECISION_OPS[kind])
        if refusal is not None:
            out.ignored.append(Finding("not_member", event_id, kind,
                                       f"{refusal.message} (by {in_force.sources[0]})"
                                       if in_force.sources else refusal.message))
    out.findings.extend(_deleted(rows))
    out.findings.extend(_gaps(rows))
    return out


def _records(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.get("event_type") == RECORD and _id_matches(r)]


def _deleted(rows: Sequence[Row]) -> list[Finding]:
    """Records listing events the log no longer holds: rows deleted since they were
    written (a record deleted with its events leaves a gap in the chain, `_gaps`)."""
    present = {str(r.get("event_id")) for r in rows}
    out = []
    for row in _records(rows):
        hashes = body(row).get("events")
        missing = sorted(str(e) for e in (hashes if isinstance(hashes, dict) else ())
                         if str(e) not in present)
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more"
                                              if len(missing) > 3 else "")
            out.append(Finding("deleted", str(row.get("event_id")), RECORD,
                               f"{len(missing)} event(s) invocation "
                               f"{row.get('invocation_id')!r} wrote are missing from the log "
                               f"(deleted?): {shown}"))
    return out


def _gaps(rows: Sequence[Row]) -> list[Finding]:
    """Records whose previous record (state.records' chain) the log no longer holds."""
    records = _records(rows)
    present = {str(r.get("event_id")) for r in records}
    return [Finding("gap", str(r.get("event_id")), RECORD,
                    f"the record before invocation {r.get('invocation_id')!r}'s "
                    f"({body(r)['previous']}) is missing from the log: the events it "
                    "listed were deleted with it")
            for r in records if body(r).get("previous")
            and str(body(r)["previous"]) not in present]


def _id_matches(row: Row) -> bool:
    """The id is the hash the writers give it (state.events.IDENTITY, the one id rule);
    a type identified by a value no column keeps is checked by its record only."""
    if str(row.get("event_type")) not in IDENTITY:
        return True
    return row.get("event_id") in {event_id(row), *legacy_ids(row)}


def as_json(verification: Verification, checked: int) -> dict[str, Any]:
    return {"checked": checked, "findings": [asdict(f) for f in verification.findings],
            "ignored": [asdict(f) for f in verification.ignored]}
