"""Column types from dbt's catalog.json (`dbt docs generate`) for the columns whose YAML
declares no `data_type`: most models of a large project declare none, and without a type
a contract cannot see a column being retyped.

The catalog is read as plain JSON (any version: `nodes` and `sources`, each
`{unique_id: {"columns": {NAME: {"type": ...}}}}`). A type taken from it is written as the
column's `data_type` and marked, so the contract document says `x-type-source: catalog`.
Only columns the manifest declares get a type (the catalog never adds columns: a column set
that depended on whether a catalog happened to be there would flap between builds).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.errors import ArtifactError, ConfigError
from ..engine.served import ServedColumns, adopt_served, with_served
from .files import read_json
from .nodes import dialect_of, may_serve_undeclared
from .readers import Manifest

TYPE_SOURCE = "x-type-source"
CatalogTypes = dict[str, dict[str, str]]  # unique_id → lower-case column name → type


def catalog_columns(raw: Mapping[str, Any]) -> dict[str, ServedColumns]:
    """unique_id → every typed column the relation served when the catalog was generated,
    in the relation's order (what engine.served merges into the document)."""
    out: dict[str, ServedColumns] = {}
    for section in ("nodes", "sources"):
        entries = raw.get(section)
        if not isinstance(entries, Mapping):
            continue
        for uid, entry in entries.items():
            columns = entry.get("columns") if isinstance(entry, Mapping) else None
            if not isinstance(columns, Mapping):
                continue
            listed = [(c.get("index") if isinstance(c.get("index"), int) else i,
                       str(c.get("name") or name), c["type"])
                      for i, (name, c) in enumerate(columns.items())
                      if isinstance(c, Mapping) and isinstance(c.get("type"), str)
                      and c["type"].strip()]
            if listed:
                out[str(uid)] = [(name, kind) for _, name, kind in sorted(listed,
                                                                          key=lambda x: x[0])]
    return out


def catalog_types(raw: Mapping[str, Any]) -> CatalogTypes:
    """unique_id → column (lower case) → warehouse type, from a parsed catalog.json."""
    return {uid: {name.lower(): kind for name, kind in columns}
            for uid, columns in catalog_columns(raw).items()}


def read_catalog(path: str) -> Mapping[str, Any]:
    """catalog.json at `path`, parsed; a missing or unreadable file is one-line error."""
    try:
        raw = read_json(path, "a dbt catalog.json", "run `dbt docs generate`, or drop "
                        "--catalog")
    except ConfigError as exc:
        raise ArtifactError(exc.message, exc.hint) from None
    if not isinstance(raw, Mapping) or "nodes" not in raw:
        raise ArtifactError(f"{path}: not a dbt catalog.json (no `nodes`)",
                            "pass the catalog.json `dbt docs generate` writes")
    return raw


def load_catalog(path: str) -> CatalogTypes:
    """The column types of catalog.json at `path`."""
    return catalog_types(read_catalog(path))


def catalog_beside(manifest_path: str) -> str | None:
    """catalog.json in the manifest's directory, when there is one."""
    path = os.path.join(os.path.dirname(os.path.abspath(manifest_path)), "catalog.json")
    return path if os.path.isfile(path) else None


def _typed_columns(node: Mapping[str, Any], types: Mapping[str, str]
                   ) -> dict[str, Any] | None:
    columns = node.get("columns") or {}
    # a seed's column_types declare types the YAML columns do not repeat: they win
    declared = {str(k).lower() for k in ((node.get("config") or {}).get("column_types") or {})
                } if node.get("resource_type") == "seed" else set()
    changed = False
    out: dict[str, Any] = {}
    for key, column in columns.items():
        name = str(column.get("name") or key).lower()
        data_type = column.get("data_type")
        if not (isinstance(data_type, str) and data_type.strip()) and name in types \
                and name not in declared:
            column = {**column, "data_type": types[name], TYPE_SOURCE: "catalog"}
            changed = True
        out[key] = column
    return out if changed else None


def with_catalog_types(manifest: Manifest, types: CatalogTypes | None) -> Manifest:
    """The manifest with catalog types on the columns that declare none (the nodes without
    such a column are shared, not copied)."""
    if not types:
        return manifest
    sections = {}
    for section in ("nodes", "sources"):
        nodes = getattr(manifest, section)
        updated = None
        for uid, node_types in types.items():
            node = nodes.get(uid)
            if node is None:
                continue
            columns = _typed_columns(node, node_types)
            if columns is not None:
                updated = updated if updated is not None else dict(nodes)
                updated[uid] = {**node, "columns": columns}
        if updated is not None:
            sections[section] = updated
    return dataclasses.replace(manifest, **sections) if sections else manifest


def adopt_catalog_types(published: Mapping[str, Any], current: Mapping[str, Any]
                        ) -> dict[str, Any]:
    """`published` as `current` should be compared with it, used only for comparing:
    a type learnt from the catalog for a column `published` left untyped was the column's
    type all along (untyped → typed would otherwise read as a narrowing), and a catalog
    type `published` holds for a column `current` cannot type (no catalog this time) is
    unknown, not changed (typed → untyped would otherwise read as a widening, and each
    build with and without a catalog would publish a version)."""
    old_props = (published.get("schema") or {}).get("properties") or {}
    new_props = (current.get("schema") or {}).get("properties") or {}
    typing = ("type", "format", "x-data-type", TYPE_SOURCE)
    adopted = {}
    for name, prop in old_props.items():
        new = new_props.get(name)
        if new is None or not isinstance(prop, dict):
            adopted[name] = prop
            continue
        if new.get(TYPE_SOURCE) == "catalog" and "x-data-type" not in prop and "type" not in prop:
            # the type and where it came from: learning it is no change, not even a META
            prop = {**prop, **{k: v for k, v in new.items() if k in typing}}
        elif prop.get(TYPE_SOURCE) in ("catalog", "served") \
                and not any(k in new for k in typing):
            prop = {k: v for k, v in prop.items() if k not in typing}
        adopted[name] = prop
    if adopted != old_props:
        published = {**published, "schema": {**published["schema"], "properties": adopted}}
    # read with and without the served columns (engine.served): compared as one reading
    return adopt_served(published, current)


def served_documents(manifest: Manifest, documents: Sequence[dict[str, Any]],
                     served: Mapping[str, ServedColumns]
                     ) -> tuple[list[dict[str, Any]], list[str]]:
    """The documents with what each relation serves merged in (engine.served), for the
    assets dbt does not hold to their YAML (every document given is under contract, or
    asked for with --all); and the names of those judged on their YAML alone."""
    out: list[dict[str, Any]] = []
    yaml_only: list[str] = []
    dialect = dialect_of(manifest.adapter_type)
    for doc in documents:
        uid = str((doc.get("x-dbt") or {}).get("unique_id") or "")
        node = manifest.nodes.get(uid) or manifest.sources.get(uid) or {}
        if not may_serve_undeclared(node):
            out.append(doc)
        elif uid in served:
            out.append(with_served(doc, served[uid], dialect))
        else:
            out.append(doc)
            yaml_only.append(str(node.get("name") or doc["asset"]))
    return out, yaml_only
