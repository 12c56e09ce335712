"""What one manifest node says about itself, read the same way everywhere: its meta and
`meta.tessera`, whether it is under contract, its relation (the asset name), owner,
access, and the SQL dialect of its adapter; finding a node by the name a user types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from ..engine.errors import ConfigError
from ..engine.suggest import did_you_mean
from .readers import Manifest

_DIALECTS = {
    "duckdb": "duckdb", "postgres": "postgres", "snowflake": "snowflake",
    "bigquery": "bigquery", "spark": "spark", "databricks": "spark", "redshift": "redshift",
}
ASSET_TYPES = ("model", "seed", "snapshot")
# what can read an asset: a model or snapshot built from it (exposures are not nodes)
CONSUMING_TYPES = ("model", "snapshot")


def dialect_of(adapter_type: str | None) -> str:
    return _DIALECTS.get((adapter_type or "").lower(), "generic")


def node_meta(node: dict[str, Any]) -> dict[str, Any]:
    """config.meta wins over top-level meta (dbt 1.10 moved meta under config)."""
    config_meta = (node.get("config") or {}).get("meta") or {}
    top_meta = node.get("meta") or {}
    return {**top_meta, **config_meta} if config_meta else dict(top_meta)


def tessera_meta(node: dict[str, Any]) -> dict[str, Any] | None:
    value = node_meta(node).get("tessera")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{node.get('unique_id')}: meta.tessera must be a mapping, "
                          f"got {type(value).__name__}",
                          "write `meta: {tessera: {owner: <team>}}`")
    return value


def is_under_contract(node: dict[str, Any]) -> bool:
    """An enforced dbt contract or any `meta.tessera`; a malformed `meta.tessera` still
    means "under contract" (its document then fails, for that asset alone)."""
    contract = (node.get("config") or {}).get("contract") or node.get("contract") or {}
    return bool(contract.get("enforced")) or node_meta(node).get("tessera") is not None


# what a dbt run builds, and so the assets whose contracts a run publishes and the gate judges
BUILT_TYPES = ("model", "seed", "snapshot")


def built_under_contract(nodes: Mapping[str, Any], ids: Iterable[str]) -> list[str]:
    """The ids among `ids` of models, seeds and snapshots under contract."""
    return [uid for uid in ids if (nodes.get(uid) or {}).get("resource_type") in BUILT_TYPES
            and is_under_contract(nodes[uid])]


def dbt_checks_columns(node: Mapping[str, Any]) -> bool:
    """dbt itself holds the relation to the declared columns and types (an enforced model
    contract): what the YAML says is what is served."""
    config = node.get("config") or {}
    return node.get("resource_type") == "model" and bool(
        (config.get("contract") or {}).get("enforced")
        or (node.get("contract") or {}).get("enforced"))


def may_serve_undeclared(node: Mapping[str, Any]) -> bool:
    """A relation that may serve other columns than its YAML says: not an enforced model
    contract, not ephemeral."""
    materialized = (node.get("config") or {}).get("materialized")
    return (not dbt_checks_columns(node) and materialized != "ephemeral"
            and node.get("resource_type") in ("model", "seed", "snapshot", "source"))


def serves_undeclared(node: Mapping[str, Any]) -> bool:
    """An asset under contract whose relation may serve other columns than its YAML says."""
    return is_under_contract(dict(node)) and may_serve_undeclared(node)


def relation_of(node: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(database, schema, identifier) of the relation the node builds or reads."""
    identifier = node.get("identifier") or node.get("alias") or node.get("name")
    return (node.get("database"), node.get("schema"), str(identifier))


def asset_name(node: dict[str, Any]) -> str:
    """`database.schema.identifier` in lower case, from relation_name when dbt wrote one."""
    relation = node.get("relation_name")
    if isinstance(relation, str) and relation.strip():
        return _relation_asset(relation)
    identifier = node.get("identifier") or node.get("alias") or node.get("name")
    parts = [node.get("database"), node.get("schema"), identifier]
    return ".".join(str(p) for p in parts if p).lower()


@lru_cache(maxsize=1 << 16)
def _relation_asset(relation: str) -> str:
    """asset_name of a relation_name, parsed once per text (the hook names the asset of
    every test result)."""
    return ".".join(_split_relation(relation)).lower()


def _split_relation(relation: str) -> list[str]:
    """Split `"db"."sch"."tbl"` / `` `p`.`d`.`t` `` / `db.sch.tbl`, honouring quotes."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in relation.strip():
        if quote:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif char in "\"`[":
            quote = "]" if char == "[" else char
        elif char == ".":
            parts.append("".join(current))
            current = []
        elif not char.isspace():
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p]


def owner_of(node: dict[str, Any], groups: dict[str, dict[str, Any]]) -> str | None:
    """meta.tessera.owner, then the dbt group's owner, then meta.owner."""
    meta = node_meta(node)
    tessera = meta.get("tessera")
    if isinstance(tessera, dict) and tessera.get("owner"):
        return str(tessera["owner"])
    group_name = (node.get("config") or {}).get("group") or node.get("group")
    if group_name:
        for group in groups.values():
            if group.get("name") == group_name:
                owner = group.get("owner") or {}
                if owner.get("name") or owner.get("email"):
                    return str(owner.get("name") or owner.get("email"))
        return str(group_name)
    owner = meta.get("owner")
    if isinstance(owner, dict):
        owner = owner.get("name") or owner.get("email")
    return str(owner) if owner else None


def access_of(node: dict[str, Any]) -> str | None:
    return node.get("access") or (node.get("config") or {}).get("access")


def iter_assets(manifest: Manifest, all_assets: bool = False
                ) -> Iterable[tuple[str, dict[str, Any]]]:
    """(unique_id, node) of every asset under contract (or every asset with `all_assets`)."""
    for unique_id, node in manifest.nodes.items():
        if node.get("resource_type") in ASSET_TYPES and (all_assets or is_under_contract(node)):
            yield unique_id, node
    for unique_id, node in manifest.sources.items():
        if all_assets or node_meta(node).get("tessera") is not None:
            yield unique_id, node


def find_node(manifest: Manifest, model: str) -> tuple[str, dict[str, Any]]:
    """A model (name, `name.vN` or unique_id), seed, snapshot or source; a versioned
    model's bare name means its latest version."""
    nodes, sources = manifest.nodes, manifest.sources
    if model in nodes or model in sources:
        return model, nodes.get(model) or sources[model]
    matches = []
    for uid, node in (*nodes.items(), *sources.items()):
        if node.get("resource_type") not in (*ASSET_TYPES, "source"):
            continue
        name = node.get("name")
        names = {name}
        if node.get("resource_type") == "source":
            names.add(f"{node.get('source_name')}.{name}")
        if node.get("version") is not None:
            names = {f"{name}.v{node['version']}"}
            if str(node.get("version")) == str(node.get("latest_version")):
                names.add(name)
        if model in names:
            matches.append((uid, node))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = [str(n.get("name")) for n in (*nodes.values(), *sources.values())
                 if n.get("resource_type") in (*ASSET_TYPES, "source")]
        raise ConfigError(f"model {model!r}: no such model, seed, snapshot or source in "
                          f"this project{did_you_mean(model, known)}",
                          "check the name with `dbt ls`")
    raise ConfigError(f"model {model!r} is ambiguous: " + ", ".join(u for u, _ in matches),
                      "pass the unique_id")
