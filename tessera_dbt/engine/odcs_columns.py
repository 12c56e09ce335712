"""Columns and guarantees between a contract document and ODCS v3.1.0.

See docs/contracts.md, "ODCS". A column's JSON Schema becomes an ODCS property
(logicalType, physicalType, required, logicalTypeOptions, nested properties and items)
and each guarantee a quality rule (`nullValues`, `invalidValues`, `duplicateValues`, or
`custom` with engine dbt).

Pure: dicts in, dicts out. Whatever the ODCS form does not carry exactly is kept as a
residual under `customProperties`, so decoding an encoded value gives it back equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# JSON Schema `format` ↔ ODCS logicalType for strings that are dates and times
_TEMPORAL = {"date": "date", "date-time": "timestamp", "time": "time"}
_FORMAT_OF = {v: k for k, v in _TEMPORAL.items()}
_STRING_OPTIONS = ("minLength", "maxLength", "pattern")
_ARRAY_OPTIONS = ("minItems", "maxItems", "uniqueItems")
_JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array")
RESIDUAL = "tesseraJsonSchema"  # a column's JSON Schema keys ODCS does not carry exactly
GUARANTEE = "tesseraGuarantee"  # a guarantee entry the quality rule does not carry exactly
_CUSTOM_ID = re.compile(r"^custom_(\d+)$")


def custom_property(properties: Any, name: str) -> Any:
    """The value of customProperties entry `name` (None when absent)."""
    for entry in properties if isinstance(properties, list) else ():
        if isinstance(entry, Mapping) and entry.get("property") == name:
            return entry.get("value")
    return None


def residual(original: Mapping[str, Any], decoded: Mapping[str, Any]) -> dict[str, Any]:
    """What turns `decoded` back into `original`: the keys to set and the keys to drop."""
    out: dict[str, Any] = {}
    changed = {k: v for k, v in original.items() if k not in decoded or decoded[k] != v}
    if changed:
        out["set"] = changed
    dropped = [k for k in decoded if k not in original]
    if dropped:
        out["drop"] = dropped
    return out


def apply_residual(decoded: dict[str, Any], rest: Any) -> dict[str, Any]:
    if not isinstance(rest, Mapping):
        return decoded
    for key in rest.get("drop") or ():
        decoded.pop(key, None)
    decoded.update(rest.get("set") or {})
    return decoded


def _non_null(fragment: Mapping[str, Any]) -> list[str]:
    kind = fragment.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    return [k for k in kinds if k != "null"]


def _logical_type(fragment: Mapping[str, Any]) -> str | None:
    kinds = _non_null(fragment)
    if len(kinds) != 1 or kinds[0] not in _JSON_TYPES:
        return None
    if kinds[0] == "string" and fragment.get("format") in _TEMPORAL:
        return _TEMPORAL[fragment["format"]]
    return kinds[0]


def encode_column(name: str | None, fragment: Mapping[str, Any], required: bool,
                  quality: list[dict[str, Any]]) -> dict[str, Any]:
    """One ODCS property (an array's `items` when `name` is None)."""
    prop: dict[str, Any] = {} if name is None else {"name": name}
    logical = _logical_type(fragment)
    if logical:
        prop["logicalType"] = logical
    if isinstance(fragment.get("x-data-type"), str):
        prop["physicalType"] = fragment["x-data-type"]
    if name is not None:
        prop["required"] = required
    if isinstance(fragment.get("description"), str):
        prop["description"] = fragment["description"]
    options: dict[str, Any] = {}
    if logical == "string":
        options = {k: fragment[k] for k in _STRING_OPTIONS if k in fragment}
        if isinstance(fragment.get("format"), str):
            options["format"] = fragment["format"]
    elif logical == "array":
        options = {k: fragment[k] for k in _ARRAY_OPTIONS if k in fragment}
    if options:
        prop["logicalTypeOptions"] = options
    if logical == "object" and isinstance(fragment.get("properties"), Mapping):
        inner = list(fragment.get("required") or ())
        prop["properties"] = [encode_column(n, f, n in inner, [])
                              for n, f in fragment["properties"].items()
                              if isinstance(f, Mapping)]
    if logical == "array" and isinstance(fragment.get("items"), Mapping):
        prop["items"] = encode_column(None, fragment["items"], False, [])
    if quality:
        prop["quality"] = quality
    rest = residual(fragment, decode_column(prop, required))
    if rest:
        prop["customProperties"] = [{"property": RESIDUAL, "value": rest}]
    return prop


def decode_column(prop: Mapping[str, Any], required: bool | None = None) -> dict[str, Any]:
    """The JSON Schema of one ODCS property (nullable unless required)."""
    required = bool(prop.get("required")) if required is None else required
    fragment: dict[str, Any] = {}
    logical = prop.get("logicalType")
    options = prop.get("logicalTypeOptions") if isinstance(
        prop.get("logicalTypeOptions"), Mapping) else {}
    kind = "string" if logical in _FORMAT_OF else logical
    if kind in _JSON_TYPES:
        fragment["type"] = kind if required else [kind, "null"]
    if logical in _FORMAT_OF:
        fragment["format"] = _FORMAT_OF[logical]
    elif logical == "string" and isinstance(options.get("format"), str):
        fragment["format"] = options["format"]
    if isinstance(prop.get("physicalType"), str):
        fragment["x-data-type"] = prop["physicalType"]
    for key in (*_STRING_OPTIONS, *_ARRAY_OPTIONS):
        if key in options:
            fragment[key] = options[key]
    if isinstance(prop.get("properties"), list):
        inner = [p for p in prop["properties"] if isinstance(p, Mapping) and "name" in p]
        fragment["properties"] = {p["name"]: decode_column(p) for p in inner}
        needed = [p["name"] for p in inner if p.get("required")]
        if needed:
            fragment["required"] = needed
    if isinstance(prop.get("items"), Mapping):
        fragment["items"] = decode_column(prop["items"], False)
    if isinstance(prop.get("description"), str):
        fragment["description"] = prop["description"]
    return apply_residual(fragment, custom_property(prop.get("customProperties"), RESIDUAL))


# --- guarantees as quality rules --------------------------------------------------------

_LIBRARY = {"not_null": ("nullValues", "completeness"),
            "unique": ("duplicateValues", "uniqueness"),
            "accepted_values": ("invalidValues", "conformity")}
_KIND_OF = {metric: kind for kind, (metric, _) in _LIBRARY.items()}


def nullability_rule() -> dict[str, Any]:
    return {"id": "nullability", "type": "library", "metric": "nullValues", "mustBe": 0,
            "dimension": "completeness", "description": "never null"}


def accepted_values_rule(values: list[Any]) -> dict[str, Any]:
    return {"id": "accepted_values", "type": "library", "metric": "invalidValues",
            "arguments": {"validValues": values}, "mustBe": 0, "dimension": "conformity"}


def encode_custom(index: int, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One `guarantees.custom` entry as a quality rule (its column is where it sits)."""
    kind = entry.get("type")
    rule: dict[str, Any] = {"id": f"custom_{index}"}
    if isinstance(entry.get("name"), str):
        rule["name"] = entry["name"]
    if kind in _LIBRARY:
        metric, dimension = _LIBRARY[kind]
        rule.update({"type": "library", "metric": metric})
        if kind == "accepted_values" and isinstance(entry.get("values"), list):
            rule["arguments"] = {"validValues": entry["values"]}
        rule.update({"mustBe": 0, "dimension": dimension})
    else:
        rule.update({"type": "custom", "engine": "dbt", "implementation": {
            k: v for k, v in entry.items() if k not in ("column", "name", "severity")}})
    if entry.get("severity") in ("warn", "error"):
        rule["severity"] = "warning" if entry["severity"] == "warn" else "error"
    decoded = decode_rule(rule, entry.get("column") if isinstance(entry.get("column"), str)
                          else None)
    if decoded != dict(entry):
        rule["customProperties"] = [{"property": GUARANTEE, "value": dict(entry)}]
    return rule


def decode_rule(rule: Mapping[str, Any], column: str | None) -> dict[str, Any] | None:
    """The guarantees.custom entry of one quality rule (None: a rule tessera cannot
    check, e.g. `type: text`)."""
    kept = custom_property(rule.get("customProperties"), GUARANTEE)
    if isinstance(kept, Mapping):
        return dict(kept)
    entry: dict[str, Any]
    if rule.get("type") == "custom" and isinstance(rule.get("implementation"), Mapping):
        entry = dict(rule["implementation"])
        if not isinstance(entry.get("type"), str):
            return None
    elif rule.get("metric") in _KIND_OF and rule.get("mustBe") == 0:
        entry = {"type": _KIND_OF[rule["metric"]]}
        values = (rule.get("arguments") or {}).get("validValues")
        if entry["type"] == "accepted_values":
            if not isinstance(values, list):
                return None
            entry["values"] = values
    elif rule.get("type") == "sql" and isinstance(rule.get("query"), str):
        entry = {"type": "singular", "sql": rule["query"]}
    else:
        return None
    if column is not None:
        entry["column"] = column
    if isinstance(rule.get("name"), str):
        entry["name"] = rule["name"]
    if rule.get("severity") in ("warning", "warn"):
        entry["severity"] = "warn"
    elif rule.get("severity") == "error":
        entry["severity"] = "error"
    return entry


def custom_order(rule: Mapping[str, Any], position: int) -> tuple[int, int]:
    """Where a decoded custom entry goes: its exported index first, then as found."""
    found = _CUSTOM_ID.match(str(rule.get("id") or ""))
    return (int(found.group(1)), 0) if found else (1 << 30, position)
