"""Column lineage through the graph: which asset columns each downstream node reads.

A node reads a column when its compiled SQL mentions it (any clause), or mentions a column
of one of the owner's own uncontracted models that derives from it (the walk of
`artifacts.graph`, column by column). Whatever cannot be analysed (no compiled SQL, SQL
that does not parse, a relation the SQL does not name) reads every column, and the reason
says so: nobody is called unaffected without evidence.

`changed_columns_of(changes)` maps classified changes to the top-level columns they touch.
The per-model analysis (`lineage.sql`) is cached by compiled SQL, parents and dialect
(`lineage.cache`); `lineage.consumers` turns the reads into verdicts per consumer team.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..artifacts.graph import Graph, semantic_node
from ..artifacts.nodes import dialect_of, is_under_contract
from ..artifacts.readers import Manifest
from .cache import LINEAGE_VERSION, LineageCache
from .sql import EVERYTHING, EdgeReads, Parent, analyse

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


@dataclass
class Derivation:
    """How a node's columns derive from the asset's columns."""

    columns: dict[str, set[str]] = field(default_factory=dict)
    passthrough: list[Derivation] = field(default_factory=list)
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


class Tracer:
    """How the columns of the nodes downstream of one asset derive from the asset's."""

    def __init__(self, lineage: Lineage, graph: Graph, unique_id: str,
                 expand: Callable[[str], bool]) -> None:
        self.lineage = lineage
        self.graph = graph
        self.manifest = lineage.manifest
        self.asset = unique_id
        node = self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id) or {}
        self.asset_name = str(node.get("name") or unique_id)
        lineage.changing.add(unique_id)
        self.expand = expand
        self.derivations: dict[str, Derivation] = {unique_id: Derivation(identity=True)}
        self.expanded: set[str] = {unique_id}

    def name(self, uid: str) -> str:
        m = self.manifest
        node = m.nodes.get(uid) or m.exposures.get(uid) or semantic_node(m, uid) or {}
        return str(node.get("name") or uid)

    def trace(self) -> dict[str, list[str]]:
        """Every node reached → its parents on the way from the asset (expanded nodes are
        walked through; the others end the walk). Only models and snapshots have columns
        that derive from the asset's: the semantic nodes walked through read them
        (`lineage.consumers.SemanticReads`)."""
        reached = self.graph.walk(self.asset, self.expand)
        self.expanded = {self.asset} | {uid for uid in reached
                                        if uid in self.manifest.nodes and self.expand(uid)}
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
                    self.derivations[uid] = Derivation(everything="a dependency cycle")
                break

    def _derivation(self, uid: str, parents: Sequence[str]) -> Derivation:
        out = Derivation()
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
            inner = self.derivations.get(pid, Derivation(everything="unknown"))
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
