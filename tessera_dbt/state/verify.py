"""`tessera verify`: which rows of the event log the product did not write as they stand.

Pure over the rows (every column of tessera_events) and the committed membership:
- `id`: the event id is not the hash of the fields that identify the event
  (`state.events`; types whose identity holds a value no column keeps are checked by
  their record only);
- `unrecorded`: no invocation record (`state.records`) of the row's invocation lists
  it: inserted by hand, or written before tessera recorded invocations;
- `edited`: its invocation's record lists it with another hash: a column changed since;
- `deleted`: an invocation record lists events the log no longer holds (rows deleted);
- `not_member`: an acknowledgment whose actor is not a member of the team, or a withdrawal
  or forced approval whose actor is neither of the owner team nor an admin (by the
  membership committed now; only when membership is configured).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..engine.membership import Membership, answer_refusal, decision_refusal
from .events import IDENTITY, body, event_id, legacy_ids
from .records import RECORD, row_hash

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    kind: str  # id, unrecorded, edited, not_member
    event_id: str
    event_type: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.event_type} {self.event_id}: {self.detail}"


def verify_events(rows: Sequence[Row], membership: Membership) -> list[Finding]:
    findings: list[Finding] = []
    recorded: dict[tuple[str, str], str] = {}  # (invocation_id, event_id) → hash
    for row in rows:
        if row.get("event_type") == RECORD and _id_matches(row):
            hashes = body(row).get("events")
            for event_id, value in (hashes.items() if isinstance(hashes, dict) else ()):
                recorded[(str(row.get("invocation_id")), str(event_id))] = str(value)
    owners = {str(r.get("proposal_id")): r.get("owner") for r in rows
              if r.get("event_type") == "proposal_created"}
    for row in sorted(rows, key=lambda r: (str(r.get("recorded_at")), str(r.get("event_id")))):
        kind, event_id = str(row.get("event_type")), str(row.get("event_id"))

        def add(what: str, detail: str, kind: str = kind, event_id: str = event_id) -> None:
            findings.append(Finding(what, event_id, kind, detail))

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
        refusal = None
        if kind == "proposal_acknowledged":
            refusal = answer_refusal(membership, row.get("actor"), str(row.get("team")))
        elif kind in ("proposal_withdrawn", "proposal_forced"):
            refusal = decision_refusal(membership, row.get("actor"),
                                       owners.get(str(row.get("proposal_id"))),
                                       kind.removeprefix("proposal_"))
        if refusal is not None:
            add("not_member", refusal.message)
    findings += _deleted(rows)
    return findings


def _deleted(rows: Sequence[Row]) -> list[Finding]:
    """Records listing events the log no longer holds: rows deleted since they were
    written (a record deleted with its events leaves no trace here)."""
    present = {str(r.get("event_id")) for r in rows}
    out = []
    for row in rows:
        if row.get("event_type") != RECORD or not _id_matches(row):
            continue
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


def _id_matches(row: Row) -> bool:
    """The id is the hash the writers give it (state.events.IDENTITY, the one id rule);
    a type identified by a value no column keeps is checked by its record only."""
    if str(row.get("event_type")) not in IDENTITY:
        return True
    return row.get("event_id") in {event_id(row), *legacy_ids(row)}


def as_json(findings: Sequence[Finding], checked: int) -> dict[str, Any]:
    return {"checked": checked, "findings": [asdict(f) for f in findings]}
