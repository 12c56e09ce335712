"""Column-level impact: which consumers read the columns a change touches.

`affected_consumers(manifest, unique_id, document, changed_columns)` answers, per consumer
team, whether it must acknowledge a change to those columns of the asset, and why. A team's
model reads a column when its compiled SQL mentions it (any clause), or mentions a column of
one of the owner's own uncontracted models that derives from it (the walk of
`Extractor._downstream`, column by column). Whatever cannot be analysed (no compiled SQL,
SQL that does not parse, a relation the SQL does not name, an exposure or a registered team
that declares no columns) reads every column, and the reason says so: nobody is called
unaffected without evidence.

`changed_columns_of(changes)` maps classified changes to the top-level columns they touch.
The per-model analysis (`sql_lineage`) is cached by compiled SQL, parents and dialect.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .artifacts import Manifest
from .contracts import _meta, dialect_of, is_under_contract, owner_of, tessera_meta
from .sql_lineage import EVERYTHING, EdgeReads, Parent, analyse

LINEAGE_VERSION = 3
_CONSUMING = ("model", "snapshot")
_COLUMN_KINDS = ("nullability", "not_null", "accepted_values", "unique", "relationships")


# what a change touches -----------------------------------------------------------------

def _field(change: Any, name: str) -> Any:
    return change.get(name) if isinstance(change, Mapping) else getattr(change, name, None)


def changed_columns_of(changes: Iterable[Any], columns: Iterable[str] = ()
                       ) -> frozenset[str] | None:
    """The top-level columns (lower case) that compat Changes (or their JSON) touch; None
    when one of them touches the whole asset (freshness, a table-level test, the
    description, a path that names no column): then no consumer is exempt.

    `columns` (the asset's column names) resolves guarantee subjects such as
    `unique_combination_of_columns.a,b` or an expression test's SQL."""
    known = {c.lower() for c in columns}
    touched: set[str] = set()
    for change in changes:
        found = (_guarantee_columns(str(_field(change, "guarantee")), known)
                 if _field(change, "guarantee") else _path_column(str(_field(change, "path")
                                                                      or ""), known))
        if found is None:
            return None
        touched |= found
    return frozenset(touched)


def _path_column(path: str, known: set[str]) -> set[str] | None:
    if not path:
        return None
    lowered = path.lower()
    if lowered in known:
        return {lowered}
    top = re.split(r"[.\[{]", lowered, maxsplit=1)[0]
    return {top} if top and (not known or top in known) else None


def _guarantee_columns(key: str, known: set[str]) -> set[str] | None:
    """`<kind>.<subject>`: the subject is a column, a comma list of columns, or SQL."""
    kind, _, subject = key.partition(".")
    if kind in _COLUMN_KINDS and subject:
        return {subject.lower()}
    parts = key.split(".")
    for start in range(1, len(parts)):
        subject = ".".join(parts[start:]).lower()
        names = [n.strip() for n in subject.split(",")]
        if known and all(n in known for n in names):
            return set(names)
    return _sql_columns(".".join(parts[1:]) if len(parts) > 1 else "", known)


def _sql_columns(text: str, known: set[str]) -> set[str] | None:
    if not text or not known:
        return None
    try:
        parsed = sqlglot.parse_one(text)
    except SqlglotError:
        return None
    names = {c.name.lower() for c in parsed.find_all(exp.Column)}
    return names if names and names <= known else None


# the cache --------------------------------------------------------------------------------

class LineageCache:
    """Per-model analyses by (compiled SQL, parents, dialect), in one JSON file."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if path and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    raw = json.load(handle)
                if raw.get("version") == LINEAGE_VERSION:
                    self.entries = dict(raw.get("entries") or {})
            except (OSError, ValueError, AttributeError):
                self.entries = {}  # a corrupt cache is rebuilt, never trusted

    def save(self) -> None:
        if not self.path or not self.dirty:
            return
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump({"version": LINEAGE_VERSION, "entries": self.entries}, handle)
            os.replace(temporary, self.path)
            self.dirty = False
        except OSError:
            pass  # a cache that cannot be written only costs time


def cache_dir() -> str:
    """`$TESSERA_CACHE_DIR`, else the user's cache directory: never beside the manifest,
    which may be a read-only or shared artifact (a production manifest, a CI download)."""
    return os.environ.get("TESSERA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tessera-dbt")


def default_cache(manifest: Manifest) -> LineageCache:
    """One cache file per manifest path (entries are keyed by content, so a rebuilt
    manifest reuses what did not change), if the manifest is a file."""
    if not os.path.isfile(manifest.path):
        return LineageCache(None)
    key = hashlib.sha256(os.path.abspath(manifest.path).encode()).hexdigest()[:16]
    return LineageCache(os.path.join(cache_dir(), f"lineage-{key}.json"))


# per-edge analysis ------------------------------------------------------------------------

def compiled_sql(node: Mapping[str, Any]) -> str | None:
    return node.get("compiled_code") or node.get("compiled_sql")


def parent_relation(node: Mapping[str, Any], dialect: str) -> Parent:
    """How a child's compiled SQL names this parent."""
    columns = None
    if is_under_contract(dict(node)) and node.get("columns"):
        contract = (node.get("config") or {}).get("contract") or node.get("contract") or {}
        if contract.get("enforced"):
            columns = frozenset(str(c.get("name") or k).lower()
                                for k, c in node["columns"].items())
    materialized = (node.get("config") or {}).get("materialized")
    relation = node.get("relation_name")
    if materialized == "ephemeral" or not relation:
        return Parent((), f"__dbt__cte__{node.get('name')}".lower(), columns)
    try:
        table = exp.to_table(relation, dialect=None if dialect == "generic" else dialect)
        parts = tuple(p.name.lower() for p in table.parts)
    except SqlglotError:
        parts = tuple(p.strip('"`[]').lower() for p in relation.split("."))
    return Parent(parts, None, columns)


class Lineage:
    """Edge analyses over one manifest (and consumer manifests), cached."""

    def __init__(self, manifest: Manifest, cache: LineageCache | None = None,
                 compiled: Mapping[str, str] | None = None) -> None:
        self.manifest = manifest
        self.cache = cache if cache is not None else LineageCache(None)
        self.compiled = dict(compiled or {})
        self.memo: dict[tuple[int, str], dict[str, EdgeReads]] = {}
        # the asset being changed: its manifest columns are the new ones, not those its
        # readers' SQL was written against
        self.changing: set[str] = set()

    def edge(self, parent_id: str, child_id: str, child_manifest: Manifest | None = None
             ) -> EdgeReads:
        other = child_manifest or self.manifest
        key = (id(other), child_id)
        if key not in self.memo:
            self.memo[key] = self._analyse(other, child_id)
        found = self.memo[key].get(parent_id)
        return found if found is not None else EdgeReads(
            unresolved="does not list the relation among its dependencies")

    def _analyse(self, other: Manifest, child_id: str) -> dict[str, EdgeReads]:
        node = other.nodes.get(child_id) or {}
        dialect = dialect_of(other.adapter_type)
        parents: dict[str, Parent] = {}
        for pid in (node.get("depends_on") or {}).get("nodes") or ():
            parent = (other.nodes.get(pid) or other.sources.get(pid)
                      or self.manifest.nodes.get(pid) or self.manifest.sources.get(pid))
            if parent is not None:
                parents[pid] = parent_relation(parent, dialect)
                if pid in self.changing:
                    parents[pid] = Parent(parents[pid].parts, parents[pid].cte, None)
        sql = (self.compiled.get(child_id) if other is self.manifest else None) \
            or compiled_sql(node)
        digest = hashlib.sha256(json.dumps(
            [LINEAGE_VERSION, dialect, sql, sorted(
                (pid, p.parts, p.cte, sorted(p.columns) if p.columns is not None else None)
                for pid, p in parents.items())]).encode()).hexdigest()
        cached = self.cache.entries.get(digest)
        if cached is not None:
            return {pid: EdgeReads.from_json(raw) for pid, raw in cached.items()}
        result = analyse(sql, dialect, parents)
        if sql:  # a missing SQL is not worth a cache entry
            self.cache.entries[digest] = {pid: e.to_json() for pid, e in result.items()}
            self.cache.dirty = True
        return result


# through the graph ----------------------------------------------------------------------

@dataclass
class _Derivation:
    """How a node's columns derive from the asset's columns."""

    columns: dict[str, set[str]] = field(default_factory=dict)
    passthrough: list[_Derivation] = field(default_factory=list)
    identity: bool = False  # the asset itself
    rows: set[str] = field(default_factory=set)  # asset columns every row depends on
    everything: str | None = None

    def of(self, column: str) -> set[str]:
        if self.identity:
            return {column}
        if self.everything:
            return {EVERYTHING}
        if column in self.columns:
            return self.columns[column]
        found: set[str] = set()
        for inner in self.passthrough:
            found |= inner.of(column)
        return found

    def all(self) -> set[str]:
        if self.identity or self.everything:
            return {EVERYTHING}
        found = {c for cols in self.columns.values() for c in cols}
        for inner in self.passthrough:
            found |= inner.all()
        return found


@dataclass
class NodeReads:
    """The asset columns one downstream node reads, each with the reasons."""

    unique_id: str
    name: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    everything: list[str] = field(default_factory=list)

    def add(self, column: str, reason: str) -> None:
        target = self.everything if column == EVERYTHING else \
            self.columns.setdefault(column, [])
        if reason not in target:
            target.append(reason)

    def reasons_for(self, changed: frozenset[str] | None) -> list[str]:
        """Why it reads a changed column (empty: it reads none of them)."""
        if changed is None:
            return [*self.everything, *(r for rs in self.columns.values() for r in rs)] \
                or [f"{self.name} reads the asset"]
        return [*self.everything, *(r for c in sorted(changed) for r in self.columns.get(c, ()))]


def _where(read_clause: str, line: int | None) -> str:
    return f"in its {read_clause}" + (f" (line {line})" if line else "")


class _Tracer:
    def __init__(self, lineage: Lineage, unique_id: str,
                 expand: Callable[[str], bool]) -> None:
        self.lineage = lineage
        self.manifest = lineage.manifest
        self.asset = unique_id
        node = self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id) or {}
        self.asset_name = str(node.get("name") or unique_id)
        lineage.changing.add(unique_id)
        self.expand = expand
        self.derivations: dict[str, _Derivation] = {unique_id: _Derivation(identity=True)}
        self.expanded: set[str] = {unique_id}

    def name(self, uid: str) -> str:
        node = self.manifest.nodes.get(uid) or self.manifest.exposures.get(uid) or {}
        return str(node.get("name") or uid)

    def trace(self) -> dict[str, list[str]]:
        """Every node reached → its parents on the way from the asset (expanded nodes are
        walked through; the others end the walk)."""
        reached: dict[str, list[str]] = {}
        order: list[str] = []
        stack = [self.asset]
        visited = {self.asset}
        while stack:
            current = stack.pop()
            order.append(current)
            for child in self.manifest.child_map.get(current) or ():
                kind = child.split(".", 1)[0]
                if kind != "exposure" and (self.manifest.nodes.get(child) or {}) \
                        .get("resource_type") not in _CONSUMING:
                    continue
                reached.setdefault(child, [])
                if current not in reached[child]:
                    reached[child].append(current)
                if kind != "exposure" and child not in visited and self.expand(child):
                    visited.add(child)
                    stack.append(child)
        self.expanded = visited
        return reached

    def derive(self, reached: Mapping[str, list[str]]) -> None:
        """How each walked-through node's columns derive from the asset's, parents first."""
        pending = [n for n in self.expanded if n != self.asset]
        while pending:
            progress = False
            for uid in list(pending):
                parents = reached.get(uid, [])
                if all(p in self.derivations for p in parents):
                    self.derivations[uid] = self._derivation(uid, parents)
                    pending.remove(uid)
                    progress = True
            if not progress:  # a cycle cannot happen in dbt; be safe anyway
                for uid in pending:
                    self.derivations[uid] = _Derivation(everything="a dependency cycle")
                break

    def _derivation(self, uid: str, parents: Sequence[str]) -> _Derivation:
        out = _Derivation()
        for pid in parents:
            inner = self.derivations[pid]
            edge = self.lineage.edge(pid, uid)
            if edge.unresolved:
                out.everything = f"{self.name(uid)} {edge.unresolved}"
                return out
            for name, cols in edge.outputs.items():
                target = out.columns.setdefault(name, set())
                for col in cols:
                    target |= inner.of(col) if col != EVERYTHING else inner.all()
            if edge.star:
                out.passthrough.append(inner)
            out.rows |= inner.rows
            for col in edge.rows:
                out.rows |= inner.of(col)
        return out

    def reads(self, uid: str, parents: Sequence[str], child_manifest: Manifest | None = None
              ) -> NodeReads:
        name = self.name(uid) if child_manifest is None else str(
            (child_manifest.nodes.get(uid) or {}).get("name") or uid)
        result = NodeReads(uid, name)
        for pid in parents:
            inner = self.derivations.get(pid, _Derivation(everything="unknown"))
            through = pid != self.asset
            pname = self.name(pid)
            edge = self.lineage.edge(pid, uid, child_manifest)
            if edge.unresolved:
                result.add(EVERYTHING, f"{name} {edge.unresolved}; counted as reading "
                                       "every column")
                continue
            if edge.star:
                what = f"{name} selects * from {pname} into its output" + (
                    f" (line {edge.star.line})" if edge.star.line else "")
                for col in inner.all():
                    result.add(col, what if col == EVERYTHING or not through
                               else f"{what}, which carries {self.asset_name}.{col}")
            for col in inner.rows if through else ():
                result.add(col, f"{name} reads {pname}, whose rows depend on "
                                f"{self.asset_name}.{col}")
            for col, where in edge.reads.items():
                first = where[0]
                for origin in inner.of(col):
                    if not through:
                        reason = (f"{name} reads {self.asset_name}.{col} "
                                  f"{_where(first.clause, first.line)}")
                    elif origin == EVERYTHING:
                        reason = (f"{name} reads {pname}.{col}, whose lineage is unknown "
                                  f"({inner.everything}) {_where(first.clause, first.line)}")
                    else:
                        reason = (f"{name} reads {pname}.{col} (from {self.asset_name}."
                                  f"{origin}) {_where(first.clause, first.line)}")
                    result.add(origin, reason)
        return result


