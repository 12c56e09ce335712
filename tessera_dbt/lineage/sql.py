"""Which columns of its parent relations one compiled SQL query reads (pure, sqlglot).

The query is parsed in the adapter's dialect and walked scope by scope (CTEs and subqueries
first, through sqlglot's scope machinery): every column reference is resolved to the source
it comes from, through CTEs and derived tables, down to a parent relation. A reference is
recorded with the clause it sits in and its line in the compiled SQL. An unqualified column
in a scope with several sources counts for every source that may hold it: the analysis
over-reports rather than miss a reader.

The result also says how the query's output columns derive from each parent (`outputs`,
`passthrough` for `select *`), so a caller can follow a change through intermediate models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope, walk_in_scope

from .clauses import by_position, clause_of, line_of, ordinal_position

EVERYTHING = "*"
SELECT_STAR = "select *"

@dataclass(frozen=True)
class Parent:
    """A parent relation as the child's SQL names it: `parts` (catalog, db, name; lower
    case) of its relation_name, or the CTE dbt injects for an ephemeral model."""

    parts: tuple[str, ...]
    cte: str | None = None
    columns: frozenset[str] | None = None  # complete column list, when the contract says so


@dataclass(frozen=True)
class Read:
    clause: str
    line: int | None

    def to_json(self) -> list[Any]:
        return [self.clause, self.line]


@dataclass
class EdgeReads:
    """How one query reads one parent relation."""

    reads: dict[str, list[Read]] = field(default_factory=dict)  # parent column → where
    star: Read | None = None  # `select *` of the parent reaches the query's output
    unresolved: str | None = None  # why nothing could be said (then: reads everything)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # output → parent columns
    rows: list[str] = field(default_factory=list)  # parent columns every output row depends on

    @property
    def reads_everything(self) -> bool:
        return self.unresolved is not None or self.star is not None

    def to_json(self) -> dict[str, Any]:
        return {"reads": {c: [r.to_json() for r in rs] for c, rs in self.reads.items()},
                "star": self.star.to_json() if self.star else None,
                "unresolved": self.unresolved, "outputs": self.outputs, "rows": self.rows}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EdgeReads:
        return cls({c: [Read(*r) for r in rs] for c, rs in raw["reads"].items()},
                   Read(*raw["star"]) if raw.get("star") else None, raw.get("unresolved"),
                   {k: list(v) for k, v in raw["outputs"].items()}, list(raw["rows"]))


def unresolved(parents: Mapping[str, Parent], why: str) -> dict[str, EdgeReads]:
    return {pid: EdgeReads(unresolved=why) for pid in parents}


Origin = tuple[str, str]  # (parent id, parent column or EVERYTHING)


@dataclass
class _ScopeInfo:
    """What a scope outputs, in terms of parent columns."""

    outputs: dict[str, set[Origin]] = field(default_factory=dict)
    passthrough: dict[str, Read] = field(default_factory=dict)  # parent id → its star
    opaque: bool = False  # outputs unknown (a star over a set operation, a table function)
    rows: set[Origin] = field(default_factory=set)

    def origins(self, name: str) -> set[Origin]:
        if name in self.outputs:
            return self.outputs[name]
        found = {(pid, name) for pid in self.passthrough}
        if self.opaque:
            found |= {(pid, EVERYTHING) for pid in self._parents()}
        return found

    def _parents(self) -> set[str]:
        return {pid for origins in self.outputs.values() for pid, _ in origins} \
            | set(self.passthrough) | {pid for pid, _ in self.rows}

    def everything(self) -> set[Origin]:
        """Every parent column the scope's output may carry (a star over it)."""
        found = {o for origins in self.outputs.values() for o in origins}
        found |= {(pid, EVERYTHING) for pid in self.passthrough}
        if self.opaque:
            found |= {(pid, EVERYTHING) for pid in self._parents()}
        return found


# a manifest from `dbt parse` holds no compiled SQL: `dbt compile` (or `dbt build`) writes it
NO_COMPILED_SQL = ("has no compiled SQL: the manifest was written by `dbt parse`; run `dbt "
                   "compile` (or `dbt build`) before tessera to read its column lineage")


