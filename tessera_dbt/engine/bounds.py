"""Ordered promises (issue 22; docs/compatibility-extensions.md), pure: the bounds of
range tests and of `check` constraints written as comparisons with numbers, so a widened
range is loosened and a narrowed one tightened instead of removed + added."""

from __future__ import annotations

import re
from typing import Any

# range tests: their bounds' arguments and the one that excludes the bounds, with its
# default (dbt_utils.accepted_range is inclusive unless told; expect_..._between is not
# strict unless told)
RANGE_TESTS: dict[str, tuple[str, bool]] = {
    "dbt_utils.accepted_range": ("inclusive", True),
    "dbt_expectations.expect_column_values_to_be_between": ("strictly", False),
}


def _bound(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(value)
    return float(value)


def compare_range(kind: str, before: dict[str, Any], after: dict[str, Any]
                   ) -> tuple[list[str], list[str], bool]:
    """A range widened is loosened, narrowed is tightened (each bound on its own); bounds
    that are not numbers (a date, an expression) are replaced when they differ."""
    loose: list[str] = []
    tight: list[str] = []
    for name, widens in (("min_value", lambda x, y: y < x), ("max_value", lambda x, y: y > x)):
        a, b = before.pop(name, None), after.pop(name, None)
        if a == b:
            continue
        if a is None or b is None:
            (tight if a is None else loose).append(
                f"{name} {'added' if a is None else 'removed'}")
            continue
        try:
            wider = widens(_bound(a), _bound(b))
        except ValueError:
            return [], [], True
        (loose if wider else tight).append(f"{name} {a} → {b}")
    flag, default = RANGE_TESTS[kind]
    a, b = before.pop(flag, default), after.pop(flag, default)
    if bool(a) != bool(b):
        excludes = (flag == "inclusive") != bool(b)  # the bounds are excluded now
        (tight if excludes else loose).append(f"{flag} {a} → {b}")
    return loose, tight, before != after


_COMPARISON = re.compile(r"^\s*\(?\s*([A-Za-z_][\w.]*)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)"
                         r"\s*\)?\s*$")


def _check_bounds(expression: Any) -> dict[tuple[str, str], tuple[float, bool]] | None:
    """A check expression of comparisons with numbers joined by `and` (`qty >= 0 and qty <
    100`), as (column, lower|upper) → (bound, inclusive); None when it is anything else."""
    if not isinstance(expression, str):
        return None
    out: dict[tuple[str, str], tuple[float, bool]] = {}
    for part in re.split(r"\s+and\s+", expression.strip(), flags=re.I):
        match = _COMPARISON.match(part)
        if match is None:
            return None
        column, op, number = match.group(1).lower(), match.group(2), float(match.group(3))
        side = "lower" if op.startswith(">") else "upper"
        if (column, side) in out:
            return None
        out[(column, side)] = (number, op.endswith("="))
    return out


def compare_check(before: Any, after: Any) -> tuple[list[str], list[str], bool]:
    """A check constraint whose bounds moved: each widened bound loosens, each narrowed one
    tightens; an expression of any other form that changed is replaced."""
    a, b = _check_bounds(before), _check_bounds(after)
    if a is None or b is None or a.keys() != b.keys():
        return [], [], True
    loose: list[str] = []
    tight: list[str] = []
    for (column, side), (old, old_inclusive) in sorted(a.items()):
        new, new_inclusive = b[(column, side)]
        if (old, old_inclusive) == (new, new_inclusive):
            continue
        # a lower bound widens downwards, an upper one upwards; at an equal bound,
        # admitting it widens
        wider = (new < old if side == "lower" else new > old) if new != old \
            else new_inclusive and not old_inclusive
        (loose if wider else tight).append(f"check `{before}` → `{after}`")
    return loose, tight, False
