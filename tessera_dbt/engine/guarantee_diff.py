"""Part 4 of compatibility.md: guarantees removed, loosened, added or tightened.

Both compact maps (`nullability`, `accepted_values`), `freshness` and the `custom` list
are normalised into one Guarantee per identity (kind plus column or name), so a not_null
written in the map on one side and in `custom` on the other is the same promise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .bounds import RANGE_TESTS, compare_check, compare_range
from .changes import Change
from .rules import RULES_BY_ID
from .thresholds import FAILURE_CONFIGS, is_default, never_fails, tolerated

_BF = RULES_BY_ID["GUARANTEE_REMOVED"].breaks_under
_B = RULES_BY_ID["GUARANTEE_ADDED"].breaks_under
_NO: frozenset[str] = frozenset()
_ENTRY_FIELDS = frozenset({"type", "column", "name", "severity", "where", "test",
                           *FAILURE_CONFIGS})
_PERIOD_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


@dataclass(frozen=True)
class Guarantee:
    key: str
    kind: str
    column: str | None
    args: Mapping[str, Any]
    severity: str
    where: str | None
    tests: tuple[str, ...]
    failure: Mapping[str, Any] = field(default_factory=dict)  # error_if, fail_calc, limit...

    @property
    def strict(self) -> bool:
        """Error severity, on every row, failing on the first failing row: the promise a
        schema's NOT NULL or enum makes."""
        return self.severity == "error" and not self.where and not self.failure

    @property
    def path(self) -> str:
        """Where a change is reported: `<kind>.<column or name>`, with the document's own
        word for not-null promises (`nullability.order_id`), or the kind alone."""
        return "nullability" + self.key[len("not_null"):] if self.kind == "not_null" else self.key

    @property
    def advisory(self) -> bool:
        return self.severity == "warn"


