"""A synthetic dbt manifest (schema v12) of N models, cloned from real node shapes.

Every node is a copy of a real node of the artifact corpus (the Tuva integration-test
manifest, the failing jaffle_shop overlay and dbt-bouncer's dbt 1.12 fixture), given a new
unique_id, name, relation and columns. Column names, descriptions and most warehouse
types are real too (taken from the templates' columns). On top of that:

- models in three layers (staging on sources and seeds, intermediate, marts) with a DAG
  through depends_on, refs, parent_map and child_map, teams mostly building on their own
  layers; a few snapshots on sources;
- 5 to 40 typed columns per model;
- tests attached via attached_node: not_null, unique, accepted_values, relationships,
  namespaced generic tests (dbt_utils, dbt_expectations, package tests) on a column or on
  the model, and singular tests; severities and `where` as real projects mix them;
- eight teams with a dbt group each, some models with `contract.enforced` (and
  constraints), some with `meta.tessera` (owner, compatibility, declared consumers,
  freshness), `meta.owner`, access levels; exposures owned by people of those teams.

Seeded and deterministic: the same arguments write the same bytes.

    python -m bench.synthetic_manifest --models 10000 --out /tmp/synthetic/manifest.json
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera_dbt.engine.warehouse_types import parse_type

from ._common import BOUNCER_112, JAFFLE_FAILING, TUVA, corpus_dir

DEFAULT_MODELS = 10_000
DEFAULT_SEED = 1_105
PROJECT = "synthetic_corp"
TEMPLATE_MANIFESTS = (TUVA, JAFFLE_FAILING, BOUNCER_112)
# A plain clone has only the vendored subset (tests/fixtures/corpus): its jaffle_shop and
# dbt-core's own v12 manifest have every kind of node a template needs.
VENDORED_TEMPLATES = (JAFFLE_FAILING, "dbt-core/state/v12/manifest.json")
DIALECT = "duckdb"

# (team, group owner, weight): unequal team sizes, as in real companies.
TEAMS = (
    ("finance", "Farah Okafor", 18),
    ("growth", "Gustavo Lima", 15),
    ("marketing", "Mei Tanaka", 14),
    ("platform", "Pieter de Vries", 13),
    ("product", "Priya Raman", 12),
    ("risk", "Rasmus Holm", 10),
    ("sales", "Sofia Rossi", 10),
    ("supply_chain", "Sam Adeyemi", 8),
)
LAYERS = (("staging", "stg", 0.30), ("intermediate", "int", 0.40), ("marts", "fct", 0.30))
COMPATIBILITY = (("backward", 60), ("full", 12), ("forward", 8), ("backward_transitive", 10),
                 ("full_transitive", 3), ("none", 7))
SOURCE_SYSTEMS = ("salesforce", "stripe", "hubspot", "zendesk", "netsuite", "shopify",
                  "segment", "app_postgres", "google_ads", "tiktok_ads", "workday", "jira")
EXPOSURE_TYPES = ("dashboard", "dashboard", "dashboard", "notebook", "analysis", "ml",
                  "application")
SNAPSHOT_COLUMNS = (("dbt_scd_id", "varchar"), ("dbt_updated_at", "timestamp"),
                    ("dbt_valid_from", "timestamp"), ("dbt_valid_to", "timestamp"))
_CONSTRAINT = {"type": None, "name": None, "expression": None, "warn_unenforced": True,
               "warn_unsupported": True, "to": None, "to_columns": []}


@dataclass
class Templates:
    """Real nodes and columns of the corpus, kept as JSON text and cloned by json.loads."""

    metadata: dict[str, Any] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)
    docs: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    exposures: list[str] = field(default_factory=list)
    tests: dict[str, list[str]] = field(default_factory=dict)
    column_shapes: list[str] = field(default_factory=list)
    columns: list[tuple[str, str, str | None]] = field(default_factory=list)  # name, desc, type
    model_bases: list[str] = field(default_factory=list)
    accepted_values: list[list[Any]] = field(default_factory=list)
    sources_from: list[str] = field(default_factory=list)

    def clone(self, pool: Sequence[str], rng: random.Random) -> dict[str, Any]:
        return json.loads(rng.choice(pool))


def _test_kind(test: dict[str, Any]) -> str:
    metadata = test.get("test_metadata")
    if not metadata:
        return "singular"
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if namespace is None and name in ("not_null", "unique", "accepted_values", "relationships"):
        return name
    return "generic_column" if test.get("column_name") else "generic_model"


def _known_type(text: Any) -> str | None:
    if isinstance(text, str) and text.strip() and parse_type(text, DIALECT).name != "unknown":
        return text
    return None


def load_templates(paths: Iterable[Path | str] | None = None) -> Templates:
    """Real node shapes from the corpus manifests (the missing ones are skipped). Read
    once per process: generating never changes them."""
    if paths is None:
        names = TEMPLATE_MANIFESTS if (corpus_dir() / TUVA).is_file() else VENDORED_TEMPLATES
        paths = [corpus_dir() / p for p in names]
    return _load_templates(tuple(str(p) for p in paths))


@functools.lru_cache(maxsize=4)
def _load_templates(paths: tuple[str, ...]) -> Templates:
    out = Templates()
    seen_columns: dict[str, None] = {}
    seen_bases: dict[str, None] = {}
    for path in paths:
        if not Path(path).is_file():
            continue
        with open(path, "rb") as handle:
            doc = json.load(handle)
        out.sources_from.append(str(path))
        if len(doc.get("macros") or {}) > len(out.macros):
            out.metadata, out.macros = doc["metadata"], doc["macros"]
            out.docs = doc.get("docs") or {}
        nodes = [*(doc.get("nodes") or {}).values(), *(doc.get("sources") or {}).values()]
        for node in nodes:
            kind = node.get("resource_type")
            text = json.dumps(node)
            if kind == "model":
                out.models.append(text)
                base = node["name"].split("__")[-1]
                if base not in seen_bases:
                    seen_bases[base] = None
            elif kind == "seed":
                out.seeds.append(text)
            elif kind == "snapshot":
                out.snapshots.append(text)
            elif kind == "source":
                out.sources.append(text)
            elif kind == "test":
                out.tests.setdefault(_test_kind(node), []).append(text)
                kwargs = (node.get("test_metadata") or {}).get("kwargs") or {}
                if _test_kind(node) == "accepted_values" and kwargs.get("values"):
                    out.accepted_values.append(list(kwargs["values"]))
            for column in (node.get("columns") or {}).values():
                name = column.get("name")
                if not name or name in seen_columns or not name.isidentifier():
                    continue
                seen_columns[name] = None
                out.column_shapes.append(json.dumps(column))
                meta_type = (column.get("meta") or {}).get("data_type")
                out.columns.append((name.lower(), column.get("description") or "",
                                    _known_type(column.get("data_type"))
                                    or _known_type(meta_type)))
        out.exposures += [json.dumps(e) for e in (doc.get("exposures") or {}).values()]
    out.model_bases = list(seen_bases)
    wanted = {"models": out.models, "seeds": out.seeds, "sources": out.sources,
              "exposures": out.exposures, "not_null tests": out.tests.get("not_null"),
              "unique tests": out.tests.get("unique"), "columns": out.columns}
    missing = [k for k, v in wanted.items() if not v]
    if missing:
        raise SystemExit(f"bench.synthetic_manifest: no template {', '.join(missing)} in "
                         f"{', '.join(map(str, paths)) or 'the corpus'}")
    if not out.snapshots:  # a snapshot is a model-shaped node
        out.snapshots = out.models[:1]
    return out


def _infer_type(name: str, rng: random.Random) -> str:
    """A plausible warehouse type for a column the templates leave untyped."""
    words = set(name.lower().split("_"))
    last = name.lower().rsplit("_", 1)[-1]
    if last in ("id", "key", "sk"):
        return rng.choice(("varchar", "bigint", "integer", "varchar"))
    if words & {"is", "has", "flag"}:
        return "boolean"
    if last in ("date", "dt", "day", "month"):
        return "date"
    if last in ("at", "datetime", "timestamp", "time", "ts"):
        return "timestamp"
    if words & {"amount", "paid", "price", "cost", "revenue", "charges", "balance", "allowed",
                "spend", "pmpm"}:
        return "decimal(18,2)"
    if words & {"count", "number", "quantity", "days", "rank", "num", "cnt", "impressions",
                "clicks"}:
        return rng.choice(("integer", "bigint"))
    if words & {"rate", "ratio", "pct", "percent", "percentage", "score", "weight", "ctr"}:
        return "double"
    return rng.choice(("varchar", "varchar", "varchar", "text"))


def _digest(text: str, length: int = 10) -> str:
    return hashlib.md5(text.encode()).hexdigest()[:length]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Generator:
    def __init__(self, templates: Templates, n_models: int, seed: int) -> None:
        self.t = templates
        self.n = n_models
        self.rng = random.Random(seed)
        self.parent_map: dict[str, list[str]] = {}
        self.child_map: dict[str, list[str]] = {}
        self.group_map: dict[str, list[str]] = {team: [] for team, _, _ in TEAMS}
        self.relation: dict[str, str] = {}  # unique_id -> relation_name
        self.first_column: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.id_columns = [c for c in templates.columns if c[0].endswith("_id")] or \
            templates.columns
        # a small template set (the vendored corpus) has fewer distinct names than a wide
        # model asks for: a model then gets every name there is, never a loop forever
        self.distinct_columns = len({c[0] for c in templates.columns})
        self.stats: dict[str, int] = {}
        self.created = 1_780_000_000.0

    # --- pieces -------------------------------------------------------------------------

    def _count(self, key: str, k: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + k

    def _tick(self) -> float:
        self.created += 0.0137
        return round(self.created, 4)

    def _link(self, unique_id: str, parents: Sequence[str]) -> None:
        self.parent_map[unique_id] = list(parents)
        self.child_map.setdefault(unique_id, [])
        for parent in parents:
            self.child_map.setdefault(parent, []).append(unique_id)

    def columns(self, count: int, id_first: bool = True) -> dict[str, dict[str, Any]]:
        rng = self.rng
        picked: dict[str, tuple[str, str, str | None]] = {}
        if id_first:
            first = rng.choice(self.id_columns)
            picked[first[0]] = first
        count = min(count, self.distinct_columns)  # the id columns are among them
        while len(picked) < count:
            column = rng.choice(self.t.columns)
            picked.setdefault(column[0], column)
        out = {}
        for name, description, data_type in picked.values():
            column = json.loads(rng.choice(self.t.column_shapes))
            column["name"] = name
            column["description"] = description
            column["data_type"] = data_type or _infer_type(name, rng)
            column["constraints"] = []
            out[name] = column
        return out

    @staticmethod
    def _meta(node: dict[str, Any], meta: dict[str, Any]) -> None:
        node["meta"] = meta
        node.setdefault("config", {})["meta"] = dict(meta)

    def _tessera_meta(self, team: str, columns: dict[str, Any], layer: str) -> dict[str, Any]:
        rng = self.rng
        tessera: dict[str, Any] = {}
        if rng.random() < 0.7:
            tessera["owner"] = team
        if rng.random() < 0.8:
            tessera["compatibility"] = _weighted(rng, COMPATIBILITY)
        if rng.random() < 0.2:
            others = [t for t, _, _ in TEAMS if t != team]
            tessera["consumers"] = [
                {"team": other, "purpose": f"{rng.choice(('weekly', 'daily', 'monthly'))} "
                                          f"{rng.choice(('reporting', 'forecast', 'audit'))}"}
                if rng.random() < 0.6 else other
                for other in rng.sample(others, rng.randint(1, 3))]
        stamps = [c for c in columns if columns[c]["data_type"] == "timestamp"]
        if layer == "marts" and stamps and rng.random() < 0.15:
            tessera["freshness"] = {"warn_after": {"count": 12, "period": "hour"},
                                    "error_after": {"count": 24, "period": "hour"}}
            tessera["loaded_at_field"] = stamps[0]
        return tessera

    # --- sources, seeds, snapshots ------------------------------------------------------

    def sources(self) -> dict[str, dict[str, Any]]:
        rng = self.rng
        out: dict[str, dict[str, Any]] = {}
        n_systems = max(1, self.n // 100)
        for j in range(max(1, self.n // 10)):
            system = SOURCE_SYSTEMS[j % n_systems % len(SOURCE_SYSTEMS)]
            source_name = system if j % n_systems < len(SOURCE_SYSTEMS) else \
                f"{system}_{j % n_systems // len(SOURCE_SYSTEMS)}"
            table = f"{rng.choice(self.t.model_bases)}_{j:05d}"
            unique_id = f"source.{PROJECT}.{source_name}.{table}"
            team = _weighted(rng, [(t, w) for t, _, w in TEAMS])
            node = self.t.clone(self.t.sources, rng)
            n_cols = 0 if rng.random() < 0.3 else int(rng.triangular(3, 40, 10))
            columns = self.columns(n_cols) if n_cols else {}
            relation = f'"raw"."{source_name}"."{table}"'
            node.update({
                "database": "raw", "schema": source_name, "name": table,
                "package_name": PROJECT, "path": f"models/staging/{source_name}/_sources.yml",
                "original_file_path": f"models/staging/{source_name}/_sources.yml",
                "unique_id": unique_id, "fqn": [PROJECT, "staging", source_name, table],
                "source_name": source_name, "identifier": table, "relation_name": relation,
                "columns": columns, "created_at": self._tick(), "unrendered_schema": None,
            })
            fresh = rng.random() < 0.7
            freshness = {"warn_after": {"count": rng.choice((6, 12, 24)), "period": "hour"},
                         "error_after": {"count": 48, "period": "hour"}, "filter": None}
            node["freshness"] = freshness if fresh else None
            node["loaded_at_field"] = "_loaded_at" if fresh else None
            node.setdefault("config", {})["freshness"] = node["freshness"]
            node["config"]["loaded_at_field"] = node["loaded_at_field"]
            meta: dict[str, Any] = {"owner": team}
            if rng.random() < 0.1:
                meta["tessera"] = {"owner": team}
                self._count("sources with meta.tessera")
            self._meta(node, meta)
            out[unique_id] = node
            self.relation[unique_id] = relation
            self.names[unique_id] = table
            if columns:
                self.first_column[unique_id] = next(iter(columns))
            self._link(unique_id, [])
        self._count("sources", len(out))
        return out

    def seed(self, j: int) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        node = self.t.clone(self.t.seeds, rng)
        name = f"{rng.choice(self.t.model_bases)}_seed_{j:04d}"
        unique_id = f"seed.{PROJECT}.{name}"
        columns = self.columns(rng.randint(2, 12)) if rng.random() < 0.5 else {}
        relation = f'"analytics"."seeds"."{name}"'
        node.update({
            "database": "analytics", "schema": "seeds", "name": name, "package_name": PROJECT,
            "path": f"{name}.csv", "original_file_path": f"seeds/{name}.csv",
            "unique_id": unique_id, "fqn": [PROJECT, name], "alias": name,
            "checksum": {"name": "sha256", "checksum": hashlib.sha256(name.encode()).hexdigest()},
            "columns": columns, "relation_name": relation, "created_at": self._tick(),
            "patch_path": f"{PROJECT}://seeds/_seeds.yml" if columns else None,
        })
        node.setdefault("config", {})["column_types"] = {
            c: v["data_type"] for c, v in columns.items()}
        node["config"]["schema"] = "seeds"
        node["config"]["post-hook"] = []
        self._meta(node, {})
        self.relation[unique_id] = relation
        self.names[unique_id] = name
        if columns:
            self.first_column[unique_id] = next(iter(columns))
        self._link(unique_id, [])
        self._count("seeds")
        return unique_id, node

    def snapshot(self, j: int, source_id: str) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        node = self.t.clone(self.t.snapshots, rng)
        team = _weighted(rng, [(t, w) for t, _, w in TEAMS])
        name = f"snap_{team}__{self.names[source_id]}"
        unique_id = f"snapshot.{PROJECT}.{name}"
        columns = self.columns(rng.randint(5, 20))
        for column_name, data_type in SNAPSHOT_COLUMNS:
            column = json.loads(rng.choice(self.t.column_shapes))
            column.update({"name": column_name, "description": "", "data_type": data_type,
                           "constraints": []})
            columns[column_name] = column
        relation = f'"analytics"."snapshots"."{name}"'
        node.update({
            "resource_type": "snapshot", "database": "analytics", "schema": "snapshots",
            "name": name, "package_name": PROJECT, "path": f"{name}.sql",
            "original_file_path": f"snapshots/{name}.sql", "unique_id": unique_id,
            "fqn": [PROJECT, name, name], "alias": name, "columns": columns,
            "relation_name": relation, "created_at": self._tick(), "version": None,
            "latest_version": None,
            "depends_on": {"macros": [], "nodes": [source_id]},
            "refs": [], "sources": [[source_id.split(".")[2], self.names[source_id]]],
        })
        node.setdefault("config", {})["materialized"] = "snapshot"
        self._meta(node, {"owner": team})
        self.relation[unique_id] = relation
        self.names[unique_id] = name
        self.first_column[unique_id] = next(iter(columns))
        self._link(unique_id, [source_id])
        self._count("snapshots")
        return unique_id, node

    # --- models ---------------------------------------------------------------------------

    def model(self, i: int, layer: str, prefix: str, team: str,
              parents: list[str]) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        node = self.t.clone(self.t.models, rng)
        if layer == "marts":
            prefix = rng.choice(("fct", "dim", "fct", "rpt"))
        name = f"{prefix}_{team}__{rng.choice(self.t.model_bases)}_{i:05d}"
        unique_id = f"model.{PROJECT}.{name}"
        columns = self.columns(int(round(rng.triangular(5, 40, 10))))
        schema = f"{team}_{layer}"
        relation = f'"analytics"."{schema}"."{name}"'
        directory = f"models/{layer}/{team}"
        enforced = rng.random() < {"staging": 0.03, "intermediate": 0.06, "marts": 0.30}[layer]
        tessera = rng.random() < {"staging": 0.05, "intermediate": 0.10, "marts": 0.40}[layer]
        group = team if rng.random() < 0.6 else None
        access = "protected"
        if group and layer == "marts" and rng.random() < 0.5:
            access = "public"
        elif group and layer == "intermediate" and rng.random() < 0.15:
            access = "private"
        materialized = {"staging": "view", "intermediate": rng.choice(("ephemeral", "view",
                                                                       "table")),
                        "marts": rng.choice(("table", "incremental", "table"))}[layer]
        meta: dict[str, Any] = {}
        if tessera:
            meta["tessera"] = self._tessera_meta(team, columns, layer)
            self._count("models with meta.tessera")
        if rng.random() < 0.3:
            meta["owner"] = team
        if rng.random() < 0.2:
            meta["maturity"] = rng.choice(("gold", "silver", "bronze"))
        constraints: list[dict[str, Any]] = []
        if enforced:
            self._count("models with contract.enforced")
            self._constraints(columns, parents, constraints)
        refs = [{"name": self.names[p], "package": None, "version": None}
                for p in parents if not p.startswith("source.")]
        sources = [[p.split(".")[2], p.split(".")[3]] for p in parents if p.startswith("source.")]
        node.update({
            "database": "analytics", "schema": schema, "name": name, "resource_type": "model",
            "package_name": PROJECT, "path": f"{layer}/{team}/{name}.sql",
            "original_file_path": f"{directory}/{name}.sql", "unique_id": unique_id,
            "fqn": [PROJECT, layer, team, name], "alias": name,
            "checksum": {"name": "sha256",
                         "checksum": hashlib.sha256(unique_id.encode()).hexdigest()},
            "tags": [layer, team], "columns": columns, "group": group, "access": access,
            "patch_path": f"{PROJECT}://{directory}/_{team}__{layer}__models.yml",
            "created_at": self._tick(), "relation_name": relation, "refs": refs,
            "sources": sources,
            "depends_on": {"macros": (node.get("depends_on") or {}).get("macros") or [],
                           "nodes": parents},
            "contract": {"enforced": enforced, "alias_types": True, "checksum": None},
            "constraints": constraints, "version": None, "latest_version": None,
            "deprecation_date": None, "primary_key": [next(iter(columns))],
        })
        config = node.setdefault("config", {})
        config.update({"schema": schema, "alias": None, "tags": [layer, team], "group": group,
                       "access": access, "materialized": materialized,
                       "contract": {"enforced": enforced, "alias_types": True}})
        if enforced and materialized == "incremental":  # dbt refuses anything else
            config["on_schema_change"] = rng.choice(("append_new_columns", "fail"))
        node["unrendered_config"] = {"schema": schema, "materialized": materialized,
                                     "tags": [layer, team], **({"group": group} if group else {})}
        self._meta(node, meta)
        if group:
            self.group_map[group].append(unique_id)
        self.relation[unique_id] = relation
        self.names[unique_id] = name
        self.first_column[unique_id] = next(iter(columns))
        self._link(unique_id, parents)
        self._count("models")
        self._count("columns", len(columns))
        return unique_id, node

    def _constraints(self, columns: dict[str, Any], parents: list[str],
                     model_level: list[dict[str, Any]]) -> None:
        rng = self.rng
        names = list(columns)
        first = names[0]
        if rng.random() < 0.4:
            model_level.append({**_CONSTRAINT, "type": "primary_key", "warn_unenforced": False,
                                "columns": [first]})
        else:
            columns[first]["constraints"] = [{**_CONSTRAINT, "type": "not_null"}]
        numeric = [c for c in names if columns[c]["data_type"].startswith(("decimal", "double"))]
        if numeric and rng.random() < 0.2:
            columns[numeric[0]]["constraints"].append(
                {**_CONSTRAINT, "type": "check", "expression": f"{numeric[0]} >= 0"})
        referenced = [p for p in parents if p in self.first_column and not
                      p.startswith("source.")]
        if referenced and len(names) > 1 and rng.random() < 0.1:
            parent = referenced[0]
            columns[names[1]]["constraints"].append(
                {**_CONSTRAINT, "type": "foreign_key", "to": self.relation[parent],
                 "to_columns": [self.first_column[parent]]})

    # --- tests ------------------------------------------------------------------------------

    def _test(self, kind: str, target: str, column: str | None, team: str, layer: str,
              kwargs: dict[str, Any], extra_parents: Sequence[str] = (),
              severity: str | None = None,
              node: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """A generic test on `target` cloned from a real test of the same kind (or `node`)."""
        rng = self.rng
        if node is None:
            node = self.t.clone(self.t.tests.get(kind) or self.t.tests["not_null"], rng)
        metadata = node.get("test_metadata") or {}
        test_name = metadata.get("name") or kind
        namespace = metadata.get("namespace")
        target_name = self.names[target]
        is_source = target.startswith("source.")
        stem = "_".join(p for p in ("source" if is_source else None, namespace, test_name,
                                    target_name, column) if p)
        name = stem
        alias = name if len(name) <= 63 else f"{name[:30]}_{_digest(name, 32)}"
        unique_id = f"test.{PROJECT}.{name}.{_digest(name + target)}"
        where = "updated_at > current_date - interval 3 day" if rng.random() < 0.03 else None
        if severity is None:
            severity = (node.get("config") or {}).get("severity") or "ERROR"
        relation_expr = (f"source('{target.split('.')[2]}', '{target_name}')" if is_source
                         else f"ref('{target_name}')")
        kwargs = {**({"column_name": column} if column else {}), **kwargs,
                  "model": f"{{{{ get_where_subquery({relation_expr}) }}}}"}
        yaml_path = (f"models/staging/{target.split('.')[2]}/_sources.yml" if is_source
                     else f"models/{layer}/{team}/_{team}__{layer}__models.yml")
        parents = [*extra_parents, target]
        node.update({
            "database": "analytics", "schema": "dbt_test__audit", "name": name,
            "package_name": PROJECT, "path": f"{alias}.sql", "original_file_path": yaml_path,
            "unique_id": unique_id, "fqn": [PROJECT, layer, team, name], "alias": alias,
            "created_at": self._tick(), "column_name": column,
            "file_key_name": (f"sources.{target.split('.')[2]}" if is_source
                              else f"models.{target_name}"),
            "attached_node": target,
            "test_metadata": {"name": test_name, "kwargs": kwargs, "namespace": namespace},
            "refs": [{"name": self.names[p], "package": None, "version": None}
                     for p in parents if not p.startswith("source.")],
            "sources": [[p.split(".")[2], self.names[p]] for p in parents
                        if p.startswith("source.")],
            "depends_on": {"macros": (node.get("depends_on") or {}).get("macros") or [],
                           "nodes": parents},
        })
        config = node.setdefault("config", {})
        config.update({"severity": severity, "where": where,
                       "alias": alias if alias != name else None})
        self._link(unique_id, parents)
        self._count(f"tests: {kind}")
        return unique_id, node

    def _singular(self, target: str, columns: dict[str, Any], team: str,
                  layer: str) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        node = self.t.clone(self.t.tests.get("singular") or self.t.tests["not_null"], rng)
        target_name = self.names[target]
        column = rng.choice(list(columns))
        name = f"assert_{target_name}_{column}_is_valid"
        unique_id = f"test.{PROJECT}.{name}"
        node.update({
            "database": "analytics", "schema": "dbt_test__audit", "name": name,
            "package_name": PROJECT, "path": f"{name}.sql",
            "original_file_path": f"tests/{team}/{name}.sql", "unique_id": unique_id,
            "fqn": [PROJECT, team, name], "alias": name, "created_at": self._tick(),
            "raw_code": (f"-- every {column} of {target_name} must be set and plausible\n"
                         f"select *\nfrom {{{{ ref('{target_name}') }}}}\n"
                         f"where {column} is null\n"),
            "checksum": {"name": "sha256",
                         "checksum": hashlib.sha256(unique_id.encode()).hexdigest()},
            "attached_node": None, "test_metadata": None, "column_name": None,
            "refs": [{"name": target_name, "package": None, "version": None}],
            "sources": [], "depends_on": {"macros": [], "nodes": [target]},
        })
        node.pop("file_key_name", None)
        node.setdefault("config", {})["severity"] = rng.choice(("error", "error", "warn"))
        self._link(unique_id, [target])
        self._count("tests: singular")
        return unique_id, node

    def tests_for(self, target: str, node: dict[str, Any], team: str, layer: str,
                  parents: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        rng = self.rng
        columns = node.get("columns") or {}
        if not columns:
            return []
        names = list(columns)
        first = names[0]
        out = []

        def core_severity() -> str:
            return "warn" if rng.random() < 0.12 else "ERROR"

        if rng.random() < 0.75:
            out.append(self._test("not_null", target, first, team, layer, {},
                                  severity=core_severity()))
            out.append(self._test("unique", target, first, team, layer, {},
                                  severity=core_severity()))
        others = names[1:]
        for column in rng.sample(others, min(len(others), rng.choice((0, 0, 1, 1, 2, 3)))):
            out.append(self._test("not_null", target, column, team, layer, {},
                                  severity=core_severity()))
        strings = [c for c in others if columns[c]["data_type"] in ("varchar", "text", "string")]
        if strings and self.t.accepted_values and rng.random() < 0.15:
            values = list(rng.choice(self.t.accepted_values))
            extra: dict[str, Any] = {"values": values}
            if rng.random() < 0.05:
                extra["quote"] = False
            out.append(self._test("accepted_values", target, rng.choice(strings), team, layer,
                                  extra, severity=core_severity()))
        referenced = [p for p in parents if p in self.first_column]
        if referenced and others and rng.random() < 0.35:
            parent = rng.choice(referenced)
            is_source = parent.startswith("source.")
            to = (f"source('{parent.split('.')[2]}', '{self.names[parent]}')" if is_source
                  else f"ref('{self.names[parent]}')")
            out.append(self._test("relationships", target, rng.choice(others), team, layer,
                                  {"to": to, "field": self.first_column[parent]}, [parent]))
        if self.t.tests.get("generic_column") and rng.random() < 0.3:
            out.append(self._generic("generic_column", target, columns, team, layer))
        if self.t.tests.get("generic_model") and len(names) > 2 and rng.random() < 0.12:
            out.append(self._generic("generic_model", target, columns, team, layer))
        if rng.random() < 0.03:
            out.append(self._singular(target, columns, team, layer))
        return out

    def _generic(self, kind: str, target: str, columns: dict[str, Any], team: str,
                 layer: str) -> tuple[str, dict[str, Any]]:
        """A namespaced generic test: keep the template's kwargs, pointed at our columns."""
        rng = self.rng
        template = json.loads(rng.choice(self.t.tests[kind]))
        kwargs = {k: v for k, v in ((template.get("test_metadata") or {}).get("kwargs")
                                    or {}).items() if k not in ("model", "column_name")}
        names = list(columns)
        for key, value in list(kwargs.items()):
            if key in ("combination_of_columns", "column_list") and isinstance(value, list):
                kwargs[key] = rng.sample(names, min(len(names), max(2, min(len(value), 4))))
            elif key in ("column_A", "column_B"):
                kwargs[key] = rng.choice(names)
        column = rng.choice(names) if kind == "generic_column" else None
        return self._test(kind, target, column, team, layer, kwargs, node=template)

    # --- exposures and groups ------------------------------------------------------------------

    def exposure(self, k: int, marts: Sequence[str]) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        node = self.t.clone(self.t.exposures, rng)
        team, person, _ = rng.choices(TEAMS, weights=[w for _, _, w in TEAMS])[0]
        kind = rng.choice(EXPOSURE_TYPES)
        name = f"{team}_{kind}_{k:04d}"
        unique_id = f"exposure.{PROJECT}.{name}"
        parents = list(dict.fromkeys(rng.choice(marts) for _ in range(rng.randint(1, 3))))
        email = person.lower().replace(" ", ".") + "@example.com"
        node.update({
            "name": name, "package_name": PROJECT, "path": f"marts/{team}/_exposures.yml",
            "original_file_path": f"models/marts/{team}/_exposures.yml",
            "unique_id": unique_id, "fqn": [PROJECT, "marts", team, name], "type": kind,
            "owner": {"email": email, "name": person},
            "description": f"{team.replace('_', ' ').title()} {kind} built on "
                           f"{', '.join(self.names[p] for p in parents)}.",
            "label": name.replace("_", " ").title(),
            "depends_on": {"macros": [], "nodes": parents},
            "refs": [{"name": self.names[p], "package": None, "version": None}
                     for p in parents],
            "created_at": self._tick(),
            "maturity": rng.choice(("high", "medium", "low")),
            "url": f"https://bi.example.com/{team}/{k}",
        })
        self._meta(node, {"owner": team})
        self._link(unique_id, parents)
        self._count("exposures")
        return unique_id, node

    @staticmethod
    def groups() -> dict[str, dict[str, Any]]:
        out = {}
        for team, person, _ in TEAMS:
            unique_id = f"group.{PROJECT}.{team}"
            out[unique_id] = {
                "name": team, "resource_type": "group", "package_name": PROJECT,
                "path": "groups.yml", "original_file_path": "models/groups.yml",
                "unique_id": unique_id,
                "owner": {"email": f"{team}-data@example.com", "name": team},
                "description": f"The {team.replace('_', ' ')} data team, led by {person}.",
                "config": {"meta": {}},
            }
        return out