# consumers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AffectedConsumer:
    """One consumer team (by where it was found) and whether a change reaches it."""

    team: str
    source: str  # declared | registered | downstream | exposure | project
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
    tessera = _meta(dict(node)).get("tessera")
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
    node = manifest.nodes.get(unique_id) or manifest.sources.get(unique_id) or {}
    owner = (document or {}).get("owner") or owner_of(node, manifest.groups)

    def owners_own(uid: str) -> bool:
        child = manifest.nodes.get(uid) or {}
        return owner_of(child, manifest.groups) == owner and not is_under_contract(child)

    tracer = _Tracer(lineage, unique_id, owners_own)
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
    for child, parents in reached.items():
        if child.startswith("exposure."):
            exposure = manifest.exposures.get(child) or {}
            who = exposure.get("owner") or {}
            entry = team(who.get("name") or who.get("email"), "exposure")
            if entry is not None:
                entry.via.append(str(exposure.get("name") or child))
                entry.reads.append(_exposure_reads(tracer, child, exposure, parents))
        elif not owners_own(child):
            entry = team(owner_of(manifest.nodes[child], manifest.groups), "downstream")
            if entry is not None:
                entry.via.append(tracer.name(child))
                entry.reads.append(tracer.reads(child, parents))
    if str(node.get("access") or (node.get("config") or {}).get("access")) == "public":
        for other in consumer_manifests:
            for uid, other_node in other.nodes.items():
                if (other_node.get("resource_type") in _CONSUMING
                        and unique_id in ((other_node.get("depends_on") or {}).get("nodes") or ())
                        and other_node.get("package_name") != node.get("package_name")):
                    entry = team(owner_of(other_node, other.groups) or other.project_name,
                                 "project")
                    if entry is not None:
                        entry.via.append(uid)
                        entry.reads.append(tracer.reads(uid, [unique_id], other))
    for declared in (tessera_meta(dict(node)) or {}).get("consumers") or ():
        name = declared.get("team") if isinstance(declared, dict) else declared
        entry = team(name, "declared")
        if entry is not None:
            cols = declared.get("columns") if isinstance(declared, dict) else None
            entry.reads.append(_declared(entry.team, "declares", cols))
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