def _test_ids(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def guarantee_key(entry: dict[str, Any]) -> str:
    """The identity of a guarantee: kind plus column or name, e.g. `unique.order_id`; a
    not-null promise is `nullability.<column>` in whichever form it is written."""
    kind = "nullability" if entry["type"] == "not_null" else entry["type"]
    subject = entry.get("column") or entry.get("name")
    if subject is None and entry.get("columns"):
        subject = ",".join(entry["columns"])
    if subject is None and entry.get("expression"):
        subject = entry["expression"]
    return f"{kind}.{subject}" if subject is not None else kind


_QUOTED = re.compile(r"^'((?:[^']|'')*)'$", re.S)


def accepted_predicate(values: list[Any], quote: bool) -> dict[str, Any]:
    """accepted_values as the predicate dbt compiles (`col in (...)`): each value quoted
    as text (`quote: true`, the default) or written as SQL. `quote: false` with every value
    a quoted literal ('a') is the same predicate as `quote: true` with a."""
    if quote:
        return {"values": [str(v) for v in values], "quote": True}
    literals = [_QUOTED.match(v) if isinstance(v, str) else None for v in values]
    if values and all(literals):
        return {"values": [m.group(1).replace("''", "'") for m in literals if m],
                "quote": True}
    return {"values": values, "quote": False}


def normalise_guarantees(doc: Mapping[str, Any]) -> dict[str, Guarantee]:
    """Every guarantee of a document by identity."""
    raw = doc.get("guarantees") or {}
    tests = doc.get("x-tests") or {}
    out: dict[str, Guarantee] = {}

    def ids(*keys: str, entry: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        found: list[str] = []
        for key in keys:
            found.extend(_test_ids(tests.get(key)))
        if entry is not None:
            found.extend(_test_ids(entry.get("test")))
        return tuple(dict.fromkeys(found))

    for column in raw.get("nullability") or {}:
        out[f"not_null.{column}"] = Guarantee(
            f"not_null.{column}", "not_null", column, {}, "error", None,
            ids(f"nullability.{column}", f"not_null.{column}"))
    for column, values in (raw.get("accepted_values") or {}).items():
        out[f"accepted_values.{column}"] = Guarantee(
            f"accepted_values.{column}", "accepted_values", column,
            accepted_predicate(list(values or []), True), "error", None,
            ids(f"accepted_values.{column}"))
    freshness = raw.get("freshness")
    if isinstance(freshness, Mapping) and freshness:
        out["freshness"] = Guarantee("freshness", "freshness", None, dict(freshness), "error",
                                     None, ids("freshness"))
    for entry in raw.get("custom") or ():
        if not isinstance(entry, Mapping) or not entry.get("type"):
            continue
        kind = str(entry["type"])
        args = {k: v for k, v in entry.items() if k not in _ENTRY_FIELDS}
        if kind == "accepted_values":
            args.update(accepted_predicate(list(args.get("values") or []),
                                           args.get("quote", True) is not False))
        if kind in ("not_null", "accepted_values") and entry.get("column"):
            key = f"{kind}.{entry['column']}"
        else:
            key = guarantee_key(dict(entry))
        severity = str(entry.get("severity") or "error").lower()
        if never_fails(entry):
            continue  # a guarantee that can never fail promises nothing: it counts as removed
        failure = {k: entry[k] for k in FAILURE_CONFIGS
                   if k in entry and not is_default(k, entry[k])}
        out[key] = Guarantee(key, kind, entry.get("column"), args,
                             "warn" if severity == "warn" else "error", entry.get("where"),
                             ids(key, f"nullability.{entry.get('column')}", entry=entry)
                             if kind == "not_null" else ids(key, entry=entry), failure)
    return out


def _change(rule: str, g: Guarantee, old: Any, new: Any, modes: frozenset[str], message: str,
            note: str = "") -> Change:
    return Change(rule, g.path, old, new, modes, message, note, g.key)


def _describe(g: Guarantee) -> str:
    where = f" where {g.where}" if g.where else ""
    severity = " (severity warn)" if g.advisory else ""
    severity += "".join(f" {k} {v}" for k, v in sorted(g.failure.items()))
    on = f" on `{g.column}`" if g.column else ""
    name = "" if g.column else f" `{g.key.split('.', 1)[-1]}`" if "." in g.key else ""
    return f"{g.kind}{name}{on}{where}{severity}"


def _verification(g: Guarantee, passed: frozenset[str], by_run: bool) -> tuple[bool, str]:
    for test in g.tests:
        if test in passed:
            return True, f"verified: its test {test} passed in this build"
    if not by_run:
        return False, "unverified: no run results given (pass --run-results)"
    if not g.tests:
        return False, "unverified: no dbt test backs this guarantee"
    return False, "unverified: its test did not pass in the given run results"


def _strip_sql(sql: str) -> str:
    """SQL without comments and with whitespace collapsed, string literals kept verbatim."""
    out: list[str] = []
    for token in re.finditer(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|"
                             r"\{#.*?#\}|\s+|[^'\"\s\-/{]+|.", sql, re.S):
        text = token.group(0)
        if text.startswith(("--", "/*", "{#")):
            out.append(" ")
        elif text.isspace():
            out.append(" ")
        else:
            out.append(text)
    return re.sub(r" +", " ", "".join(out)).strip()


def _minutes(threshold: Any) -> float | None:
    if not isinstance(threshold, Mapping):
        return None
    count, period = threshold.get("count"), _PERIOD_MINUTES.get(str(threshold.get("period")))
    if count is None or period is None:
        return None
    return float(count) * period


def _compare_args(old: Guarantee, new: Guarantee) -> tuple[list[str], list[str], bool]:
    """(loosened reasons, tightened reasons, replaced) for one guarantee. Differences of
    form only (value order, SQL whitespace and comments) are none of these."""
    loose: list[str] = []
    tight: list[str] = []
    replaced = False
    a, b = dict(old.args), dict(new.args)
    if old.kind == "accepted_values":
        before, after = a.pop("values", []), b.pop("values", [])
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if added and removed:
            replaced = True
        elif added:
            loose.append(f"accepted values grew by {added}")
        elif removed:
            tight.append(f"accepted values shrank by {removed}")
    elif old.kind == "freshness":
        for threshold in ("warn_after", "error_after"):
            before, after = _minutes(a.pop(threshold, None)), _minutes(b.pop(threshold, None))
            if before == after:
                continue
            if after is None or (before is not None and after > before):
                loose.append(f"{threshold} lengthened" if after else f"{threshold} removed")
            else:
                tight.append(f"{threshold} shortened" if before else f"{threshold} added")
    elif old.kind == "relationships":
        for arg in ("to", "field"):
            if a.pop(arg, None) != b.pop(arg, None):
                loose.append(f"relationships target changed ({arg})")
    elif old.kind in RANGE_TESTS:
        before, after = dict(a.pop("kwargs", None) or {}), dict(b.pop("kwargs", None) or {})
        range_loose, range_tight, range_replaced = compare_range(old.kind, before, after)
        loose += range_loose
        tight += range_tight
        replaced = replaced or range_replaced
    elif old.kind == "check":
        before, after = a.pop("expression", None), b.pop("expression", None)
        if before != after:
            check_loose, check_tight, check_replaced = compare_check(before, after)
            loose += check_loose
            tight += check_tight
            replaced = replaced or check_replaced
    elif old.kind == "singular":
        before, after = str(a.pop("sql", "") or ""), str(b.pop("sql", "") or "")
        if before != after and _strip_sql(before) != _strip_sql(after):
            loose.append("its SQL changed")
    if a != b:
        replaced = True
    return loose, tight, replaced


def _compare_failure(old: Guarantee, new: Guarantee) -> tuple[list[str], list[str]]:
    """(loosened, tightened) by the failure configs: more failing rows tolerated, a
    different `fail_calc` or a smaller `limit` loosen; the reverse tightens. `warn_if`
    decides warnings only: it changes an advisory guarantee, never an error one."""
    loose: list[str] = []
    tight: list[str] = []
    a, b = old.failure, new.failure
    if a.get("error_if") != b.get("error_if"):
        before, after = tolerated(a.get("error_if")), tolerated(b.get("error_if"))
        text = f"error_if {a.get('error_if', '!= 0')} → {b.get('error_if', '!= 0')}"
        if before is not None and after is not None and after < before:
            tight.append(text)
        elif before != after or before is None:
            loose.append(text + (f" (up to {after:g} failing rows pass)" if after else ""))
    if a.get("fail_calc") != b.get("fail_calc"):
        text = f"fail_calc {a.get('fail_calc', 'count(*)')} → {b.get('fail_calc', 'count(*)')}"
        (tight if "fail_calc" not in b else loose).append(text)
    if a.get("limit") != b.get("limit") and (a.get("error_if") or b.get("error_if")
                                             or a.get("fail_calc") or b.get("fail_calc")):
        before, after = a.get("limit"), b.get("limit")
        text = f"limit {before} → {after}"
        if after is None or (before is not None and after > before):
            tight.append(text)
        else:
            loose.append(text)
    if a.get("warn_if") != b.get("warn_if") and new.advisory:
        loose.append(f"warn_if {a.get('warn_if', '!= 0')} → {b.get('warn_if', '!= 0')}")
    return loose, tight


def guarantee_changes(old: dict[str, Guarantee], new: dict[str, Guarantee],
                      passed: frozenset[str], by_run: bool, vanished: set[str]) -> list[Change]:
    """Changes of part 4. A not-null promise on a column that appears or vanishes is the
    `required` of its COLUMN_*_REQUIRED change and is not counted again; every other
    guarantee on such a column is a guarantee change of its own."""
    changes: list[Change] = []

    def removed(g: Guarantee) -> None:
        modes = _NO if g.advisory else _BF
        note = "advisory (severity warn): removing it breaks nothing" if g.advisory else ""
        changes.append(_change("GUARANTEE_REMOVED", g, _describe(g), None, modes,
                               f"Guarantee {_describe(g)} was removed.", note))

    def added(g: Guarantee) -> None:
        verified, note = _verification(g, passed, by_run)
        if g.advisory:
            verified, note = True, "advisory (severity warn): adding it breaks nothing"
        changes.append(_change("GUARANTEE_ADDED", g, None, _describe(g), _NO if verified else _B,
                               f"Guarantee {_describe(g)} was added.", note))

    for key, g in old.items():
        if key not in new and not (g.kind == "not_null" and g.column in vanished):
            removed(g)
    for key, g in new.items():
        if key not in old and not (g.kind == "not_null" and g.column in vanished):
            added(g)
    for key, before in old.items():
        after = new.get(key)
        if after is None:
            continue
        loose, tight, replaced = _compare_args(before, after)
        if replaced:
            removed(before)
            added(after)
            continue
        if before.severity != after.severity:
            (loose if after.advisory else tight).append(
                f"severity {before.severity} → {after.severity}")
        if before.where != after.where:
            if after.where is None:
                tight.append("where filter removed")
            else:
                loose.append(f"where filter {'added' if before.where is None else 'changed'}: "
                             f"{after.where}")
        failure_loose, failure_tight = _compare_failure(before, after)
        loose += failure_loose
        tight += failure_tight
        both_advisory = before.advisory and after.advisory
        if loose:
            changes.append(_change(
                "GUARANTEE_LOOSENED", after, _describe(before), _describe(after),
                _NO if both_advisory else _BF,
                f"Guarantee {_describe(before)} was loosened: {'; '.join(loose)}.",
                "advisory (severity warn) on both sides" if both_advisory else ""))
        if tight:
            verified, note = _verification(after, passed, by_run)
            if after.advisory:
                verified, note = True, "advisory (severity warn): breaks nothing"
            changes.append(_change(
                "GUARANTEE_TIGHTENED", after, _describe(before), _describe(after),
                _NO if verified else _B,
                f"Guarantee {_describe(before)} was tightened: {'; '.join(tight)}.", note))
    return changes
