"""A warehouse type as a JSON Schema 2020-12 fragment (the `schema` of a contract)."""

from __future__ import annotations

from .warehouse_types import (  # parse_type: for the docstring's example
    CanonicalType,
    member_types,
    parse_type,  # noqa: F401
    parse_with_slices,
    type_to_text,
)


def _nullable(fragment: dict) -> dict:
    """A member of a struct, map or array may hold null unless declared otherwise (a
    warehouse type does not say NOT NULL of its members)."""
    kind = fragment.get("type")
    if isinstance(kind, str):
        return {**fragment, "type": [kind, "null"]}
    return fragment


def to_json_schema(t: CanonicalType, data_type_text: str | None = None) -> dict:
    """A JSON Schema 2020-12 fragment for a value of type `t`, without nullability.

    Nested member fragments carry "x-data-type": the member's text as written in
    `data_type_text` when it can be sliced from it, else its canonical spelling.

    >>> to_json_schema(parse_type("ARRAY<STRING(10)>", "bigquery"), "ARRAY<STRING(10)>")["items"]
    {'type': ['string', 'null'], 'maxLength': 10, 'x-data-type': 'STRING(10)'}
    """
    members = member_types(t)
    texts = [type_to_text(m) for _, m in members]
    if data_type_text is not None and members:
        # slicing does not need the dialect
        written, slices = parse_with_slices(data_type_text, "generic")
        aligned = [s for s, _ in member_types(written)] == [s for s, _ in members]
        if aligned and len(slices) == len(members):
            texts = list(slices)
    fragments = {suffix: _nullable({**to_json_schema(m, text), "x-data-type": text})
                 for (suffix, m), text in zip(members, texts, strict=True)}
    family = t.family
    if t.name == "struct":
        return {"type": "object", "properties": fragments}
    if t.name == "array":
        return {"type": "array", "items": fragments["[]"]}
    if t.name == "map":
        return {"type": "object", "additionalProperties": fragments["{}"]}
    if family == "integer" or (t.name == "decimal" and t.params and t.params[1] == 0):
        return {"type": "integer"}  # decimal(p,0), e.g. every Snowflake INT, holds integers
    if family in ("decimal", "float"):
        return {"type": "number"}
    if family == "string":
        return {"type": "string", **({"maxLength": t.params[0]} if t.params else {})}
    if family == "boolean":
        return {"type": "boolean"}
    formats = {"date": "date", "timestamp": "date-time", "time": "time"}
    if family in formats:
        return {"type": "string", "format": formats[family]}
    if t.name == "uuid":
        return {"type": "string", "format": "uuid"}
    if t.name == "binary":
        return {"type": "string", "contentEncoding": "base64"}
    return {}  # json, variant, interval, geography, unknown: any value
