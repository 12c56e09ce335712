"""Damaged state, detected before anything is written (pure checks over facts the store reads).

The event log is the only copy of tessera's history. A state table replaced by a view,
truncated, dropped, or stripped of a column (which dbt's `append_new_columns` would re-add
as NULL) must not be "repaired" by writing into it: the next build would re-publish every
asset as 1.0.0 and the BI models would fold NULLs. `check` names the damage in one line
with how to restore it; the on-run-start hook, the on-run-end hook and every operation
call it first, so a damaged state stops the run before dbt rebuilds anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..engine.errors import TesseraError
from ..engine.warehouse_types import parse_type
from .records import WRITTEN_BY

EVENTS = "tessera_events"
AUDIT = "tessera_audit_log"
# The columns each state table has had since its first release: losing one is damage.
# (Columns added in later releases are appended: outdated_columns.)
REQUIRED: dict[str, tuple[str, ...]] = {
    EVENTS: ("event_id", "event_type", "asset", "version", "owner", "compatibility",
             "fingerprint", "proposal_id", "team", "status", "reason", "actor",
             "invocation_id", "target_name", "recorded_at", "payload"),
    AUDIT: ("audit_id", "invocation_id", "target_name", "asset", "guarantee",
            "test_unique_id", "test_name", "status", "failures", "execution_time",
            "executed_at", "contract_version", "message", "recorded_at"),
}
# Every column as the package creates them (macros/state/*_columns.sql; written_by last)
COLUMNS = {EVENTS: (*REQUIRED[EVENTS], WRITTEN_BY), AUDIT: REQUIRED[AUDIT]}
# What each column must hold: a retyped column (recorded_at as text) is damage, as a lost one.
KINDS: dict[str, dict[str, str]] = {
    name: {c: ("timestamp" if c in ("recorded_at", "executed_at") else
               "number" if c in ("failures", "execution_time") else "string")
           for c in columns}
    for name, columns in REQUIRED.items()}
# the 64-bit integer columns an older release created narrower (widened in place)
WIDE: dict[str, tuple[str, ...]] = {AUDIT: ("failures",)}
NARROW_INTEGERS = ("integer", "int", "int4", "int32", "smallint", "int2")
_FAMILIES = {"integer": "number", "decimal": "number", "float": "number",
             "string": "string", "timestamp": "timestamp"}

RESTORE = ("restore it from a backup or the warehouse's time travel (or rebuild it from a "
           "`dbt run-operation tessera.export` taken before), then re-run; tessera writes "
           "nothing into a damaged state (docs/troubleshooting.md)")


class StateDamaged(TesseraError):
    """The state tables lost a table, columns or history."""


@dataclass(frozen=True)
class StateFacts:
    relations: Mapping[str, str]        # name → relation as rendered
    kinds: Mapping[str, str | None]     # name → "table", "view", ... or None (missing)
    columns: Mapping[str, list[str]]    # name → its columns, lower case
    counts: Mapping[str, int] = field(default_factory=dict)
    types: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name → column → type


def kind_of(type_text: str) -> str | None:
    """number, string or timestamp; None for a type this check does not know (never
    damage on its own)."""
    family = parse_type(type_text, "generic").family
    return _FAMILIES.get(family)


def _retyped(name: str, facts: StateFacts) -> str | None:
    for column, expected in KINDS[name].items():
        found = (facts.types.get(name) or {}).get(column)
        kind = kind_of(found) if found else None
        if kind is not None and kind != expected:
            return (f"{facts.relations[name]} column {column} is {found}, not a {expected} "
                    "(retyped?)")
    return None


def damage(facts: StateFacts) -> str | None:
    """The first damage of the state in one line, or None when it is sound (or new)."""
    kinds, counts = facts.kinds, facts.counts
    if all(kind is None for kind in kinds.values()):
        return None  # a fresh state: nothing to lose
    for name in (EVENTS, AUDIT):
        kind = kinds.get(name)
        if kind is not None and kind != "table":
            return f"{facts.relations[name]} is a {kind}, not a table"
        lost = [c for c in REQUIRED[name] if kind is not None and c not in facts.columns[name]]
        if lost:
            return f"{facts.relations[name]} lost its column(s) {', '.join(lost)}"
        retyped = _retyped(name, facts) if kind is not None else None
        if retyped:
            return retyped
    if kinds.get(EVENTS) is None and counts.get("audit_rows"):
        return (f"{facts.relations[EVENTS]} is missing while {facts.relations[AUDIT]} holds "
                f"{counts['audit_rows']} audit row(s) of {counts.get('invocations', 0)} "
                "earlier invocation(s)")
    if kinds.get(AUDIT) is None and counts.get("events"):
        return (f"{facts.relations[AUDIT]} is missing while {facts.relations[EVENTS]} holds "
                f"{counts['events']} event(s)")
    if counts.get("unidentified"):
        return (f"{facts.relations[EVENTS]} has {counts['unidentified']} row(s) without "
                "event_id or event_type (a column dropped and re-added empty?)")
    if counts.get("empty_contracts"):
        return (f"{facts.relations[EVENTS]} has {counts['empty_contracts']} published "
                "contract(s) without payload (a column dropped and re-added empty?)")
    if counts.get("audited_assets") and not counts.get("published"):
        return (f"{facts.relations[EVENTS]} lost its history: it holds no published contract "
                f"while {facts.relations[AUDIT]} records contract versions of "
                f"{counts['audited_assets']} asset(s) (truncated or re-created?)")
    return None


def outdated_columns(name: str, columns: Sequence[str], types: Mapping[str, str]
                     ) -> tuple[list[str], list[str]]:
    """What an existing state table lacks of this release's columns (its `columns` and
    their `types`, lower case): the columns to add, and the 64-bit columns it holds
    narrower (to widen)."""
    present = {c.lower() for c in columns}
    add = [c for c in COLUMNS.get(name, ()) if c not in present]
    widen = [c for c in WIDE.get(name, ()) if str(types.get(c) or "").lower() in NARROW_INTEGERS]
    return add, widen


def check(facts: StateFacts) -> None:
    found = damage(facts)
    if found is not None:
        raise StateDamaged(f"tessera: the state is damaged: {found}", RESTORE)