class _NodeWriter:
    """Streams `"id": {...}` members of one JSON object to a file."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.first = True

    def add(self, key: str, value: Any) -> None:
        self.handle.write(("" if self.first else ", ") + json.dumps(key) + ": "
                          + json.dumps(value))
        self.first = False


def generate(out: str | Path, models: int = DEFAULT_MODELS, seed: int = DEFAULT_SEED,
             templates: Templates | None = None) -> dict[str, Any]:
    """Write a synthetic manifest of `models` models to `out`; return what it holds."""
    if models < 1:
        raise ValueError("models must be at least 1")
    templates = templates or load_templates()
    gen = _Generator(templates, models, seed)
    rng = gen.rng
    team_weights = [w for _, _, w in TEAMS]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    metadata = dict(templates.metadata)
    metadata.update({
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "generated_at": "2026-01-05T09:00:00.000000Z",
        "invocation_id": f"{_digest(f'synthetic-{seed}-{models}', 8)}-0000-4000-8000-"
                         f"{_digest(str(seed), 12)}",
        "invocation_started_at": "2026-01-05T08:59:58.000000Z",
        "project_name": PROJECT, "project_id": _digest(PROJECT, 32), "adapter_type": DIALECT,
        "env": {},
    })
    sources = gen.sources()
    source_ids = list(sources)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write('{"metadata": ' + json.dumps(metadata) + ', "nodes": {')
        nodes = _NodeWriter(handle)
        seeds = []
        for j in range(max(1, models // 50)):
            unique_id, node = gen.seed(j)
            nodes.add(unique_id, node)
            seeds.append(unique_id)
        snapshots: list[str] = []
        for j, source_id in enumerate(rng.sample(source_ids, min(len(source_ids),
                                                                 max(1, models // 200)))):
            unique_id, node = gen.snapshot(j, source_id)
            nodes.add(unique_id, node)
            snapshots.append(unique_id)
        # upstream pools per team: what a model of that team may select from
        staging: dict[str, list[str]] = {t: [] for t, _, _ in TEAMS}
        upstream: dict[str, list[str]] = {t: [] for t, _, _ in TEAMS}
        marts: list[str] = []
        all_upstream: list[str] = []
        bounds = [round(models * sum(f for _, _, f in LAYERS[:k + 1])) for k in range(3)]
        for i in range(models):
            k = next(k for k, b in enumerate(bounds) if i < b)
            layer, prefix, _ = LAYERS[k]
            team = rng.choices([t for t, _, _ in TEAMS], weights=team_weights)[0]
            parents: list[str] = []
            if layer == "staging" or not all_upstream:
                parents.append(rng.choice(source_ids))
                if rng.random() < 0.15:
                    parents.append(rng.choice(seeds))
            else:
                for _ in range(rng.randint(1, 3 if layer == "intermediate" else 4)):
                    own = (staging[team] if layer == "intermediate" and rng.random() < 0.3
                           else upstream[team])
                    pool = own if own and rng.random() < 0.75 else all_upstream
                    if layer == "marts" and marts and rng.random() < 0.15:
                        pool = marts
                    parents.append(rng.choice(pool))
                if snapshots and rng.random() < 0.03:
                    parents.append(rng.choice(snapshots))
            parents = list(dict.fromkeys(parents))
            unique_id, node = gen.model(i, layer, prefix, team, parents)
            nodes.add(unique_id, node)
            for test_id, test in gen.tests_for(unique_id, node, team, layer, parents):
                nodes.add(test_id, test)
            if layer == "marts":
                marts.append(unique_id)
            else:
                upstream[team].append(unique_id)
                all_upstream.append(unique_id)
                if layer == "staging":
                    staging[team].append(unique_id)
        for source_id in source_ids:
            if sources[source_id]["columns"] and rng.random() < 0.3:
                for test_id, test in gen.tests_for(source_id, sources[source_id], "platform",
                                                   "staging", ()):
                    nodes.add(test_id, test)
        handle.write("}, ")
        exposures = dict(gen.exposure(k, marts or all_upstream)
                         for k in range(max(1, models // 100)))
        rest: dict[str, Any] = {
            "sources": sources, "macros": templates.macros, "docs": templates.docs,
            "exposures": exposures, "metrics": {}, "groups": gen.groups(), "selectors": {},
            "disabled": {},
            "parent_map": gen.parent_map,
            "child_map": {k: sorted(v) for k, v in gen.child_map.items()},
            "group_map": {team: ids for team, ids in gen.group_map.items() if ids},
            "saved_queries": {}, "semantic_models": {}, "unit_tests": {}, "functions": {},
        }
        handle.write(json.dumps(rest)[1:])
    stats = dict(sorted(gen.stats.items()))
    stats["tests"] = sum(v for k, v in gen.stats.items() if k.startswith("tests: "))
    stats["bytes"] = out.stat().st_size
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic_manifest",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=DEFAULT_MODELS,
                        help=f"number of models (default {DEFAULT_MODELS})")
    parser.add_argument("--out", required=True, help="where to write manifest.json")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    stats = generate(args.out, args.models, args.seed)
    elapsed = time.perf_counter() - start
    print(f"wrote {args.out} ({stats['bytes'] / 1e6:.1f} MB) in {elapsed:.1f} s")
    for key, value in stats.items():
        if key != "bytes":
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