def _exposure_reads(tracer: _Tracer, uid: str, exposure: Mapping[str, Any],
                    parents: Sequence[str]) -> NodeReads:
    name = str(exposure.get("name") or uid)
    reads = NodeReads(uid, name)
    declared = _declared_columns(exposure)
    if not declared:
        reads.add(EVERYTHING, f"exposure {name} declares no columns (meta.tessera.columns); "
                              "counted as reading every column")
        return reads
    for pid in parents:
        inner = tracer.derivations.get(pid, _Derivation(everything="unknown"))
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


def column_reads(manifest: Manifest, unique_id: str, compiled: Mapping[str, str] | None = None,
                 cache: LineageCache | None = None) -> dict[str, NodeReads]:
    """For `tessera impact --column`: every downstream model, snapshot and exposure and
    the asset columns it reads, through every model in between."""
    lineage = Lineage(manifest, cache, compiled)
    tracer = _Tracer(lineage, unique_id, lambda uid: True)
    reached = tracer.trace()
    tracer.derive(reached)
    out: dict[str, NodeReads] = {}
    for child, parents in reached.items():
        if child.startswith("exposure."):
            out[child] = _exposure_reads(tracer, child, manifest.exposures.get(child) or {},
                                         parents)
        else:
            out[child] = tracer.reads(child, parents)
    lineage.cache.save()
    return out
