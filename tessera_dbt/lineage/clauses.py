"""Where in a query a sqlglot node sits: its clause (select list, filter, join, ...), its
line in the compiled SQL, and the select items that ordinals (`group by 1`) stand for."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

CLAUSES = {
    "expressions": "select list", "where": "filter", "joins": "join", "group": "group by",
    "having": "having", "order": "order by", "qualify": "filter (qualify)",
    "distinct": "select list", "laterals": "lateral", "from": "from",
}
WINDOW_SPEC = ("partition_by", "order")


def line_of(node: exp.Expression) -> int | None:
    for inner in node.walk():
        if isinstance(inner, exp.Expression) and inner.meta.get("line"):
            return int(inner.meta["line"])
    return None


def ordinal_position(node: exp.Expression, count: int) -> int | None:
    """The 0-based select item a `group by 1` / `order by 1` ordinal stands for."""
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit() \
            and 0 < int(node.this) <= count:
        return int(node.this) - 1
    return None


def by_position(select: exp.Select) -> Iterator[tuple[str, exp.Expression, int | None]]:
    """The select items that `group by 1`, `order by 2` or `group by all` stand for: their
    columns are read in that clause, though the clause names none."""
    items = select.selects
    group = select.args.get("group")
    if group is not None and group.args.get("all"):
        for item in items:
            if not item.find(exp.AggFunc, exp.Window):
                yield "group by", item, line_of(item)
    for clause, key in (("group by", "group"), ("order by", "order")):
        holder = select.args.get(key)
        for node in holder.expressions if holder is not None else ():
            literal = node.this if isinstance(node, exp.Ordered) else node
            position = ordinal_position(literal, len(items))
            if position is not None:
                yield clause, items[position], literal.meta.get("line")


def clause_of(node: exp.Expression, select: exp.Expression) -> str | None:
    """The clause of `select` that holds `node` (select list, filter, join, ...)."""
    window = False
    current = node
    while current.parent is not None and current.parent is not select:
        if isinstance(current.parent, exp.Window) and current.arg_key in WINDOW_SPEC:
            window = True
        current = current.parent
    if current.parent is None:
        return None
    clause = CLAUSES.get(current.arg_key, current.arg_key)
    return "window" if window and clause == "select list" else clause
