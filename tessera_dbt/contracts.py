"""A dbt manifest → one contract document per asset under contract (interfaces.md).

An asset is under contract when `contract.enforced` is true, or it carries `meta.tessera`
(models, seeds, snapshots and sources alike). Documents are plain dicts in the documented
key order, so they serialise to JSON and YAML as users read them.

Keys beginning with `x-` (provenance: the dbt node, the tests behind each guarantee) and
`consumers` (who reads the asset) describe the contract; they are not promises, and
`compat` does not compare them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .artifacts import Manifest
from .errors import ConfigError
from .guarantees import GuaranteeBuilder, relation_target
from .types import parse_type, to_json_schema

MODES = (
    "backward", "forward", "full", "none",
    "backward_transitive", "forward_transitive", "full_transitive",
)
DEFAULT_MODE = "backward"
ASSET_TYPES = ("model", "seed", "snapshot")
_DIALECTS = {
    "duckdb": "duckdb", "postgres": "postgres", "snowflake": "snowflake",
    "bigquery": "bigquery", "spark": "spark", "databricks": "spark", "redshift": "redshift",
}
_CONSUMING_TYPES = ("model", "snapshot")


def dialect_of(adapter_type: str | None) -> str:
    return _DIALECTS.get((adapter_type or "").lower(), "generic")


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    """config.meta wins over top-level meta (dbt 1.10 moved meta under config)."""
    config_meta = (node.get("config") or {}).get("meta") or {}
    top_meta = node.get("meta") or {}
    return {**top_meta, **config_meta} if config_meta else dict(top_meta)


def tessera_meta(node: dict[str, Any]) -> dict[str, Any] | None:
    value = _meta(node).get("tessera")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{node.get('unique_id')}: meta.tessera must be a mapping, "
                          f"got {type(value).__name__}",
                          "write `meta: {tessera: {owner: <team>}}`")
    return value


def is_under_contract(node: dict[str, Any]) -> bool:
    contract = (node.get("config") or {}).get("contract") or node.get("contract") or {}
    return bool(contract.get("enforced")) or tessera_meta(node) is not None


def asset_name(node: dict[str, Any]) -> str:
    """`database.schema.identifier` in lower case, from relation_name when dbt wrote one."""
    relation = node.get("relation_name")
    if isinstance(relation, str) and relation.strip():
        return ".".join(_split_relation(relation)).lower()
    identifier = node.get("identifier") or node.get("alias") or node.get("name")
    parts = [node.get("database"), node.get("schema"), identifier]
    return ".".join(str(p) for p in parts if p).lower()


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
    meta = _meta(node)
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


def _compatibility(node: dict[str, Any], tessera: dict[str, Any]) -> str:
    mode = str(tessera.get("compatibility") or DEFAULT_MODE).lower()
    if mode not in MODES:
        raise ConfigError(f"{node.get('unique_id')}: meta.tessera.compatibility is {mode!r}",
                          f"use one of: {', '.join(MODES)}")
    return mode


def _column_schema(column: dict[str, Any], dialect: str, required: bool) -> dict[str, Any]:
    data_type = column.get("data_type")
    prop: dict[str, Any] = {}
    if isinstance(data_type, str) and data_type.strip():
        prop.update(to_json_schema(parse_type(data_type, dialect), data_type))
        prop["x-data-type"] = data_type
    json_type = prop.get("type")
    if json_type is not None and not required:
        prop["type"] = [json_type, "null"]
    if column.get("description"):
        prop["description"] = column["description"]
    return prop


class Extractor:
    """One cheap pass indexing the manifest's tests by the asset they test; guarantees are
    then built only for the assets asked about (a one-model run stays cheap in a large
    project)."""

    def __init__(self, manifest: Manifest, consumer_manifests: Sequence[Manifest]) -> None:
        self.manifest = manifest
        self.consumer_manifests = consumer_manifests
        self.dialect = dialect_of(manifest.adapter_type)
        self.guarantees: dict[str, GuaranteeBuilder] = {}
        self.owners: dict[str, str | None] = {}
        self.boundary: dict[str, tuple[str, ...]] = {}
        self.tests_of: dict[str, list[dict[str, Any]]] = {}
        for test in manifest.nodes.values():
            if test.get("resource_type") == "test":
                for target in self.tested_assets(test):
                    self.tests_of.setdefault(target, []).append(test)

    def tests_by_guarantee(self, unique_id: str) -> dict[str, list[str]]:
        """guarantee key → ids of the dbt tests that check it, for one asset."""
        return self._builder(unique_id).test_map()

    def node(self, unique_id: str) -> dict[str, Any] | None:
        return self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id)

    def _builder(self, unique_id: str) -> GuaranteeBuilder:
        builder = self.guarantees.get(unique_id)
        if builder is None:
            builder = self.guarantees[unique_id] = GuaranteeBuilder()
            for test in self.tests_of.get(unique_id, ()):
                builder.add_test(test, test.get("column_name"))
        return builder

    def tested_assets(self, test: dict[str, Any]) -> list[str]:
        """The asset(s) a test speaks for: relationships count for the asset they are on."""
        attached = test.get("attached_node")
        if attached:
            return [attached]
        parents = [p for p in (test.get("depends_on") or {}).get("nodes") or ()
                   if p.split(".", 1)[0] in ("model", "seed", "snapshot", "source")]
        metadata = test.get("test_metadata")
        if metadata and len(parents) > 1:
            # Before dbt 1.5 there is no attached_node: the tested model is `kwargs.model`.
            target = (metadata.get("kwargs") or {}).get("model")
            wanted = relation_target(target)
            for parent in parents:
                if wanted and parent.rsplit(".", 1)[-1] == wanted.rsplit(".", 1)[-1]:
                    return [parent]
            return parents[:1]
        return parents

    def document(self, unique_id: str, node: dict[str, Any]) -> dict[str, Any]:
        tessera = tessera_meta(node) or {}
        builder = self._builder(unique_id)
        for column in (node.get("columns") or {}).values():
            if column.get("constraints"):
                builder.add_constraints(column.get("name"), column["constraints"])
        if node.get("constraints"):
            builder.add_constraints(None, node["constraints"])
        if node.get("resource_type") == "source":
            builder.set_freshness(node.get("freshness"), node.get("loaded_at_field"))
        if tessera.get("freshness"):
            builder.set_freshness(tessera["freshness"], tessera.get("loaded_at_field"))

        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, column in (node.get("columns") or {}).items():
            name = column.get("name") or key
            is_required = builder.nullability.get(name) == "never"
            properties[name] = _column_schema(column, self.dialect, is_required)
            if is_required:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required

        doc: dict[str, Any] = {
            "asset": asset_name(node),
            "compatibility": _compatibility(node, tessera),
            "owner": owner_of(node, self.manifest.groups),
            "dialect": self.dialect,
        }
        if node.get("description"):
            doc["description"] = node["description"]
        doc["schema"] = schema
        doc["guarantees"] = builder.document()
        doc["consumers"] = self.consumers(unique_id, node, doc["owner"], tessera)
        doc["x-dbt"] = self._provenance(unique_id, node)
        tests = builder.test_map()
        if tests:
            doc["x-tests"] = tests
        return doc

    def _provenance(self, unique_id: str, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "unique_id": unique_id,
            "resource_type": node.get("resource_type"),
            "name": node.get("name"),
            "package": node.get("package_name"),
        }
        if node.get("version") is not None:
            out["model_version"] = node["version"]
            out["latest_version"] = node.get("latest_version")
        for key in ("access", "group"):
            value = node.get(key) or (node.get("config") or {}).get(key)
            if value:
                out[key] = value
        if node.get("original_file_path"):
            out["path"] = node["original_file_path"]
        if node.get("patch_path"):
            out["yaml_path"] = node["patch_path"].split("://", 1)[-1]
        return out

    def consumers(self, unique_id: str, node: dict[str, Any], owner: str | None,
                  tessera: dict[str, Any]) -> list[dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}

        def add(team: Any, source: str, via: str | None = None, **extra: Any) -> None:
            if not team or str(team) == owner:
                return
            entry = found.setdefault((str(team), source), {"team": str(team), "source": source})
            entry.update({k: v for k, v in extra.items() if v})
            if via:
                entry.setdefault("via", [])
                if via not in entry["via"]:
                    entry["via"].append(via)

        for declared in tessera.get("consumers") or ():
            if isinstance(declared, dict):
                add(declared.get("team"), "declared", purpose=declared.get("purpose"))
            else:
                add(declared, "declared")
        nodes = self.manifest.nodes
        for child_id in self._downstream(unique_id, owner):
            if child_id.startswith("exposure."):
                exposure = self.manifest.exposures.get(child_id) or {}
                exposure_owner = exposure.get("owner") or {}
                add(exposure_owner.get("name") or exposure_owner.get("email"), "exposure",
                    via=exposure.get("name"))
            else:
                add(self._owner(child_id), "downstream", via=nodes[child_id].get("name"))
        if _access(node) == "public":
            for other in self.consumer_manifests:
                for other_node in other.nodes.values():
                    parents = (other_node.get("depends_on") or {}).get("nodes") or ()
                    if (other_node.get("resource_type") in _CONSUMING_TYPES
                            and unique_id in parents
                            and other_node.get("package_name") != node.get("package_name")):
                        team = owner_of(other_node, other.groups) or other.project_name
                        add(team, "project", via=other_node.get("unique_id"),
                            project=other.project_name)
        return [found[key] for key in sorted(found)]

    def _owner(self, unique_id: str) -> str | None:
        if unique_id not in self.owners:
            node = self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id) or {}
            self.owners[unique_id] = owner_of(node, self.manifest.groups)
        return self.owners[unique_id]

    def _downstream(self, unique_id: str, owner: str | None) -> list[str]:
        """Downstream exposures and other teams' models and snapshots, walking through the
        owner's own models that are not under contract: another team's model, or one of the
        owner's contracted models, ends the walk, because from there that model's contract
        is the interface. Memoised per node (the boundary of a node depends only on
        its owner, which its same-owner parents share), so extraction stays linear."""
        stack = [(unique_id, False)]
        while stack:
            current, expanded = stack.pop()
            if current in self.boundary:
                continue
            children = [c for c in self.manifest.child_map.get(current) or ()
                        if c.startswith("exposure.") or (self.manifest.nodes.get(c) or {})
                        .get("resource_type") in _CONSUMING_TYPES]
            inner = [c for c in children if not c.startswith("exposure.")
                     and self._owner(c) == self._owner(current)
                     and not is_under_contract(self.manifest.nodes[c])]
            if not expanded and any(c not in self.boundary for c in inner):
                stack.append((current, True))
                stack.extend((c, False) for c in inner if c not in self.boundary)
                continue
            found: dict[str, None] = {}
            for child in children:
                if child in inner:
                    found.update(dict.fromkeys(self.boundary.get(child, ())))
                else:
                    found[child] = None
            self.boundary[current] = tuple(found)
        return list(self.boundary[unique_id])


def _access(node: dict[str, Any]) -> str | None:
    return node.get("access") or (node.get("config") or {}).get("access")


def iter_assets(manifest: Manifest, all_assets: bool = False
                ) -> Iterable[tuple[str, dict[str, Any]]]:
    """(unique_id, node) of every asset under contract (or every asset with `all_assets`)."""
    for unique_id, node in manifest.nodes.items():
        if node.get("resource_type") in ASSET_TYPES and (all_assets or is_under_contract(node)):
            yield unique_id, node
    for unique_id, node in manifest.sources.items():
        if all_assets or tessera_meta(node) is not None:
            yield unique_id, node


def _matches(unique_id: str, node: dict[str, Any], asset: str, wanted: set[str]) -> bool:
    name = node.get("name")
    names = {unique_id, asset, name}
    if node.get("version") is not None:
        names.add(f"{name}.v{node['version']}")
    if node.get("resource_type") == "source":
        names.add(f"{node.get('source_name')}.{name}")
    return bool(names & wanted)


def extract_contracts(
    manifest: Manifest,
    select: Sequence[str] = (),
    consumer_manifests: Sequence[Manifest] = (),
    all_assets: bool = False,
) -> list[dict[str, Any]]:
    """The contract documents of a manifest, sorted by asset name.

    `select` keeps assets named by model name, `name.vN`, unique_id or asset name; a name
    that matches nothing is an error (a typo must not pass silently).
    """
    extractor = Extractor(manifest, consumer_manifests)
    wanted = {s.lower() if "." in s and not s.startswith(("model.", "source.")) else s
              for s in select}
    documents = []
    matched: set[str] = set()
    for unique_id, node in iter_assets(manifest, all_assets or bool(select)):
        asset = asset_name(node)
        if wanted:
            if not _matches(unique_id, node, asset, wanted):
                continue
            matched.update(wanted & {unique_id, asset, node.get("name"),
                                     f"{node.get('name')}.v{node.get('version')}",
                                     f"{node.get('source_name')}.{node.get('name')}"})
        documents.append(extractor.document(unique_id, node))
    missing = wanted - matched
    if missing:
        raise ConfigError(f"--select {', '.join(sorted(missing))}: no such model, seed, snapshot "
                          f"or source in {manifest.path}",
                          "check the name with `dbt ls`")
    documents.sort(key=lambda d: d["asset"])
    return documents


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
        raise ConfigError(f"model {model!r}: no such model, seed, snapshot or source in "
                          "this project", "check the name with `dbt ls`")
    raise ConfigError(f"model {model!r} is ambiguous: " + ", ".join(u for u, _ in matches),
                      "pass the unique_id")
