"""A dbt manifest → one contract document per asset under contract (interfaces.md).

An asset is under contract when `contract.enforced` is true, or it carries `meta.tessera`
(models, seeds, snapshots and sources alike). Documents are plain dicts in the documented
key order, so they serialise to JSON and YAML as users read them.

Keys beginning with `x-` (provenance: the dbt node, the tests behind each guarantee) and
`consumers` (who reads the asset) describe the contract; they are not promises, and
`compat` does not compare them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.asset_errors import AssetError
from ..engine.errors import ConfigError, TesseraError
from ..engine.grain_rules import SEMANTICS, TRACKING
from ..engine.json_schema import to_json_schema
from ..engine.vocabulary import DEFAULT_MODE, MODES
from ..engine.warehouse_types import parse_type
from .consumers import discover
from .graph import Graph
from .guarantees import GuaranteeBuilder, enforced_constraints, relation_target
from .meta_config import validate_tessera_meta
from .nodes import asset_name, dialect_of, iter_assets, owner_of, tessera_meta
from .readers import Manifest


def _compatibility(node: dict[str, Any], tessera: dict[str, Any]) -> str:
    mode = str(tessera.get("compatibility") or DEFAULT_MODE).lower()
    if mode not in MODES:
        raise ConfigError(f"{node.get('unique_id')}: meta.tessera.compatibility is {mode!r}",
                          f"use one of: {', '.join(MODES)}")
    return mode


# materializations whose constraints dbt enforces (dbt-core: table and incremental models
# with an enforced contract); a view or an ephemeral model enforces none
_CONSTRAINED = ("table", "incremental")


def enforces_constraints(node: dict[str, Any]) -> bool:
    config = node.get("config") or {}
    enforced = (config.get("contract") or {}).get("enforced") or (
        node.get("contract") or {}).get("enforced")
    return (node.get("resource_type") == "model" and bool(enforced)
            and config.get("materialized", "table") in _CONSTRAINED)


def declared_columns(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The node's columns with their declared types; a seed's `column_types` declare the
    types of its columns (and columns of their own when the YAML lists none)."""
    columns = {k: dict(v) for k, v in (node.get("columns") or {}).items()}
    types = (node.get("config") or {}).get("column_types") or {}
    if node.get("resource_type") != "seed" or not isinstance(types, dict):
        return columns
    by_name = {str(c.get("name") or k).lower(): k for k, c in columns.items()}
    for name, data_type in types.items():
        key = by_name.get(str(name).lower())
        if key is None:
            columns[str(name)] = {"name": str(name), "data_type": data_type}
        elif not columns[key].get("data_type"):
            columns[key]["data_type"] = data_type
    return columns


