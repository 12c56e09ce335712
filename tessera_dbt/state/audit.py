"""Audit rows: what every dbt test and source freshness check said about every guarantee.

One mapping for both ways results arrive: the on-run-end hook's live `results` and
`tessera audit ingest` (run_results.json / sources.json of runs made without the hook, such
as dbt Cloud artifacts). A test speaks for the asset(s) `Extractor.tested_assets` names and
for the guarantee `Extractor.tests_by_guarantee` maps it to (the map a contract's `x-tests`
shows); a freshness check speaks for its source's `freshness` guarantee. Audit ids are
deterministic (invocation, check, asset), so the hook and an ingest of the same run record
each row once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..artifacts.contracts import Extractor
from ..artifacts.nodes import asset_name
from ..artifacts.readers import FreshnessResult, TestResult
from ..engine.vocabulary import FAILED_STATUSES
from .events import audit_id
from .integrity import NARROW_INTEGERS as _NARROW_INTEGERS

# dbt's freshness verdicts as guarantee outcomes: `error` means the data is older than
# error_after (the promise is broken); `runtime error` means the check itself could not run.
FRESHNESS_STATUS = {"pass": "pass", "warn": "warn", "error": "fail", "runtime error": "error"}
FRESHNESS_GUARANTEE = "freshness"

VersionOf = Callable[[str, dt.datetime], str | None]


@dataclass(frozen=True)
class Outcome:
    """One executed check: a dbt test, or the freshness check of a source."""

    unique_id: str
    name: str | None
    status: str  # pass / fail / warn / error / skipped
    failures: int | None
    execution_time: float
    completed_at: dt.datetime | None
    message: str | None
    freshness: bool = False


def utc_naive(value: Any) -> dt.datetime | None:
    """A timestamp (datetime or ISO text) as naive UTC, the form the state tables hold.

    >>> utc_naive("2026-01-02T03:04:05.5Z")
    datetime.datetime(2026, 1, 2, 3, 4, 5, 500000)
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _status(value: Any) -> str:
    """An enum or string (dbt's statuses, resource types) as lower-case text."""
    return str(getattr(value, "value", value) or "").lower()


def freshness_message(max_loaded_at: Any, age_seconds: float | None) -> str | None:
    """'max_loaded_at ... (N h ago)', the figure a freshness verdict rests on."""
    if max_loaded_at is None:
        return None
    text = f"max_loaded_at {max_loaded_at}"
    return f"{text} ({age_seconds / 3600:.1f} h ago)" if age_seconds is not None else text


def from_live(result: Any) -> Outcome | None:
    """An outcome from one of the `results` dbt hands its on-run-end hooks: tests and
    source freshness checks; anything else (models, seeds, ...) is None."""
    node = getattr(result, "node", None)
    kind = _status(getattr(node, "resource_type", ""))
    completed = None
    for step in getattr(result, "timing", None) or ():
        if getattr(step, "name", None) == "execute" and getattr(step, "completed_at", None):
            completed = utc_naive(step.completed_at)
    status = _status(getattr(result, "status", ""))
    if kind == "test":
        failures = getattr(result, "failures", None)
        return Outcome(node.unique_id, getattr(node, "name", None), status,
                       failures if isinstance(failures, int) else None,
                       float(getattr(result, "execution_time", 0) or 0), completed,
                       getattr(result, "message", None))
    if kind == "source" and hasattr(result, "max_loaded_at"):
        message = freshness_message(getattr(result, "max_loaded_at", None),
                                    getattr(result, "age", None))
        return Outcome(node.unique_id, "source_freshness",
                       FRESHNESS_STATUS.get(status, status), None,
                       float(getattr(result, "execution_time", 0) or 0), completed,
                       message or getattr(result, "message", None), freshness=True)
    return None


def from_run_result(result: TestResult, name: str | None,
                    default_time: dt.datetime | None) -> Outcome:
    return Outcome(result.unique_id, name, result.status, result.failures,
                   result.execution_time, utc_naive(result.completed_at) or default_time,
                   result.message)


