"""Schema-only domains of a column: enum, length, numeric bounds and pattern, compared as
compatibility.md's DOMAIN_NARROWED / DOMAIN_WIDENED."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .warehouse_types import parse_type


def _implied_max_length(fragment: Mapping[str, Any], type_text: str | None) -> Any:
    """maxLength that merely restates varchar(n) belongs to the type, not the domain."""
    value = fragment.get("maxLength")
    if value is None or not type_text:
        return value
    ctype = parse_type(type_text)
    if ctype.family == "string" and ctype.params and ctype.params[0] == value:
        return None
    return value


def _enum_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def domain_changes(old: Mapping[str, Any], old_type: str | None, new: Mapping[str, Any],
                   new_type: str | None, enum_guarded: bool) -> tuple[list[str], list[str]]:
    """How the allowed values of one column changed between two JSON Schema fragments:
    (narrowed, widened), each a list of what changed in words. `enum_guarded`: the enum is
    compared as an accepted_values guarantee instead."""
    narrowed: list[str] = []
    widened: list[str] = []
    if not enum_guarded:
        before, after = old.get("enum"), new.get("enum")
        if before is None and after is not None:
            narrowed.append(f"enum {after} added")
        elif before is not None and after is None:
            widened.append("enum dropped")
        elif before is not None and after is not None:
            b = {_enum_key(v): v for v in before}
            a = {_enum_key(v): v for v in after}
            if set(b) - set(a):
                narrowed.append(f"values {[b[k] for k in b if k not in a]} removed")
            if set(a) - set(b):
                widened.append(f"values {[a[k] for k in a if k not in b]} added")
    bounds = (
        ("maxLength", _implied_max_length(old, old_type), _implied_max_length(new, new_type),
         True),
        ("minLength", old.get("minLength"), new.get("minLength"), False),
        ("maximum", old.get("maximum"), new.get("maximum"), True),
        ("exclusiveMaximum", old.get("exclusiveMaximum"),
         new.get("exclusiveMaximum"), True),
        ("minimum", old.get("minimum"), new.get("minimum"), False),
        ("exclusiveMinimum", old.get("exclusiveMinimum"),
         new.get("exclusiveMinimum"), False),
    )
    for key, before, after, is_upper in bounds:
        if before == after:
            continue
        if after is None:
            widened.append(f"{key} {before} removed")
        elif before is None:
            narrowed.append(f"{key} {after} added")
        elif (after < before) == is_upper:
            narrowed.append(f"{key} {before} → {after}")
        else:
            widened.append(f"{key} {before} → {after}")
    before, after = old.get("pattern"), new.get("pattern")
    if before != after:
        if after is None:
            widened.append("pattern removed")
        else:
            # The rule table counts a changed pattern as narrowed whichever way it changed
            # (two regular expressions cannot be ordered): the one exception to
            # forward(a, b) == backward(b, a), noted in tests/engine/test_compat_properties.py.
            narrowed.append(f"pattern {'added' if before is None else 'changed'}: {after}")
    return narrowed, widened
