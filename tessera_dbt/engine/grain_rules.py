"""Grain and snapshot semantics (issue 22; docs/compatibility-extensions.md), pure.

An incremental model's `unique_key` and `incremental_strategy` and a snapshot's
`unique_key` say which rows are one entity: consumers join and count on it. A snapshot's
meta columns, `dbt_valid_to_current` and hard-delete handling say what a current row is.
The extraction records them under `x-dbt.grain` and `x-dbt.snapshot`; each is compared
only when both documents carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .changes import Change
from .rules import RULES_BY_ID

# strategies that never write a key twice (append does; microbatch replaces batches)
DEDUPLICATING = frozenset({"merge", "delete+insert", "insert_overwrite", "microbatch"})
# what a current row is, and under which names consumers filter on it
SEMANTICS = ("snapshot_meta_column_names", "dbt_valid_to_current", "hard_deletes",
             "invalidate_hard_deletes")
# when a new version of a row is recorded
TRACKING = ("strategy", "check_cols", "updated_at")


def key_columns(value: Any) -> frozenset[str] | None:
    if value in (None, "", []):
        return None
    items = value if isinstance(value, list) else [value]
    return frozenset(str(v).strip().lower() for v in items)


def grain_changes(before: Mapping[str, Any], after: Mapping[str, Any], snapshot: bool
                  ) -> list[Change]:
    out: list[Change] = []
    old, new = key_columns(before.get("unique_key")), key_columns(after.get("unique_key"))
    if old != new:
        shown = f"{sorted(old) if old else None} → {sorted(new) if new else None}"
        if old is not None and (new is None or snapshot or not new < old):
            what = ("dropped: a re-run appends rows whose key is already there" if new is None
                    else "changed: a renamed entity gets two current rows" if snapshot
                    else "coarser or different: rows that were one entity no longer are")
            out.append(_change("GRAIN_CHANGED", "grain.unique_key", old, new,
                               f"unique_key {shown}: the grain is {what}."))
        else:
            out.append(Change("GRAIN_TIGHTENED", "grain.unique_key", old, new, frozenset(),
                              f"unique_key {shown}: each entity is written once."))
    a, b = before.get("incremental_strategy"), after.get("incremental_strategy")
    if a != b and a is not None and b is not None:
        duplicates = a in DEDUPLICATING and b not in DEDUPLICATING
        out.append(_change("GRAIN_CHANGED", "grain.incremental_strategy", a, b,
                           f"incremental_strategy {a} → {b}: keys already written are "
                           "written again.") if duplicates else
                   Change("META", "grain.incremental_strategy", a, b, frozenset(),
                          f"incremental_strategy {a} → {b}: each key is still written "
                          "once."))
    return out


def snapshot_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    out: list[Change] = []
    for key in SEMANTICS:
        if before.get(key) != after.get(key):
            out.append(_change("SNAPSHOT_SEMANTICS_CHANGED", f"snapshot.{key}",
                               before.get(key), after.get(key),
                               f"{key} {before.get(key)!r} → {after.get(key)!r}: what a "
                               "current row is, or where consumers read it, changed."))
    for key in TRACKING:
        if before.get(key) != after.get(key):
            out.append(_change("SNAPSHOT_TRACKING_CHANGED", f"snapshot.{key}",
                               before.get(key), after.get(key),
                               f"{key} {before.get(key)!r} → {after.get(key)!r}: new "
                               "versions of a row are recorded on other changes."))
    return out


def _change(rule: str, path: str, old: Any, new: Any, message: str) -> Change:
    return Change(rule, path, old, new, RULES_BY_ID[rule].breaks_under, message)