def from_freshness_result(result: FreshnessResult,
                          default_time: dt.datetime | None) -> Outcome:
    return Outcome(result.unique_id, "source_freshness",
                   FRESHNESS_STATUS.get(result.status, result.status), None,
                   result.execution_time, utc_naive(result.completed_at) or default_time,
                   freshness_message(result.max_loaded_at, result.age_seconds)
                   or result.message, freshness=True)


def _targets(extractor: Extractor, outcome: Outcome) -> list[tuple[str | None, str | None]]:
    """(asset, guarantee) pairs an outcome speaks for."""
    if outcome.freshness:
        node = extractor.node(outcome.unique_id)
        return [(asset_name(node) if node else None, FRESHNESS_GUARANTEE)]
    test = extractor.manifest.nodes.get(outcome.unique_id) or {}
    pairs: list[tuple[str | None, str | None]] = []
    for asset_uid in extractor.tested_assets(test) or [None]:
        node = extractor.node(asset_uid) if asset_uid else None
        key = extractor.guarantee_of(asset_uid, outcome.unique_id) if asset_uid else None
        pairs.append((asset_name(node) if node else None, key))
    return pairs


def audit_rows(extractor: Extractor, outcomes: Iterable[Outcome], invocation_id: str,
               target_name: str | None, recorded_at: dt.datetime,
               version_of: VersionOf | None = None) -> list[dict[str, Any]]:
    """One audit-log row per outcome and asset it speaks for."""
    rows = []
    for outcome in outcomes:
        executed_at = outcome.completed_at or recorded_at
        for asset, guarantee in _targets(extractor, outcome):
            rows.append({
                "audit_id": audit_id(invocation_id, outcome.unique_id, asset),
                "invocation_id": invocation_id,
                "target_name": target_name,
                "asset": asset,
                "guarantee": guarantee,
                "test_unique_id": outcome.unique_id,
                "test_name": outcome.name,
                "status": outcome.status,
                "failures": outcome.failures,
                "execution_time": outcome.execution_time,
                "executed_at": executed_at,
                "contract_version": version_of(asset, executed_at)
                if version_of and asset else None,
                "message": outcome.message,
                "recorded_at": recorded_at,
            })
    return rows




def fit_to_columns(rows: Sequence[Mapping[str, Any]], failures_type: str | None
                   ) -> list[Mapping[str, Any]]:
    """The audit rows as the table can hold them: a failure count beyond the `failures`
    column (64-bit; 32-bit in a table an older release created where the warehouse cannot
    widen it) is that row's problem alone, recorded as null with why in its message, so
    every other row and publication of the run is still written."""
    bits = 32 if str(failures_type or "").lower() in _NARROW_INTEGERS else 64
    limit = 2 ** (bits - 1)
    out: list[Mapping[str, Any]] = []
    for row in rows:
        failures = row.get("failures")
        if isinstance(failures, int) and not -limit <= failures < limit:
            note = (f"failures {failures} does not fit the {bits}-bit failures column; "
                    "recorded as null")
            row = {**row, "failures": None,
                   "message": f"{note}. {row['message']}" if row.get("message") else note}
        out.append(row)
    return out


def failed_guarantees(rows: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """asset → the guarantees whose check failed or errored (a warning is not a failure)."""
    out: dict[str, set[str]] = {}
    for row in rows:
        if row["asset"] and row["status"] in FAILED_STATUSES:
            out.setdefault(row["asset"], set()).add(row["guarantee"] or row["test_name"]
                                                    or row["test_unique_id"])
    return out


def version_at(history: Mapping[str, Sequence[tuple[dt.datetime, str]]]) -> VersionOf:
    """The contract version in force for an asset at a moment: the newest publication at or
    before it (history: asset → (published_at, version), any order)."""
    ordered = {asset: sorted(entries) for asset, entries in history.items()}

    def version_of(asset: str, when: dt.datetime) -> str | None:
        current = None
        for published_at, version in ordered.get(asset, ()):
            if published_at > when:
                break
            current = version
        return current

    return version_of