def _column_schema(column: dict[str, Any], dialect: str, required: bool) -> dict[str, Any]:
    data_type = column.get("data_type")
    prop: dict[str, Any] = {}
    if isinstance(data_type, str) and data_type.strip():
        prop.update(to_json_schema(parse_type(data_type, dialect), data_type))
        prop["x-data-type"] = data_type
        if column.get("x-type-source"):  # e.g. catalog (artifacts.catalog)
            prop["x-type-source"] = column["x-type-source"]
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
        self.graph = Graph(manifest)
        self.guarantees: dict[str, GuaranteeBuilder] = {}
        self._guarantee_of: dict[str, dict[str, str]] = {}
        self.tests_of: dict[str, list[dict[str, Any]]] = {}
        for test in manifest.nodes.values():
            if test.get("resource_type") == "test":
                for target in self.tested_assets(test):
                    self.tests_of.setdefault(target, []).append(test)

    def tests_by_guarantee(self, unique_id: str) -> dict[str, list[str]]:
        """guarantee key → ids of the dbt tests that check it, for one asset."""
        return self._builder(unique_id).test_map()

    def guarantee_of(self, unique_id: str, test_id: str) -> str | None:
        """The first guarantee key of `tests_by_guarantee(unique_id)` that `test_id` checks;
        the asset's map is inverted once (the audit asks once per test result)."""
        index = self._guarantee_of.get(unique_id)
        if index is None:
            index = self._guarantee_of[unique_id] = {}
            for key, ids in self.tests_by_guarantee(unique_id).items():
                for test in ids:
                    index.setdefault(test, key)
        return index.get(test_id)

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
        validate_tessera_meta(node)  # meta.tessera, refused the same way on every path
        tessera = tessera_meta(node) or {}
        builder = self._builder(unique_id)
        # constraints are promises only where dbt enforces them (an enforced contract on
        # a table or incremental model), and there only those the warehouse applies
        builder.not_enforced = []
        if enforces_constraints(node):
            enforced = enforced_constraints(self.manifest.adapter_type, node)
            for column in (node.get("columns") or {}).values():
                if column.get("constraints"):
                    builder.add_constraints(column.get("name"), column["constraints"],
                                            enforced)
            if node.get("constraints"):
                builder.add_constraints(None, node["constraints"], enforced)
        if node.get("resource_type") == "source":
            builder.set_freshness(node.get("freshness"), node.get("loaded_at_field"))
        if tessera.get("freshness"):
            builder.set_freshness(tessera["freshness"], tessera.get("loaded_at_field"))

        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, column in declared_columns(node).items():
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
        if node.get("resource_type") == "model":
            # prevented by an enforced constraint, not only detected by a test: compared
            # (engine.asset_rules, GUARANTEE_LOOSENED when a constraint gives way to a test)
            doc["x-dbt"]["constraints_enforced"] = sorted(builder.prevented)
        if builder.not_enforced:
            # declared in dbt, not enforced by this warehouse (nor a guarantee unless a
            # test checks it): provenance, never compared
            doc["x-dbt"]["constraints_not_enforced"] = builder.not_enforced
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
        config = node.get("config") or {}
        # what the asset-level rules compare (engine.asset_rules): the relation as the
        # project declares it, the materialization, whether dbt enforces the types
        out["relation"] = {
            "database": node.get("database"), "schema": node.get("schema"),
            "identifier": node.get("identifier") or node.get("alias") or node.get("name"),
            "schema_config": config.get("schema"), "database_config": config.get("database")}
        if node.get("resource_type") != "source":
            out["materialized"] = config.get("materialized") or node.get("resource_type")
            out["contract_enforced"] = bool(((config.get("contract") or {}).get("enforced"))
                                            or (node.get("contract") or {}).get("enforced"))
        out.update(grain_provenance(node))
        if node.get("deprecation_date"):
            out["deprecation_date"] = str(node["deprecation_date"])
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
        for c in discover(self.graph, unique_id, node, owner, tessera,
                          self.consumer_manifests):
            entry = found.setdefault((c.team, c.source), {"team": c.team, "source": c.source})
            entry.update({k: v for k, v in (("purpose", c.purpose), ("project", c.project))
                          if v})
            if c.via:
                entry.setdefault("via", [])
                if c.via not in entry["via"]:
                    entry["via"].append(c.via)
        return [found[key] for key in sorted(found)]


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
    errors: list[AssetError] | None = None,
) -> list[dict[str, Any]]:
    """The contract documents of a manifest, sorted by asset name.

    `select` keeps assets named by model name, `name.vN`, unique_id or asset name; a name
    that matches nothing is an error (a typo must not pass silently). With `errors`, an
    asset whose config is invalid is appended there (one AssetError) and every other
    asset still gets its document; without it the first such error is raised.
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
        try:
            documents.append(extractor.document(unique_id, node))
        except TesseraError as exc:
            if errors is None:
                raise
            errors.append(AssetError.of(unique_id, asset, exc))
    missing = wanted - matched
    if missing:
        raise ConfigError(f"--select {', '.join(sorted(missing))}: no such model, seed, snapshot "
                          f"or source in {manifest.path}",
                          "check the name with `dbt ls`")
    documents.sort(key=lambda d: d["asset"])
    return documents


def grain_provenance(node: dict[str, Any]) -> dict[str, Any]:
    """What says which rows are one entity (engine.grain_rules): `grain` of an incremental
    model or a snapshot, and a snapshot's `snapshot` semantics; only what is set."""
    config = node.get("config") or {}
    kind = node.get("resource_type")
    if kind == "snapshot" or config.get("materialized") == "incremental":
        out: dict[str, Any] = {"grain": {k: config[k] for k in (
            "unique_key", "incremental_strategy") if config.get(k) not in (None, "", [])}}
        if kind == "snapshot":
            out["grain"].pop("incremental_strategy", None)
            out["snapshot"] = {k: config[k] for k in (*SEMANTICS, *TRACKING)
                               if config.get(k) not in (None, "", [], {})}
        return out
    return {}