def analyse(sql: str | None, dialect: str, parents: Mapping[str, Parent]) -> dict[str, EdgeReads]:
    """Per parent id: the columns `sql` reads from it, with clause and line."""
    if not sql or not sql.strip():
        return unresolved(parents, NO_COMPILED_SQL)
    if "{{" in sql or "{%" in sql:
        return unresolved(parents, "its compiled SQL still holds Jinja")
    try:
        statements = [s for s in sqlglot.parse(sql, read=None if dialect == "generic"
                                               else dialect) if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return unresolved(parents, f"its compiled SQL does not parse as {dialect} SQL "
                                   f"({first[:120]})")
    queries = [s for s in statements if isinstance(s, exp.Query)]
    if not queries:
        return unresolved(parents, "its compiled SQL is not a query")
    try:
        return _Walker(parents).run(queries[-1])
    except (SqlglotError, RecursionError, KeyError, AttributeError, TypeError) as exc:
        return unresolved(parents, f"its lineage could not be resolved ({type(exc).__name__})")


class _Walker:
    def __init__(self, parents: Mapping[str, Parent]) -> None:
        self.parents = parents
        self.by_parts = {p.parts: pid for pid, p in parents.items() if p.parts}
        self.by_cte = {p.cte: pid for pid, p in parents.items() if p.cte}
        self.infos: dict[int, _ScopeInfo] = {}
        self.result = {pid: EdgeReads() for pid in parents}
        self.seen: set[str] = set()

    def run(self, query: exp.Expression) -> dict[str, EdgeReads]:
        root = build_scope(query)
        if root is None:
            return unresolved(self.parents, "its compiled SQL has no query scope")
        for scope in root.traverse():
            self.infos[id(scope.expression)] = self._scope(scope)
        info = self.infos[id(root.expression)]
        for pid, edge in self.result.items():
            if pid not in self.seen:
                edge.unresolved = "does not name the relation in its compiled SQL"
                continue
            edge.star = info.passthrough.get(pid)
            if info.opaque:
                edge.star = edge.star or Read(SELECT_STAR, None)
            for name, origins in info.outputs.items():
                cols = sorted({c for p, c in origins if p == pid})
                if cols:
                    edge.outputs[name] = cols
            edge.rows = sorted({c for p, c in info.rows if p == pid})
        return self.result

    # sources ---------------------------------------------------------------------------

    def _parent_of(self, name: str, source: Any) -> str | None:
        if isinstance(source, exp.Table):
            parts = tuple(p.name.lower() for p in source.parts)
            for length in range(len(parts), 0, -1):
                pid = self._match(parts[-length:])
                if pid:
                    return pid
            return None
        if isinstance(source, Scope) and self.by_cte:
            cte = source.expression.parent  # the CTE's own name, whatever alias it has here
            own = cte.alias.lower() if isinstance(cte, exp.CTE) else name.lower()
            return self.by_cte.get(own)
        return None

    def _match(self, parts: tuple[str, ...]) -> str | None:
        pid = self.by_parts.get(parts)
        if pid or len(parts) >= 3:
            return pid
        matches = [p for key, p in self.by_parts.items() if key[-len(parts):] == parts]
        return matches[0] if len(matches) == 1 else None

    def _origins_from(self, name: str, source: Any, column: str) -> set[Origin]:
        pid = self._parent_of(name, source)
        if pid is not None:
            self.seen.add(pid)
            return {(pid, column)}
        if isinstance(source, Scope):
            return set(self.infos.get(id(source.expression), _ScopeInfo(opaque=True))
                       .origins(column))
        return set()

    def _may_hold(self, name: str, source: Any, column: str) -> bool:
        """Could this source have the column? Only a complete column list says no."""
        pid = self._parent_of(name, source)
        if pid is not None:
            known = self.parents[pid].columns
            return known is None or column in known
        if isinstance(source, Scope):
            info = self.infos.get(id(source.expression))
            return info is None or info.opaque or bool(info.passthrough) \
                or column in info.outputs
        return True

    def _resolve(self, scope: Scope, col: exp.Column) -> set[Origin]:
        return self._resolve_noting(scope, col)[0]

    def _resolve_noting(self, scope: Scope, col: exp.Column) -> tuple[set[Origin], bool]:
        """The origins, and whether an unqualified name had several possible sources."""
        name = col.name.lower()
        table = col.table
        current: Scope | None = scope
        while current is not None:
            sources = current.selected_sources
            if table:
                for alias, (_, source) in sources.items():
                    if alias.lower() == table.lower():
                        return self._origins_from(alias, source, name), False
            else:
                # one source: the column is its (or the SQL is broken, which also reads it);
                # several: every source that may hold it, all of them if none says so
                holders = [(a, s) for a, (_, s) in sources.items() if self._may_hold(a, s, name)]
                if sources and (len(sources) == 1 or not holders) and current is scope:
                    holders = [(a, s) for a, (_, s) in sources.items()]
                if holders:
                    found: set[Origin] = set()
                    for alias, source in holders:
                        found |= self._origins_from(alias, source, name)
                    return found, len(holders) > 1
            current = current.parent
        return set(), False

    # one scope -------------------------------------------------------------------------

    def _scope(self, scope: Scope) -> _ScopeInfo:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            info = self._set_operation(expression)
            self._set_order(expression, info)
            return info
        info = _ScopeInfo()
        for alias, (_, source) in scope.selected_sources.items():
            pid = self._parent_of(alias, source)
            if pid is not None:
                self.seen.add(pid)
            elif isinstance(source, Scope):
                info.rows |= self.infos.get(id(source.expression), _ScopeInfo()).rows
        if not isinstance(expression, exp.Select):
            info.opaque = True
            return info
        aliases = {s.alias.lower(): s for s in expression.selects if s.alias}
        for node in walk_in_scope(expression):
            if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
                continue
            clause = clause_of(node, expression)
            if clause is None:
                continue
            origins, ambiguous = self._resolve_noting(scope, node)
            if ambiguous:
                clause += " (unqualified, may come from another source)"
            if not origins and clause != "select list" and node.name.lower() in aliases \
                    and not node.table:
                origins = self._select_origins(scope, aliases[node.name.lower()])
            line = node.this.meta.get("line") if isinstance(node.this, exp.Expression) else None
            self._record(info, origins, clause, line)
        for clause, select, line in by_position(expression):
            self._record(info, self._select_origins(scope, select), clause, line)
        for select in expression.selects:
            self._output(scope, info, select)
        return info

    def _record(self, info: _ScopeInfo, origins: set[Origin], clause: str,
                line: int | None) -> None:
        for pid, column in origins:
            if column != EVERYTHING:
                self.result[pid].reads.setdefault(column, []).append(Read(clause, line))
        if not clause.startswith(("select list", "window", "order by")):
            info.rows |= origins

    def _set_order(self, expression: exp.SetOperation, info: _ScopeInfo) -> None:
        """`union ... order by x` (or `order by 1`) reads x in every branch."""
        names = [s.alias_or_name.lower() for s in expression.selects]
        order = expression.args.get("order")
        for ordered in order.expressions if order else ():
            position = ordinal_position(ordered.this, len(names))
            if position is not None:
                found = [(names[position], ordered.this.meta.get("line"))]
            else:
                found = [(c.name.lower(), c.this.meta.get("line"))
                         for c in ordered.find_all(exp.Column)
                         if isinstance(c.this, exp.Identifier)]
            for name, line in found:
                self._record(info, info.origins(name), "order by", line)

    def _select_origins(self, scope: Scope, select: exp.Expression) -> set[Origin]:
        found: set[Origin] = set()
        for node in walk_in_scope(select):
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                found |= self._resolve(scope, node)
        return found

    def _output(self, scope: Scope, info: _ScopeInfo, select: exp.Expression) -> None:
        star_table = None
        if isinstance(select, exp.Star):
            star_table = ""
        elif isinstance(select, exp.Column) and isinstance(select.this, exp.Star):
            star_table = select.table.lower()
        if star_table is None:
            name = select.alias_or_name.lower()
            info.outputs.setdefault(name, set()).update(self._select_origins(scope, select))
            return
        line = line_of(select)
        for alias, (_, source) in scope.selected_sources.items():
            if star_table and alias.lower() != star_table:
                continue
            pid = self._parent_of(alias, source)
            if pid is not None:
                self.seen.add(pid)
                info.passthrough.setdefault(pid, Read(SELECT_STAR, line))
            elif isinstance(source, Scope):
                inner = self.infos.get(id(source.expression), _ScopeInfo(opaque=True))
                for name, origins in inner.outputs.items():
                    info.outputs.setdefault(name, set()).update(origins)
                for ppid, read in inner.passthrough.items():
                    info.passthrough.setdefault(ppid, Read(SELECT_STAR, line or read.line))
                info.opaque = info.opaque or inner.opaque

    def _set_operation(self, expression: exp.SetOperation) -> _ScopeInfo:
        branches = [self.infos.get(id(b), _ScopeInfo(opaque=True))
                    for b in (expression.left, expression.right)]
        left = expression.left
        names = [s.alias_or_name.lower() for s in getattr(left, "selects", ())]
        info = _ScopeInfo(rows=branches[0].rows | branches[1].rows)
        positional = all(isinstance(b, exp.Select) and not any(
            isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
            for s in b.selects) for b in (expression.left, expression.right))
        if positional and len(getattr(expression.right, "selects", ())) == len(names):
            right_names = [s.alias_or_name.lower() for s in expression.right.selects]
            for name, right in zip(names, right_names, strict=True):
                info.outputs[name] = set(branches[0].outputs.get(name, set())) \
                    | set(branches[1].outputs.get(right, set()))
            return info
        for branch in branches:
            for name, origins in branch.outputs.items():
                info.outputs.setdefault(name, set()).update(origins)
            info.passthrough.update(branch.passthrough)
            info.opaque = info.opaque or branch.opaque
        return info
