"""The package's own views, as the graph defines them, and the hash of each definition
that decides whether the warehouse's copy is current (pure).

The on-run-end hook keeps the views of a build that did not select them
(runtime.package); the `tessera_view` materialization keeps the same hash when they are
built as nodes. The hash covers what the compiled SQL is made of, so it is known without
compiling: the model's raw SQL, its relation and its parents' relations, the SQL of
every macro it calls (to the bottom of `depends_on.macros`, which holds the adapter's
dispatched implementations), the settings those texts name (`setting("...")`; all of
them where a text reads `settings()` itself) with their values, and the adapter type,
dbt's version and tessera's. An unchanged package therefore compiles nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PACKAGE = "tessera"
VIEW = "tessera_view"
HASH_PREFIX = "tessera:"
# the macros that read settings: their own text names every key, not what a caller renders
_SETTINGS_MACROS = ("macro.tessera.setting", "macro.tessera.settings")
_SETTING_CALL = re.compile(r"""\bsetting\(\s*["']([A-Za-z0-9_]+)["']\s*\)""")
_ALL_SETTINGS = re.compile(r"\bsettings\(\s*\)")


@dataclass(frozen=True)
class PackageView:
    unique_id: str
    database: str | None
    schema: str
    alias: str
    relation: str          # as dbt renders it (the node's relation_name)
    parents: tuple[str, ...]  # the package views it reads, by unique_id


def package_views(nodes: Mapping[str, Mapping[str, Any]]) -> list[PackageView]:
    """The package's views, each after the views it reads (dependency order; ties by
    unique_id, so the order is stable)."""
    views = {uid: n for uid, n in nodes.items() if n.get("package_name") == PACKAGE
             and n.get("resource_type") == "model"
             and (n.get("config") or {}).get("materialized") == VIEW}
    done: list[str] = []
    seen: set[str] = set()

    def visit(uid: str, path: tuple[str, ...]) -> None:
        if uid in seen or uid in path:
            return
        for parent in sorted(_parents(views[uid])):
            if parent in views:
                visit(parent, (*path, uid))
        seen.add(uid)
        done.append(uid)

    for uid in sorted(views):
        visit(uid, ())
    out = []
    for uid in done:
        node = views[uid]
        out.append(PackageView(uid, node.get("database"), str(node.get("schema") or ""),
                               str(node.get("alias") or node.get("name") or ""),
                               str(node.get("relation_name") or ""),
                               tuple(p for p in sorted(_parents(node)) if p in views)))
    return out


def _parents(node: Mapping[str, Any]) -> list[str]:
    return list((node.get("depends_on") or {}).get("nodes") or ())


def macro_closure(roots: Iterable[str], macros: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every macro the roots call, to the bottom, sorted (a macro the manifest does not
    hold is left out)."""
    found: set[str] = set()
    stack = [m for m in roots]
    while stack:
        uid = stack.pop()
        if uid in found or uid not in macros:
            continue
        found.add(uid)
        stack.extend((macros[uid].get("depends_on") or {}).get("macros") or ())
    return sorted(found)


def settings_named(texts: Iterable[str]) -> set[str] | None:
    """The setting keys the texts render, or None when one reads them all."""
    keys: set[str] = set()
    for text in texts:
        if _ALL_SETTINGS.search(text):
            return None
        keys.update(_SETTING_CALL.findall(text))
    return keys


def definition_hash(unique_id: str, nodes: Mapping[str, Mapping[str, Any]],
                    macros: Mapping[str, Mapping[str, Any]], settings: Mapping[str, Any],
                    context: Mapping[str, Any]) -> str:
    """`tessera:<md5>` of what the view's compiled SQL is made of (the module's
    docstring); `context` holds the adapter type and the versions."""
    node = nodes[unique_id]
    called = macro_closure((node.get("depends_on") or {}).get("macros") or (), macros)
    texts = [str(node.get("raw_code") or "")] + [
        str(macros[m].get("macro_sql") or "") for m in called if m not in _SETTINGS_MACROS]
    keys = settings_named(texts)
    rendered = dict(settings) if keys is None else \
        {k: settings.get(k) for k in sorted(keys)}
    parents = {p: str((nodes.get(p) or {}).get("relation_name") or p)
               for p in sorted(_parents(node))}
    body = {
        "raw_code": str(node.get("raw_code") or ""),
        "relation": str(node.get("relation_name") or ""),
        "parents": parents,
        "macros": {m: str(macros[m].get("macro_sql") or "") for m in called},
        "settings": rendered,
        "context": dict(context),
    }
    text = json.dumps(body, sort_keys=True, default=str)
    return HASH_PREFIX + hashlib.md5(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Found:
    """A relation the catalog holds where a package view belongs."""

    kind: str              # "view", or "table" for anything else
    comment: str | None    # the hash kept with a view


def locate(view: PackageView, found: Mapping[tuple[str, str], Found]) -> Found | None:
    """The catalog's entry for the view: by (schema, name) as dbt names them, else the
    same names in another case (a warehouse that folds unquoted names)."""
    exact = found.get((view.schema, view.alias))
    if exact is not None:
        return exact
    wanted = (view.schema.lower(), view.alias.lower())
    for key, entry in found.items():
        if (key[0].lower(), key[1].lower()) == wanted:
            return entry
    return None


def stale(views: Sequence[PackageView], found: Mapping[tuple[str, str], Found],
          wanted: Mapping[str, str], cascade: bool) -> list[PackageView]:
    """The views to (re)create, in dependency order: missing, not a view, or holding
    another hash than wanted; with `cascade` (re-creating drops what reads it,
    PostgreSQL) also every package view that reads one of them."""
    out: list[PackageView] = []
    redone: set[str] = set()
    for view in views:
        entry = locate(view, found)
        current = entry is not None and entry.kind == "view" and \
            entry.comment == wanted.get(view.unique_id)
        if current and not (cascade and redone.intersection(view.parents)):
            continue
        out.append(view)
        redone.add(view.unique_id)
    return out


def catalog_entries(rows: Iterable[Sequence[Any]]) -> dict[tuple[str, str], Found]:
    """(schema, name) → Found, from the rows of `tessera._view_hashes` (schema, name,
    kind, comment)."""
    out: dict[tuple[str, str], Found] = {}
    for schema, name, kind, comment in rows:
        out[(str(schema), str(name))] = Found(
            "view" if str(kind).lower() == "view" else "table",
            None if comment is None else str(comment))
    return out
