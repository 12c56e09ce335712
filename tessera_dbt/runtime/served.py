"""What the warehouse serves, asked through the invocation's adapter (the dbt edge of
`engine.served`).

Two questions, each answered the same way in the gate, the hook, the operations and
`tessera check --live`, so a probe and a catalog read of the same relation give the same
document:

- `probe_nodes`: the result schema of compiled SQL before it is built, as dbt's own contract
  enforcement gets it (an empty-result query). PostgreSQL and Spark describe a temporary
  view instead, so the types come out as their catalog spells them (`numeric(12,2)`, not
  psycopg2's `DECIMAL`).
- `relation_columns`: the columns of built relations, one catalog query per schema
  (information_schema, or pg_attribute on PostgreSQL). Spark has no such catalog: each
  relation is described, and read by the probe's own parser (`_described`), so the two
  readings agree by construction (dbt-spark's `get_columns_in_relation` stops at a column
  whose name starts with `#`, and on Databricks may read another catalog).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..engine.errors import brief
from ..engine.served import ServedColumns
from ..state.sql import literal
from ..state.transactions import rollback
from .compile import compile_nodes
from .identity import real_adapter

Target = tuple[str | None, str | None, str]  # database, schema, identifier


def _kind(adapter: Any) -> str:
    try:
        return str(adapter.type()).lower()
    except Exception:  # a stub in tests
        return "generic"


def _rows(adapter: Any, sql: str) -> list[tuple[Any, ...]]:
    _, table = adapter.execute(sql, auto_begin=False, fetch=True)
    return [tuple(row.values()) for row in table.rows]


def _strip(sql: str) -> str:
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def probe_query(adapter: Any, sql: str) -> list[tuple[str, str]]:
    """(column, type) of what `sql` returns, without running it for its rows."""
    kind = _kind(adapter)
    body = _strip(sql)
    view = "tessera_probe_" + hashlib.sha1(body.encode()).hexdigest()[:12]
    if kind == "postgres":
        _rows(adapter, f"create temporary view {view} as\n{body}\n")
        try:
            return [(str(n), str(t)) for n, t in _rows(adapter, (
                "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                f"where a.attrelid = 'pg_temp.{view}'::regclass and a.attnum > 0 "
                "and not a.attisdropped order by a.attnum"))]
        finally:
            adapter.execute(f"drop view if exists pg_temp.{view}", auto_begin=False)
    if kind in ("spark", "databricks"):
        adapter.execute(f"create or replace temporary view {view} as\n{body}\n",
                        auto_begin=False)
        try:
            return _described(_rows(adapter, f"describe {view}"))
        finally:
            adapter.execute(f"drop view if exists {view}", auto_begin=False)
    empty = f"select * from (\n{body}\n) as tessera_probe where 1 = 0"
    columns = real_adapter(adapter).get_column_schema_from_query(empty)
    # `dtype` as the warehouse reported it: dbt's `data_type` adds a default string size
    return [(str(c.name), str(getattr(c, "dtype", None) or c.data_type)) for c in columns]


def _described(rows: Iterable[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """Spark's `describe` rows up to its partition and detail sections: an empty row, or a
    section header (`# Partition Information`, `# Detailed Table Information`, ...: a `#`
    and no type; a column named `#tag` has a type and is kept)."""
    out = []
    for row in rows:
        name = str(row[0] or "").strip()
        kind = str(row[1] or "").strip()
        if not name or (name.startswith("#") and kind in ("", "data_type")):
            break
        out.append((name, kind))
    return out


# how Spark and Databricks say a relation or its schema does not exist (dbt-spark's
# TABLE_OR_VIEW_NOT_FOUND_MESSAGES and the schema's own)
_NOT_FOUND = ("TABLE_OR_VIEW_NOT_FOUND", "Table or view not found", "NoSuchTableException",
              "SCHEMA_NOT_FOUND", "NoSuchDatabaseException", "NoSuchNamespaceException")


def _spark_columns(adapter: Any, target: Target) -> ServedColumns | None:
    """A Spark relation's columns as `describe` gives them (None: no such relation); any
    other error is raised, as a failed catalog query is on the other engines."""
    database, schema, identifier = target
    relation = real_adapter(adapter).Relation.create(database=database, schema=schema,
                                              identifier=identifier)
    try:
        rows = _rows(adapter, f"describe {relation}")
    except Exception as exc:
        if not any(marker in str(exc) for marker in _NOT_FOUND):
            raise
        rollback(adapter)
        return None
    return _described(rows) or None


def probe_compiled(adapter: Any, compiled: Mapping[str, str]
                   ) -> tuple[dict[str, ServedColumns], dict[str, str]]:
    """unique_id → the columns its compiled SQL serves, and unique_id → why the query
    failed (that asset's alone: the caller fails closed on it)."""
    served: dict[str, ServedColumns] = {}
    failed: dict[str, str] = {}
    if _kind(adapter) == "duckdb" and len(compiled) > 1:
        served = _duckdb_described(adapter, compiled)
    for uid, sql in compiled.items():
        if uid in served:
            continue
        try:
            served[uid] = probe_query(adapter, sql)
        except Exception as exc:  # noqa: BLE001 (any warehouse error: that asset's alone)
            rollback(adapter)
            failed[uid] = brief(" ".join(str(exc).split()), 200)
    return served, failed


def _duckdb_described(adapter: Any, compiled: Mapping[str, str]) -> dict[str, ServedColumns]:
    """Every query described in one statement: the `DESCRIBE` dbt-duckdb's
    get_column_schema_from_query sends for each (its empty-result query included), joined
    by `union all` and told apart by their position; each query's rows come in its own order
    (one DESCRIBE is one data chunk, never reordered within). A query whose columns include
    a struct (which dbt-duckdb flattens, or not, by version) is left out, as is every query
    when the statement fails (one query's error is that asset's alone): the caller probes
    those one by one."""
    uids = list(compiled)
    parts = [f"select {i} as tessera_probe, column_name, column_type from (describe ("
             f"select * from (\n{_strip(compiled[uid])}\n) as tessera_probe where 1 = 0))"
             for i, uid in enumerate(uids)]
    try:
        rows = _rows(adapter, "\nunion all\n".join(parts))
    except Exception:  # noqa: BLE001 (one bad query: each is probed on its own)
        rollback(adapter)
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for index, name, dtype in rows:
        found.setdefault(uids[int(index)], []).append((str(name), str(dtype)))
    return {uid: columns for uid, columns in found.items()
            if not any(t.lower().startswith("struct") for _, t in columns)}


def probe_nodes(adapter: Any, unique_ids: Sequence[str]
                ) -> tuple[dict[str, ServedColumns], dict[str, str]]:
    """`probe_compiled` of nodes compiled here; a node that did not compile is failed."""
    if not unique_ids:
        return {}, {}
    compiled, why = compile_nodes(adapter, unique_ids)
    served, failed = probe_compiled(adapter, {u: compiled[u] for u in unique_ids
                                              if compiled.get(u)})
    failed.update({u: why or "its SQL did not compile" for u in unique_ids
                   if not compiled.get(u)})
    return served, failed


def relation_columns(adapter: Any, targets: Mapping[str, Target], dialect: Mapping[str, Any]
                     ) -> dict[str, ServedColumns | None]:
    """key → the columns of each relation (None: there is no such relation), one query per
    schema (on Spark one `describe` per relation)."""
    kind = _kind(adapter)
    out: dict[str, ServedColumns | None] = {key: None for key in targets}
    if kind in ("spark", "databricks"):
        return {key: _spark_columns(adapter, target) for key, target in targets.items()}
    by_schema: dict[tuple[str | None, str], dict[str, str]] = {}
    for key, (database, schema, identifier) in targets.items():
        by_schema.setdefault((database, str(schema or "")), {})[identifier.lower()] = key
    for (database, schema), names in by_schema.items():
        found: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in _rows(adapter, _catalog_sql(kind, database, schema,
                                                                    names, dialect)):
            found.setdefault(str(table).lower(), []).append((str(column), str(data_type)))
        for name, key in names.items():
            out[key] = found.get(name)
    return out


def _catalog_sql(kind: str, database: str | None, schema: str, names: Iterable[str],
                 dialect: Mapping[str, Any]) -> str:
    listed = ", ".join(literal(n, dialect) for n in sorted(names))
    if kind == "postgres":
        return ("select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                "from pg_attribute a join pg_class c on c.oid = a.attrelid "
                "join pg_namespace n on n.oid = c.relnamespace "
                f"where n.nspname = {literal(schema, dialect)} and lower(c.relname) in "
                f"({listed}) and a.attnum > 0 and not a.attisdropped "
                "order by c.relname, a.attnum")
    catalog = "information_schema.columns"
    where = f"lower(table_schema) = lower({literal(schema, dialect)})"
    if database and kind == "duckdb":
        where += f" and lower(table_catalog) = lower({literal(database, dialect)})"
    elif database:
        quoted = '"' + database.replace('"', '""') + '"'
        catalog = f"{quoted}.information_schema.columns"
    return (f"select table_name, column_name, data_type from {catalog} where {where} "
            f"and lower(table_name) in ({listed}) order by table_name, ordinal_position")

