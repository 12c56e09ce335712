"""What makes a hand-edited or forged event row detectable (docs/security.md).

Every write of events also writes one `invocation_recorded` event per batch (up to
RECORD_CHUNK events): who wrote (the session user and where that name came from), the
hash of every column of every event in the batch, as the warehouse stores it, and the id
of the record before it (a chain: deleting a record leaves a gap). `tessera
verify` recomputes those hashes from the rows (`state.verify`): a row changed by hand no
longer matches its invocation's record, a row inserted by hand has none.

The hash covers each column's text as written (`column_text`): a timestamp to the
microsecond, JSON as the exact text the insert carried, NUL bytes dropped (the literal
drops them), so it is the same on the way in and read back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .events import event, stable_id

RECORD = "invocation_recorded"
RECORD_CHUNK = 500
# the event log's columns tessera writes (macros/state/event_columns.sql), in order
EVENT_COLUMNS = ("event_id", "event_type", "asset", "version", "owner", "compatibility",
                 "fingerprint", "proposal_id", "team", "status", "reason", "actor",
                 "invocation_id", "target_name", "recorded_at", "payload")
# and the one the warehouse fills (the writing session's user, where it can: PostgreSQL),
# never written nor hashed by tessera: who wrote a row is the database's word
WRITTEN_BY = "written_by"


def acting_user(row: Mapping[str, Any]) -> Any:
    """Who acted, for every rule about authority: the user the warehouse recorded as the
    row's writer where it records one, else the row's actor column."""
    return row.get(WRITTEN_BY) or row.get("actor")


def column_text(value: Any) -> str | None:
    """One column's value as the text the warehouse holds (state.sql.literal's rules)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return str(value).replace("\x00", "")


def row_hash(row: Mapping[str, Any], written: Sequence[str] = EVENT_COLUMNS) -> str:
    """The hash of a row's columns (those not in `written`, an older table's missing
    columns, count as null both ways)."""
    return stable_id(*(column_text(row.get(c)) if c in written else None
                       for c in EVENT_COLUMNS))


def invocation_records(events: Sequence[Mapping[str, Any]], written: Sequence[str],
                       context: Mapping[str, Any], actor_source: str,
                       command: str | None, previous: str | None = None
                       ) -> list[dict[str, Any]]:
    """The records of one write: one per RECORD_CHUNK events, each naming the record
    before it (`previous`: the log's newest record when the write began, then the chain
    of this write's own), so a record deleted from the middle of the log leaves a gap."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(events), RECORD_CHUNK):
        chunk = events[start:start + RECORD_CHUNK]
        hashes = {str(e["event_id"]): row_hash(e, written) for e in chunk}
        # the assets it publishes: a log that later lost them is told from a new one
        published = sorted({str(e["asset"]) for e in chunk
                            if e.get("event_type") == "contract_published"})
        out.append(event(RECORD, **context, status=actor_source, reason=command,
                         payload={"actor_source": actor_source, "events": hashes,
                                  **({"published": published} if published else {}),
                                  "previous": out[-1]["event_id"] if out else previous}))
    return out
