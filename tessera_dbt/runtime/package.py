"""The package's own relations, kept current by the on-run-end hook.

A default `dbt build` / `dbt run` leaves the package's models out of its selection
(runtime.selection): as nodes they cost dbt ~37 ms of CPU each, whatever their
materialization does. The hook keeps them instead, as the only writer of the state
(StateStore.exclusive): it creates a missing state table, adds the columns a newer
release lists and widens an older narrow one (`upgrade_tables`), then (re)creates each
package view whose kept definition hash differs from the wanted one, in dependency order
(`keep_views`). Which views are current is one catalog query per database
(`CATALOG_SQL`, a table keyed by the adapter's type as runtime.identity's: no macro to
compile on a run where nothing changed); the hashes are computed from the graph without
compiling (artifacts.package_views), so an unchanged package compiles nothing. A view
to create is compiled by dbt's own compiler (runtime.compile) and created by the
statements `tessera._replace_view_sql` gives, its hash kept as its comment.

Where the adapter keeps no such hash (Spark, and every adapter `CATALOG_SQL` does not
list) the views stay nodes of every build, as before: the selection is not narrowed
there, and the hook leaves the views alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import __version__
from ..artifacts.package_views import (
    catalog_entries,
    definition_hash,
    locate,
    package_views,
    stale,
)
from ..state.integrity import outdated_columns
from ..state.sql import literal
from .identity import adapter_type, real_adapter

# The relations of the given schemas, as (schema, name, kind, comment): the comment of a
# package view is its definition hash (tessera._view_hash reads one view's, the same way).
# {database} and {schemas} are literals rendered with the invocation's dialect.
CATALOG_SQL = {
    "postgres": "select n.nspname as schema_name, c.relname as name, case when c.relkind = "
                "'v' then 'view' else 'table' end as kind, obj_description(c.oid, 'pg_class') "
                "as comment from pg_catalog.pg_class c join pg_catalog.pg_namespace n on "
                "n.oid = c.relnamespace where c.relkind in ('r', 'v', 'm', 'p', 'f') and "
                "n.nspname in ({schemas})",
    "duckdb": "select schema_name, view_name as name, 'view' as kind, comment from "
              "duckdb_views() where not internal and database_name = {database} and "
              "schema_name in ({schemas}) union all select schema_name, table_name, 'table', "
              "comment from duckdb_tables() where database_name = {database} and "
              "schema_name in ({schemas})",
}
# the adapters whose views keep their hash (tessera._view_hash has their macro too)
KEEPS_VIEW_HASHES = tuple(CATALOG_SQL)
# re-creating a view there drops the views that read it (`drop view ... cascade`)
CASCADES = ("postgres",)
# the commands whose default selection leaves the package's models to the hook
BUILDS = ("build", "run")


class _Macros(Mapping[str, Mapping[str, Any]]):
    """The manifest's macros as the mappings artifacts.package_views reads, converted
    only for the macros a view calls."""

    def __init__(self, macros: Mapping[str, Any]) -> None:
        self._macros = macros

    def __getitem__(self, uid: str) -> Mapping[str, Any]:
        macro = self._macros[uid]
        depends = getattr(getattr(macro, "depends_on", None), "macros", None) or ()
        return {"macro_sql": getattr(macro, "macro_sql", ""), "depends_on": {"macros": depends}}

    def __contains__(self, uid: object) -> bool:
        return uid in self._macros

    def __iter__(self) -> Iterator[str]:
        return iter(self._macros)

    def __len__(self) -> int:
        return len(self._macros)


def _macros(adapter: Any) -> Mapping[str, Mapping[str, Any]]:
    """The running dbt's macros, from the manifest the adapter resolves macros with."""
    resolver = getattr(real_adapter(adapter), "get_macro_resolver", lambda: None)()
    macros = getattr(resolver, "macros", None)
    if macros is None:
        from .compile import _invocation_manifest

        macros = getattr(_invocation_manifest(), "macros", None) or {}
    return _Macros(macros)


def _context(adapter: Any) -> dict[str, str]:
    from dbt.version import __version__ as dbt_version

    return {"adapter_type": adapter_type(adapter) or "", "dbt": str(dbt_version),
            "tessera": __version__}


def wanted_hashes(payload: Mapping[str, Any], unique_ids: list[str]) -> dict[str, str]:
    """unique_id → the hash of each view's definition as this invocation renders it."""
    nodes = (payload.get("graph") or {}).get("nodes") or {}
    adapter = payload["adapter"]
    macros, context = _macros(adapter), _context(adapter)
    settings = payload.get("settings") or {}
    return {uid: definition_hash(uid, nodes, macros, settings, context) for uid in unique_ids}


def view_hash(payload: dict[str, Any]) -> str:
    """`tessera._view_definition_hash(model)`: the hash the tessera_view materialization
    keeps, the same the hook compares."""
    uid = str(payload["unique_id"])
    return wanted_hashes(payload, [uid])[uid]


def upgrade_tables(inv: Any) -> None:
    """Create a missing state table; add the columns of this release an existing one
    lacks and widen its narrow ones (`tessera._alter_state`)."""
    store = inv.store
    store.ensure_tables()
    alter = inv.payload["dialect"].get("alter_state")
    for name, info in store.relations.items():
        add, widen = outdated_columns(name, info.get("existing_columns") or (),
                                      info.get("existing_types") or {})
        if not (add or widen) or alter is None:
            continue
        alter(name, add, widen)
        info["existing_columns"] = [*(info.get("existing_columns") or ()), *add]
        types = dict(info.get("existing_types") or {})
        types.update({column: "bigint" for column in widen})
        info["existing_types"] = types


def keep_views(inv: Any) -> list[str]:
    """(Re)create the package views whose kept hash differs, in dependency order; what
    could not be created is said in one line each (the recorded state is kept)."""
    payload = inv.payload
    kind = adapter_type(payload["adapter"]) or ""  # a stub without a type keeps nothing
    nodes = (payload.get("graph") or {}).get("nodes") or {}
    dialect = payload["dialect"]
    if kind not in KEEPS_VIEW_HASHES or "replace_view_sql" not in dialect or not nodes:
        return []
    views = package_views(nodes)
    if not views:
        return []
    schemas: dict[str, set[str]] = {}
    for view in views:
        schemas.setdefault(str(view.database or ""), set()).add(view.schema)
    found = {}
    for database, names in sorted(schemas.items()):
        sql = CATALOG_SQL[kind].format(
            database=literal(database, dialect),
            schemas=", ".join(literal(n, dialect) for n in sorted(names)))
        rows = inv.store.select(sql)
        found.update(catalog_entries((r["schema_name"], r["name"], r["kind"], r["comment"])
                                      for r in rows))
    wanted = wanted_hashes(payload, [v.unique_id for v in views])
    todo = stale(views, found, wanted, cascade=kind in CASCADES)
    if not todo:
        return []
    from .compile import compile_nodes

    compiled, why = compile_nodes(payload["adapter"], [v.unique_id for v in todo])
    messages: list[str] = []
    for view in todo:
        sql = compiled.get(view.unique_id)
        if not sql:
            messages.append(f"tessera: WARNING: the package view {view.relation} was not "
                            f"created: it did not compile ({why or 'dbt compile says why'})")
            continue
        entry = locate(view, found)
        replaces = "table" if entry is not None and entry.kind != "view" else None
        statements = dialect["replace_view_sql"](view.relation, sql,
                                                 wanted[view.unique_id], replaces)
        inv.store.run_statements([str(s) for s in statements])
    return messages
