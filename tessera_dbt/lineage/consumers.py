"""Which consumer teams a change reaches, and why: the teams `artifacts.consumers`
discovers (plus registered ones), each asked through column lineage (`lineage.columns`)
whether it reads a changed column.

`affected_consumers` gives every team's verdict (propose and `tessera check` both use it);
`reached_consumers` is the list `tessera check` shows: the contract's consumers, as the
pull request has it and as it was published, less those that read none of the changed
columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..artifacts.consumers import discover
from ..artifacts.graph import Graph
from ..artifacts.nodes import node_meta, owner_of, tessera_meta
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
                                               reached.get(str(found.node), [])))
        elif found.source == "project":
            entry.reads.append(tracer.reads(str(found.node), [unique_id], found.manifest))
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
                    parents: Sequence[str]) -> NodeReads:
    name = str(exposure.get("name") or uid)
    reads = NodeReads(uid, name)
    declared = _declared_columns(exposure)
    if not declared:
        reads.add(EVERYTHING, f"exposure {name} declares no columns (meta.tessera.columns); "
                              "counted as reading every column")
        return reads
    for pid in parents:
        inner = tracer.derivations.get(pid, Derivation(everything="unknown"))
        for col in declared:
            for origin in inner.of(col):
                reads.add(origin, f"exposure {name} declares it reads {tracer.name(pid)}.{col} "
                                  "(meta.tessera.columns)")
        for col in inner.rows if pid != tracer.asset else ():
            reads.add(col, f"exposure {name} reads {tracer.name(pid)}, whose rows depend on "
                           f"{tracer.asset_name}.{col}")
    return reads


def _verdict(entry: _Team, changed: frozenset[str] | None) -> AffectedConsumer:
    reasons = [r for reads in entry.reads for r in reads.reasons_for(changed)]
    columns = sorted({c for reads in entry.reads for c in reads.columns})
    everything = any(reads.everything for reads in entry.reads)
    if not reasons and changed is not None:
        return AffectedConsumer(entry.team, entry.source, False, tuple(columns), everything,
                                (_none_of(changed),), tuple(entry.via))
    return AffectedConsumer(entry.team, entry.source, True, tuple(columns), everything,
                            tuple(dict.fromkeys(reasons)), tuple(entry.via))


def candidate_consumers(document: Mapping[str, Any], published: Mapping[str, Any] | None,
                        registered: Mapping[str, str | None]
                        ) -> dict[tuple[str, str], dict[str, Any]]:
    """(team, source) → consumer entry of every team a change to `document` is asked of
    before column lineage narrows it: the consumers of the change itself, those of the
    version in force (`published`: a change never drops a team that would object, even
    one the same change deletes from `consumers`) and the registered teams; never the
    owner. `tessera check` and `tessera.propose` both start from this set."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in (document, published or {}):
        for consumer in doc.get("consumers") or ():
            if consumer.get("team"):
                found.setdefault((str(consumer.get("team")), str(consumer.get("source"))),
                                 dict(consumer))
    owner = document.get("owner")
    for team, purpose in registered.items():
        if team != owner:
            entry = {"team": team, "source": "registered"}
            found.setdefault((team, "registered"), {**entry, **({"purpose": purpose}
                                                                if purpose else {})})
    return {key: entry for key, entry in found.items() if key[0] != owner}


def asked_document(document: Mapping[str, Any], published: Mapping[str, Any] | None
                   ) -> dict[str, Any]:
    """`document` with the consumers of the version in force added, so column lineage
    judges (or counts as reading everything) a consumer the change removed."""
    consumers = list(document.get("consumers") or ())
    seen = {(str(c.get("team")), str(c.get("source"))) for c in consumers}
    for consumer in (published or {}).get("consumers") or ():
        key = (str(consumer.get("team")), str(consumer.get("source")))
        if consumer.get("team") and key not in seen:
            seen.add(key)
            consumers.append(dict(consumer))
    return {**document, "consumers": consumers}


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
    """The consumers a breaking change or a removal reaches: the one place `tessera check`
    asks. The candidates are the document's consumers (as the pull request has it and as
    it was published) and the registered teams; column lineage (docs/lineage.md) then
    drops those that read none of the `changed` columns, as `tessera.propose` does. A
    removal (`changed` None), or an asset the manifest does not hold, reaches everyone."""
    found = candidate_consumers(document, published, registered)
    if (changed is None or manifest is None or unique_id is None
            or (unique_id not in manifest.nodes and unique_id not in manifest.sources)):
        return tuple(found[key] for key in sorted(found))
    verdicts = affected_consumers(manifest, unique_id, asked_document(document, published),
                                  changed, consumer_manifests,
                                  registered=dict.fromkeys(registered), cache=cache)
    reasons: dict[str, list[str]] = {}
    exempt: set[str] = set()
    for verdict in verdicts:
        if verdict.affected:
            reasons.setdefault(verdict.team, []).extend(verdict.reasons)
        else:
            exempt.add(verdict.team)
    out = []
    for key in sorted(found):
        team = key[0]
        if team in exempt and team not in reasons:
            continue  # reads none of the changed columns: not asked
        entry = found[key]
        out.append({**entry, "reasons": reasons[team]} if team in reasons else entry)
    return tuple(out)
