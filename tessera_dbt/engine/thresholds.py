"""What a dbt test's failure configs do to its promise (pure): `error_if`, `warn_if`,
`fail_calc`, `limit` and `where` (dbt's defaults: `!= 0`, `!= 0`, `count(*)`, none, none).

A test fails when `fail_calc` over its failing rows (at most `limit` of them) meets
`error_if`. `tolerated(error_if)` is how many failing rows still pass (0 by default;
`>100` → 100); `never_fails(config)` says the test cannot fail whatever the data holds,
so its guarantee is gone (compatibility-extensions.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULTS = {"error_if": "!= 0", "warn_if": "!= 0", "fail_calc": "count(*)"}
FAILURE_CONFIGS = ("error_if", "warn_if", "fail_calc", "limit")
_CONDITION = re.compile(r"^\s*(!=|<>|>=|<=|==|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
# the defaults as is_default compares them: lower case, no spaces
_DEFAULT_TEXT = {name: "".join(value.split()) for name, value in DEFAULTS.items()}
_NEVER_WHERE = {"false", "1=0", "0=1", "1 = 0", "0 = 1", "1<>1", "1 <> 1", "1!=1", "1 != 1"}


def _parse(condition: Any) -> tuple[str, float] | None:
    match = _CONDITION.match(str(condition))
    if not match:
        return None
    op = {"<>": "!=", "==": "="}.get(match[1], match[1])
    return op, float(match[2])


_DEFAULT_CONDITION = _parse(DEFAULTS["error_if"])


def _meets(op: str, bound: float, n: float) -> bool:
    return {"!=": n != bound, "=": n == bound, ">": n > bound, ">=": n >= bound,
            "<": n < bound, "<=": n <= bound}[op]


def is_default(name: str, value: Any) -> bool:
    """Whether a failure config says what dbt's default says (spacing and case aside)."""
    if value is None:
        return True
    default = _DEFAULT_TEXT.get(name)
    if default is None:
        return False
    return "".join(str(value).lower().split()) == default


def tolerated(error_if: Any) -> float | None:
    """Failing rows that still pass under `error_if` (None: not a plain threshold)."""
    if is_default("error_if", error_if):
        return 0.0
    parsed = _parse(error_if)
    if parsed is None:
        return None
    op, bound = parsed
    if op == ">":
        return max(bound, 0.0)
    if op == ">=":
        return max(bound - 1, 0.0)
    if op == "!=" and bound == 0:
        return 0.0
    return None


def never_fails(config: Mapping[str, Any]) -> bool:
    """A test that can never fail: a constant `fail_calc` that does not meet `error_if`,
    a `limit` no larger than the failures `error_if` tolerates, or a `where` that keeps no
    row."""
    where = config.get("where")
    if isinstance(where, str) and " ".join(where.lower().split()) in _NEVER_WHERE:
        return True
    error_if = config.get("error_if")
    condition = _parse(error_if) if error_if and error_if != DEFAULTS["error_if"] \
        else _DEFAULT_CONDITION
    fail_calc = config.get("fail_calc")
    if fail_calc is not None and not is_default("fail_calc", fail_calc):
        constant = _parse(f"= {str(fail_calc).strip()}")
        if constant is None:
            return False
        return condition is not None and not _meets(*condition, constant[1])
    limit = config.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and condition is not None \
            and 0 <= limit <= 100_000:
        return not any(_meets(*condition, n) for n in range(0, limit + 1))
    return False
