"""Which consumer teams a change reaches, and why: the teams `artifacts.consumers`
discovers (plus registered ones), each asked through column lineage (`lineage.columns`)
whether it reads a changed column.

`affected_consumers` gives every team's verdict; `asked_consumers` is the one answer to
"who is asked" that `tessera check` (its affected consumers) and `propose` (its required
acknowledgments) share: the consumers of the version in force and of the new contract,
plus registered teams, less those that read none of the changed columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..artifacts.consumers import discover
from ..artifacts.graph import Graph, semantic_node
from ..artifacts.nodes import dialect_of, node_meta, owner_of, tessera_meta
from ..artifacts.readers import Manifest
from ..engine.vocabulary import ConsumerSource
from .cache import LineageCache
from .columns import Derivation, Lineage, NodeReads, Tracer, compiled_sql
from .sql import EVERYTHING


@dataclass(frozen=True)
class AffectedConsumer:
    """One consumer team (by where it was found) and whether a change reaches it."""

    team: str
    source: ConsumerSource
    affected: bool
    columns: tuple[str, ...]  # asset columns it reads (all it reads, not only the changed)
    reads_everything: bool
    reasons: tuple[str, ...]  # why it is affected, or "reads none of: ..."
    via: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"team": self.team, "source": self.source, "affected": self.affected,
                "columns": list(self.columns), "reads_everything": self.reads_everything,
                "reasons": list(self.reasons), "via": list(self.via)}


def _declared_columns(node: Mapping[str, Any]) -> list[str] | None:
    tessera = node_meta(dict(node)).get("tessera")
    columns = tessera.get("columns") if isinstance(tessera, dict) else None
    return [str(c).lower() for c in columns] if isinstance(columns, list) else None


def _none_of(changed: frozenset[str]) -> str:
    return "reads none of: " + ", ".join(sorted(changed))


class _Team:
    def __init__(self, team: str, source: str) -> None:
        self.team, self.source = team, source
        self.via: list[str] = []
        self.reads: list[NodeReads] = []


def affected_consumers(
    manifest: Manifest,
    unique_id: str,
    document: Mapping[str, Any] | None,
    changed_columns: Iterable[str] | None,
    consumer_manifests: Sequence[Manifest] = (),
    *,
    registered: Mapping[str, Sequence[str] | None] = {},  # noqa: B006 (read only)
    compiled: Mapping[str, str] | None = None,
    compile_sql: Callable[[list[str]], Mapping[str, str]] | None = None,
    cache: LineageCache | None = None,
) -> list[AffectedConsumer]:
    """Every consumer team of the asset, and whether it reads one of `changed_columns`
    (None: the change touches every column, so every consumer is affected).

    `document` is the asset's contract document (its `owner` and `consumers`; None builds
    nothing and reads the owner from the manifest); `registered` maps teams registered
    through `tessera.register` to the columns they declared (None: every column);
    `compiled` maps unique_ids to compiled SQL the manifest lacks; `compile_sql` is asked
    for the SQL of the models the walk reaches that have none (inside a dbt invocation)."""
    changed = None if changed_columns is None else frozenset(c.lower() for c in changed_columns)
    lineage = Lineage(manifest, cache, compiled)
    graph = Graph(manifest)
    node = manifest.nodes.get(unique_id) or manifest.sources.get(unique_id) or {}
    owner = (document or {}).get("owner") or owner_of(node, manifest.groups)
    tracer = Tracer(lineage, graph, unique_id, lambda uid: graph.owners_own(uid, owner))
    teams: dict[tuple[str, str], _Team] = {}

    def team(name: Any, source: str) -> _Team | None:
        if not name or str(name) == owner:
            return None
        return teams.setdefault((str(name), source), _Team(str(name), source))

    reached = tracer.trace()
    if compile_sql is not None:
        missing = [uid for uid in reached if uid in manifest.nodes
                   and not compiled_sql(manifest.nodes[uid]) and uid not in lineage.compiled]
        if missing:
            lineage.compiled.update(compile_sql(missing))
    tracer.derive(reached)
    semantic = SemanticReads(tracer, reached)
    for found in discover(graph, unique_id, node, owner, tessera_meta(node) or {},
                          consumer_manifests):
        entry = team(found.team, found.source)
        if entry is None:
            continue
        if found.source == "declared":
            entry.reads.append(_declared(entry.team, "declares", found.columns))
            continue
        entry.via.append(str(found.via or found.node))
        if found.source == "exposure":
            entry.reads.append(exposure_reads(tracer, str(found.node),
                                               manifest.exposures.get(str(found.node)) or {},
                                               reached.get(str(found.node), []), semantic))
        elif found.source == "project":
            entry.reads.append(tracer.reads(str(found.node), [unique_id], found.manifest))
        elif semantic_node(manifest, str(found.node)) is not None:
            entry.reads.append(semantic.reads(str(found.node)))
        else:
            entry.reads.append(tracer.reads(str(found.node), reached.get(str(found.node), [])))
    for name, cols in registered.items():
        entry = team(name, "registered")
        if entry is not None:
            entry.reads.append(_declared(entry.team, "registered", cols))
    for consumer in (document or {}).get("consumers") or ():
        entry = team(consumer.get("team"), str(consumer.get("source")))
        if entry is not None and not entry.reads:
            entry.reads.append(NodeReads("", entry.team, everything=[
                f"{entry.team}: no lineage for this consumer; counted as reading every column"]))
    lineage.cache.save()
    return [_verdict(teams[key], changed) for key in sorted(teams)]


def _declared(team: str, how: str, columns: Any) -> NodeReads:
    reads = NodeReads("", team)
    if isinstance(columns, list) and columns:
        for col in columns:
            reads.add(str(col).lower(), f"{team} {how} it reads {col} (columns)")
    else:
        reads.add(EVERYTHING, f"{team} {how} no columns; counted as reading every column")
    return reads


def exposure_reads(tracer: Tracer, uid: str, exposure: Mapping[str, Any],
                   parents: Sequence[str], semantic: SemanticReads) -> NodeReads:
    """An exposure reads what the semantic nodes it depends on read, and of its models the
    columns it declares (meta.tessera.columns)."""
    name = str(exposure.get("name") or uid)
    reads = NodeReads(uid, name)
    tables = [pid for pid in parents if semantic_node(tracer.manifest, pid) is None]
    for pid in parents:
        if pid not in tables:
            semantic.built_on(reads, f"exposure {name}", pid)
    if not tables:
        return reads
    declared = _declared_columns(exposure)
    if not declared:
        reads.add(EVERYTHING, f"exposure {name} declares no columns (meta.tessera.columns); "
                              "counted as reading every column")
        return reads
    for pid in tables:
        inner = tracer.derivations.get(pid, Derivation(everything="unknown"))
        for col in declared:
            for origin in inner.of(col):
                reads.add(origin, f"exposure {name} declares it reads {tracer.name(pid)}.{col} "
                                  "(meta.tessera.columns)")
        for col in inner.rows if pid != tracer.asset else ():
            reads.add(col, f"exposure {name} reads {tracer.name(pid)}, whose rows depend on "
                           f"{tracer.asset_name}.{col}")
    return reads


_KINDS = {"semantic_model": "semantic model", "metric": "metric", "saved_query": "saved query"}
# the parts of a semantic model that name a column of its model: (key, what one is called)
_SEMANTIC_PARTS = (("entities", "entity"), ("dimensions", "dimension"), ("measures", "measure"))


def expr_columns(expr: Any, name: str, dialect: str) -> set[str] | None:
    """The columns an entity, dimension, measure or metric reads: those its `expr` names,
    else the one its name is; None when the expr is not SQL sqlglot can read."""
    if expr is None or str(expr).strip() == "":
        return {name.lower()}
    text = str(expr)
    if "{{" in text or "{%" in text:
        return None
    try:
        parsed = sqlglot.parse_one(text, read=None if dialect == "generic" else dialect)
    except SqlglotError:
        return None
    return {column.name.lower() for column in parsed.find_all(exp.Column)}


class SemanticReads:
    """The asset columns the semantic nodes of one walk read (`reached`: node → its parents
    on the walk). A semantic model reads the columns its entities, dimensions and measures
    name (`expr`, else the name); a metric reads what the semantic models and metrics it is
    built on read, as it may be grouped by any of their dimensions, plus the column its own
    aggregation names (dbt 1.12's `agg` on a metric); a saved query reads what its metrics
    read. A metric of dbt before 1.6, built on a model, reads every column."""

    def __init__(self, tracer: Tracer, reached: Mapping[str, Sequence[str]]) -> None:
        self.tracer, self.reached = tracer, reached
        self.dialect = dialect_of(tracer.manifest.adapter_type)
        self.memo: dict[str, NodeReads] = {}

    def label(self, uid: str) -> str:
        node = semantic_node(self.tracer.manifest, uid) or {}
        return f"{_KINDS.get(str(node.get('resource_type')), 'node')} {self.tracer.name(uid)}"

    def reads(self, uid: str) -> NodeReads:
        if uid not in self.memo:
            self.memo[uid] = NodeReads(uid, self.tracer.name(uid))  # a cycle stops here
            self.memo[uid] = self._reads(uid)
        return self.memo[uid]

    def built_on(self, out: NodeReads, label: str, parent: str) -> None:
        """`label` reads what the semantic node `parent` reads."""
        inner, via = self.reads(parent), f"{label} is built on {self.label(parent)}"
        if inner.everything:
            out.add(EVERYTHING, f"{via}, which reads every column")
        for col in inner.columns:
            out.add(col, f"{via}, which reads {self.tracer.asset_name}.{col}")

    def _reads(self, uid: str) -> NodeReads:
        node = semantic_node(self.tracer.manifest, uid) or {}
        label, parents = self.label(uid), self.reached.get(uid, ())
        out = NodeReads(uid, self.tracer.name(uid))
        models = [p for p in parents if semantic_node(self.tracer.manifest, p) is None]
        if node.get("resource_type") == "semantic_model":
            for key, what in _SEMANTIC_PARTS:
                for part in node.get(key) or ():
                    name = str(part.get("name"))
                    self._columns(out, label, models, f"{what} {name}", part.get("expr"), name)
            return out
        if models:
            out.add(EVERYTHING, f"{label} is a metric of dbt before 1.6, built on a model; "
                                "its columns are not read, so it counts as reading every column")
        aggregation = (node.get("type_params") or {}).get("metric_aggregation_params") or {}
        for pid in parents:
            if pid in models:
                continue
            self.built_on(out, label, pid)
            on = semantic_node(self.tracer.manifest, pid) or {}
            if aggregation and on.get("name") == aggregation.get("semantic_model"):
                self._columns(out, label, self.reached.get(pid, ()), "its aggregation",
                              (node.get("type_params") or {}).get("expr"),
                              str(node.get("name")))
        return out

    def _columns(self, out: NodeReads, label: str, parents: Sequence[str], what: str,
                 expr: Any, name: str) -> None:
        """The asset columns that the columns `expr` (else `name`) reads of `parents` (the
        models a semantic model is built on) derive from."""
        tracer = self.tracer
        columns = expr_columns(expr, name, self.dialect)
        if columns is None:
            out.add(EVERYTHING, f"{label}: the expr of its {what} is not {self.dialect} SQL "
                                "sqlglot can read; counted as reading every column")
            return
        for pid in parents:
            inner = tracer.derivations.get(pid, Derivation(everything="unknown"))
            for col in sorted(columns):
                for origin in inner.of(col):
                    if pid == tracer.asset:
                        out.add(origin, f"{label} reads {tracer.asset_name}.{col} ({what})")
                    elif origin == EVERYTHING:
                        out.add(origin, f"{label} reads {tracer.name(pid)}.{col}, whose lineage "
                                        f"is unknown ({inner.everything}) ({what})")
                    else:
                        out.add(origin, f"{label} reads {tracer.name(pid)}.{col} (from "
                                        f"{tracer.asset_name}.{origin}) ({what})")
            for col in inner.rows if pid != tracer.asset else ():
                out.add(col, f"{label} reads {tracer.name(pid)}, whose rows depend on "
                             f"{tracer.asset_name}.{col}")


def _verdict(entry: _Team, changed: frozenset[str] | None) -> AffectedConsumer:
    reasons = [r for reads in entry.reads for r in reads.reasons_for(changed)]
    columns = sorted({c for reads in entry.reads for c in reads.columns})
    everything = any(reads.everything for reads in entry.reads)
    if not reasons and changed is not None:
        return AffectedConsumer(entry.team, entry.source, False, tuple(columns), everything,
                                (_none_of(changed),), tuple(entry.via))
    return AffectedConsumer(entry.team, entry.source, True, tuple(columns), everything,
                            tuple(dict.fromkeys(reasons)), tuple(entry.via))


def in_force_consumers(document: Mapping[str, Any], published: Mapping[str, Any] | None
                       ) -> list[dict[str, Any]]:
    """The consumers of the version in force (`published`) and of the new contract, once
    each by (team, source): a change never drops a consumer of the version it replaces
    (deleting `consumers: [{team: risk}]` in the same change still asks risk)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in (document, published or {}):
        for consumer in doc.get("consumers") or ():
            if consumer.get("team"):
                found.setdefault((str(consumer.get("team")), str(consumer.get("source"))),
                                 dict(consumer))
    return [found[key] for key in sorted(found)]


@dataclass(frozen=True)
class Asked:
    """The teams a breaking change or a removal asks (`tessera check`'s affected
    consumers, `propose`'s required acknowledgments) and those column lineage exempts."""

    consumers: tuple[dict[str, Any], ...]  # by (team, source), with `reasons` when known
    exempt: Mapping[str, str]  # team → why it is not asked ("reads none of: ...")

    @property
    def teams(self) -> list[str]:
        return sorted({str(c["team"]) for c in self.consumers})


def asked_consumers(
    manifest: Manifest | None,
    unique_id: str | None,
    document: Mapping[str, Any],
    changed: frozenset[str] | None,
    consumer_manifests: Sequence[Manifest],
    registered: Mapping[str, str | None],
    published: Mapping[str, Any] | None = None,
    cache: LineageCache | None = None,
    compile_sql: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> Asked:
    """Who a change is asked of: the one function `tessera check` and `propose` call.

    The candidates are the consumers of the version in force and of the new contract
    (`in_force_consumers`) and the registered teams (team → purpose), less the owner;
    column lineage (docs/lineage.md) then exempts those that read none of the `changed`
    columns. A removal (`changed` None), or an asset the manifest does not hold, asks
    every candidate. `compile_sql` supplies SQL the manifest lacks (inside dbt)."""
    consumers = in_force_consumers(document, published)
    owner = document.get("owner")
    found = {(str(c["team"]), str(c.get("source"))): c for c in consumers
             if str(c["team"]) != owner}
    for team, purpose in registered.items():
        if team != owner:
            entry = {"team": team, "source": "registered"}
            found.setdefault((team, "registered"), {**entry, **({"purpose": purpose}
                                                                if purpose else {})})
    if (not found or changed is None or manifest is None or unique_id is None
            or (unique_id not in manifest.nodes and unique_id not in manifest.sources)):
        return Asked(tuple(found[key] for key in sorted(found)), {})
    verdicts = affected_consumers(manifest, unique_id, {**document, "consumers": consumers},
                                  changed, consumer_manifests,
                                  registered=dict.fromkeys(registered), cache=cache,
                                  compile_sql=compile_sql)
    reasons: dict[str, list[str]] = {}
    unaffected: dict[str, str] = {}
    for verdict in verdicts:
        if verdict.affected:
            reasons.setdefault(verdict.team, []).extend(verdict.reasons)
        else:
            unaffected.setdefault(verdict.team, verdict.reasons[0])
    out, exempt = [], {}
    for key in sorted(found):
        team = key[0]
        if team in unaffected and team not in reasons:
            exempt[team] = unaffected[team]  # reads none of the changed columns: not asked
            continue
        entry = found[key]
        out.append({**entry, "reasons": reasons[team]} if team in reasons else entry)
    return Asked(tuple(out), exempt)


def reached_consumers(
    manifest: Manifest | None,
    unique_id: str | None,
    document: Mapping[str, Any],
    changed: frozenset[str] | None,
    consumer_manifests: Sequence[Manifest],
    registered: Mapping[str, str | None],
    published: Mapping[str, Any] | None = None,
    cache: LineageCache | None = None,
) -> tuple[dict[str, Any], ...]:
    """The consumers `tessera check` lists for a breaking change or a removal
    (`asked_consumers`)."""
    return asked_consumers(manifest, unique_id, document, changed, consumer_manifests,
                           registered, published, cache).consumers
