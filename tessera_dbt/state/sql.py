"""SQL text for the state tables, rendered with the rules an adapter's macros hand over
(`tessera.sql_dialect()`): every value goes through `literal`, never pasted raw, or is
bound as a parameter (`array_insert`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def literal(value: Any, dialect: Mapping[str, Any]) -> str:
    """A SQL literal for a Python value.

    >>> literal("O'Brien; Zoë", {"backslash_escapes": False})
    "'O''Brien; Zoë'"
    >>> literal("a\\\\b'", {"backslash_escapes": True})
    "'a\\\\\\\\b\\\\''"
    >>> print(literal("two\\nlines\\x01", {"backslash_escapes": True}))
    'two\\nlines\\u0001'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(dialect.get("true" if value else "false", "true" if value else "false"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) \
            else "null"
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"cast({_string(text, dialect)} as {dialect.get('timestamp_type', 'timestamp')})"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return _string(str(value), dialect)


# Where backslash escapes are read, every control character is written as one: BigQuery
# rejects a raw newline inside a quoted string, and Spark's Hive text tables split rows on
# it. \n \r \t are read by all of them; the rest as \uXXXX.
_CONTROL = {c: f"\\u{c:04x}" for c in range(0x20)} | {
    0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x7F: "\\u007f"}
_BACKSLASH = {ord("\\"): "\\\\", ord("'"): "\\'", **_CONTROL}


def _string(text: str, dialect: Mapping[str, Any]) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")  # no warehouse stores NUL in a string
    if dialect.get("backslash_escapes"):
        text = text.translate(_BACKSLASH)
    else:
        text = text.replace("'", "''")  # standard strings hold any other character as is
    return f"'{text}'"


def insert_statements(relation: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                      dialect: Mapping[str, Any]) -> Iterator[str]:
    """`insert into ... values` statements, batched by rows and by bytes so no statement
    exceeds the adapter's limits. Column names are tessera's own plain identifiers
    (unquoted, so each warehouse folds their case as it created them)."""
    for statement, _ in insert_batches(relation, columns, rows, dialect):
        yield statement


def insert_batches(relation: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                   dialect: Mapping[str, Any]) -> Iterator[tuple[str, int]]:
    """`insert_statements` with the number of rows each statement writes."""
    if not rows:
        return
    max_rows = int(dialect.get("max_rows") or 1000)
    max_bytes = int(dialect.get("max_bytes") or 4_000_000)
    head = f"insert into {relation} ({', '.join(columns)}) values\n"
    batch: list[str] = []
    size = len(head)
    for row in rows:
        rendered = "(" + ", ".join(literal(row.get(c), dialect) for c in columns) + ")"
        if batch and (len(batch) >= max_rows or size + len(rendered) + 2 > max_bytes):
            yield head + ",\n".join(batch), len(batch)
            batch, size = [], len(head)
        batch.append(rendered)
        size += len(rendered) + 2
    if batch:
        yield head + ",\n".join(batch), len(batch)


# a column's values as one array type: the Python kinds `literal` renders
_KINDS = ((bool, "boolean"), (int, "integer"), (float, "float"), (dt.datetime, "timestamp"))


def _kind(cls: type) -> str:
    return next((kind for base, kind in _KINDS if issubclass(cls, base)), "string")


def _bound(value: Any, kind: str) -> Any:
    """The value `literal` would render, as the parameter bound in its place."""
    if value is None:
        return None
    if kind == "float":
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if kind == "timestamp":  # as literal writes it: the wall clock, cast in SQL
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind != "string":
        return value
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    text = str(value)
    return text.replace("\x00", "") if "\x00" in text else text


def _bound_column(values: list[Any], kind: str, classes: set[type]) -> list[Any]:
    if kind in ("boolean", "integer"):
        return values
    if kind == "string" and classes == {str}:  # the usual column: only NUL to drop
        return [v.replace("\x00", "") if v is not None and "\x00" in v else v for v in values]
    return [_bound(v, kind) for v in values]


def array_insert(relation: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                 dialect: Mapping[str, Any]) -> tuple[str, list[list[Any]]] | None:
    """One `insert ... select unnest(?), ...` statement and its parameters, one list per
    column, where the dialect binds arrays (`array_insert`: DuckDB, PostgreSQL): the
    driver escapes every value, and the warehouse binds a few arrays instead of parsing a
    literal per value. None where the dialect has no such insert, or when a column's values
    are not of one kind (the caller renders `insert_statements`). A column whose values are
    all null is left out (null, as the state tables declare no other default)."""
    spec = dialect.get("array_insert")
    if not rows or not isinstance(spec, Mapping):
        return None
    types = {**dict(spec.get("types") or {}),
             "timestamp": str(dialect.get("timestamp_type") or "timestamp")}
    mark = "%s" if spec.get("paramstyle") == "format" else "?"
    names, selects, params = [], [], []
    for column in columns:
        values = [row.get(column) for row in rows]
        classes = {type(v) for v in values} - {type(None)}
        kinds = {_kind(cls) for cls in classes}
        if not kinds:
            continue
        if len(kinds) > 1 or next(iter(kinds)) not in types:
            return None
        kind = kinds.pop()
        names.append(column)
        selects.append(f"unnest(cast({mark} as {types[kind]}[]))")
        params.append(_bound_column(values, kind, classes))
    if not names:
        return None
    # pyformat drivers (psycopg2) read `%` in the statement as a placeholder's start
    target = relation.replace("%", "%%") if mark == "%s" else relation
    return (f"insert into {target} ({', '.join(names)})\nselect {', '.join(selects)}", params)


def time_zone(name: str) -> dt.tzinfo:
    """A Spark session time zone: a region id (`Europe/Paris`, `UTC`) or an offset
    (`+01:00`)."""
    from zoneinfo import ZoneInfo

    text = name.strip()
    if text[:1] in "+-" and ":" in text:
        hours, minutes = text[1:].split(":", 1)
        offset = dt.timedelta(hours=int(hours), minutes=int(minutes))
        return dt.timezone(-offset if text[0] == "-" else offset)
    return ZoneInfo("UTC" if text.upper() in ("Z", "GMT") else text)
