"""Parts 1-3 of compatibility.md: columns and nested fields, their types, and the domain
that only the JSON Schema expresses.

Columns are flattened into member paths (`address.city`, `items[].sku`, `attrs{}`), so
struct, array and map types are compared through their members, never as whole strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .changes import Change
from .domains import domain_changes
from .rules import RULES_BY_ID
from .served import PROVENANCE_KEYS
from .type_lattice import TypeRelation, compare_canonical, compare_types
from .warehouse_types import CanonicalType, parse_type, type_to_text

_NESTED = ("struct", "array", "map")
# Keys of a column's JSON Schema that the rules below read; any other key that changes is META.
_KNOWN_KEYS = frozenset({
    "type", "format", "x-data-type", "properties", "required", "items", "additionalProperties",
    "enum", "maxLength", "minLength", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "pattern", "description",
})
_TYPE_RULES = {
    TypeRelation.SYNONYM: "TYPE_SYNONYM",
    TypeRelation.WIDENED: "TYPE_WIDENED",
    TypeRelation.NARROWED: "TYPE_NARROWED",
    TypeRelation.CHANGED: "TYPE_CHANGED",
}
# what the message adds to "changed type from A to B" (nothing for a plain change: the
# rule id already says it)
_RELATION_WORDS = {
    TypeRelation.SYNONYM: ", another spelling of the same type",
    TypeRelation.WIDENED: " (widened: every old value fits)",
    TypeRelation.NARROWED: " (narrowed: some old values no longer fit)",
}


@dataclass(frozen=True)
class Column:
    """A column or nested field of a contract, flattened to its path."""

    path: str
    parent: str
    name: str
    fragment: Mapping[str, Any]
    type_text: str | None  # x-data-type, or derived from the parent's nested type
    ctype: CanonicalType | None  # type_text read in its document's dialect
    own_type: bool
    json_types: frozenset[str]
    fmt: str | None
    kind: str | None  # struct / array / map for nested columns
    required: bool  # by the schema alone
    element: bool  # `[]` or `{}`: exists exactly when its parent does

    @property
    def has_type_info(self) -> bool:
        return bool(self.type_text or self.json_types or self.kind)

    def describe_type(self) -> str:
        if self.type_text:
            return self.type_text
        if self.json_types:
            return "/".join(sorted(self.json_types)) + (f" ({self.fmt})" if self.fmt else "")
        return "untyped"


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return prefix + name if name in ("[]", "{}") else f"{prefix}.{name}"


def columns_of(doc: Mapping[str, Any], only: set[str] | None = None) -> dict[str, Column]:
    """Every column and nested field of a document, in document order; with `only`, just
    those top-level columns and what they hold."""
    dialect = str(doc.get("dialect") or "generic")
    out: dict[str, Column] = {}
    schema = doc.get("schema")
    if isinstance(schema, Mapping):
        _walk_members(schema, "", None, dialect, out, only)
    return out


def _walk_members(frag: Mapping[str, Any], prefix: str, ctype: CanonicalType | None,
                  dialect: str, out: dict[str, Column], only: set[str] | None = None) -> None:
    props = frag.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = set(frag.get("required") or ())
    derived: dict[str, CanonicalType] = {}
    names = list(props) if only is None else [n for n in props if n in only]
    if ctype is not None and ctype.name == "struct":
        for name, member in ctype.fields:
            derived[name] = member
            if name not in props:
                names.append(name)
    for name in names:
        member = props.get(name)
        _add(_join(prefix, name), prefix, name, member if isinstance(member, Mapping) else {},
             derived.get(name), name in required, dialect, out)


def _add(path: str, parent: str, name: str, frag: Mapping[str, Any],
         derived: CanonicalType | None, in_required: bool, dialect: str,
         out: dict[str, Column]) -> None:
    text = frag.get("x-data-type")
    ctype: CanonicalType | None = None
    own = isinstance(text, str) and bool(text.strip())
    if own:
        ctype = parse_type(text, dialect)
    elif derived is not None:
        ctype, text = derived, type_to_text(derived)
    else:
        text = None
    raw = frag.get("type")
    types = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    json_types = frozenset(t for t in types if t != "null")
    element = name in ("[]", "{}")
    required = in_required or (bool(types) and "null" not in types)
    kind = _kind(frag, ctype, json_types)
    fmt = frag.get("format")
    out[path] = Column(path, parent, name, frag, text, ctype, own, json_types,
                       fmt if isinstance(fmt, str) else None, kind, required, element)
    if kind == "struct":
        _walk_members(frag, path, ctype if ctype and ctype.name == "struct" else None,
                      dialect, out)
    elif kind == "array":
        items = frag.get("items")
        element_type = ctype.element if ctype is not None and ctype.name == "array" else None
        _add(_join(path, "[]"), path, "[]", items if isinstance(items, Mapping) else {},
             element_type, False, dialect, out)
    elif kind == "map":
        values = frag.get("additionalProperties")
        value_type = ctype.value if ctype is not None and ctype.name == "map" else None
        _add(_join(path, "{}"), path, "{}", values if isinstance(values, Mapping) else {},
             value_type, False, dialect, out)


def _kind(frag: Mapping[str, Any], ctype: CanonicalType | None,
          json_types: frozenset[str]) -> str | None:
    if ctype is not None and ctype.name in _NESTED:
        return ctype.name
    if ctype is not None and ctype.name != "unknown":
        return None
    if isinstance(frag.get("properties"), Mapping):
        return "struct"
    if isinstance(frag.get("items"), Mapping) or json_types == {"array"}:
        return "array"
    if isinstance(frag.get("additionalProperties"), Mapping):
        return "map"
    return None


def required_by_guarantee(guarantees: Mapping[str, Any]) -> set[str]:
    """Paths a not-null guarantee makes required (error severity, on every row)."""
    return {g.column for g in guarantees.values()
            if g.kind == "not_null" and g.column and g.strict}


def _change(rule: str, path: str, old: Any, new: Any, message: str) -> Change:
    return Change(rule, path, old, new, RULES_BY_ID[rule].breaks_under, message)


class _Differ:
    def __init__(self, old: dict[str, Column], new: dict[str, Column],
                 dialects: tuple[str, str]) -> None:
        self.old, self.new, self.dialects = old, new, dialects
        self.covered: set[str] = set()
        self.changes: list[Change] = []

    def is_covered(self, column: Column) -> bool:
        parent = column.parent
        while parent:
            if parent in self.covered:
                return True
            holder = self.old.get(parent) or self.new.get(parent)
            parent = holder.parent if holder else ""
        return False

    def emit(self, rule: str, path: str, old: Any, new: Any, message: str) -> None:
        self.changes.append(_change(rule, path, old, new, message))


def structure_changes(
    old_cols: dict[str, Column],
    new_cols: dict[str, Column],
    dialects: tuple[str, str],
    top_level_orders: tuple[list[str], list[str]],
    old_guarded: set[str],
    new_guarded: set[str],
    not_null_paths: set[str],
    enum_guarded: set[str],
) -> list[Change]:
    """Changes of parts 1-3. `*_guarded` are paths a not-null guarantee makes required;
    `not_null_paths` and `enum_guarded` are paths where a guarantee (on either side) decides
    nullability or accepted values, so the schema side is not counted again. The column
    maps may hold only the changed top-level columns; `top_level_orders` are the complete
    column orders, for COLUMN_MOVED."""
    d = _Differ(old_cols, new_cols, dialects)
    for path, old in old_cols.items():
        new = new_cols.get(path)
        if (new is not None and old.kind != new.kind and old.has_type_info
                and new.has_type_info and not d.is_covered(old)):
            d.emit("TYPE_CHANGED", path, old.describe_type(), new.describe_type(),
                   f"`{path}` changed from {old.describe_type()} to {new.describe_type()}: "
                   f"{old.kind or 'scalar'} and {new.kind or 'scalar'} are not compatible.")
            d.covered.add(path)
    for path, col in old_cols.items():
        if path not in new_cols and not d.is_covered(col):
            required = col.required or path in old_guarded
            rule = "COLUMN_REMOVED_REQUIRED" if required else "COLUMN_REMOVED"
            d.emit(rule, path, col.describe_type(), None,
                   f"{_what(col)} `{path}` ({col.describe_type()}, "
                   f"{'required' if required else 'nullable'}) was removed.")
            d.covered.add(path)
    for path, col in new_cols.items():
        if path not in old_cols and not d.is_covered(col):
            required = col.required or path in new_guarded
            rule = "COLUMN_ADDED_REQUIRED" if required else "COLUMN_ADDED"
            d.emit(rule, path, None, col.describe_type(),
                   f"{_what(col)} `{path}` ({col.describe_type()}, "
                   f"{'required' if required else 'nullable'}) was added.")
            d.covered.add(path)
    for path, old in old_cols.items():
        new = new_cols.get(path)
        if new is None or path in d.covered or d.is_covered(old):
            continue
        if old.kind is None and new.kind is None:
            _compare_scalar_types(d, path, old, new)
        elif old.own_type and new.own_type:
            _compare_containers(d, path, old, new)
        if path not in not_null_paths and old.required != new.required:
            rule = "NULLABILITY_TIGHTENED" if new.required else "NULLABILITY_RELAXED"
            d.emit(rule, path, "required" if old.required else "nullable",
                   "required" if new.required else "nullable",
                   f"`{path}` became {'required (NOT NULL)' if new.required else 'nullable'}.")
        _compare_domain(d, path, old, new, path in enum_guarded)
        _compare_annotations(d, path, old, new)
    _moved_columns(d, top_level_orders)
    return d.changes


def _what(col: Column) -> str:
    return "Nested field" if col.parent else "Column"


def _relation(d: _Differ, old: Column, new: Column) -> TypeRelation:
    """Each side read in its own document's dialect (the same text may differ across)."""
    old_dialect, new_dialect = d.dialects
    if old_dialect == new_dialect:
        return compare_types(str(old.type_text), str(new.type_text), new_dialect)
    assert old.ctype is not None and new.ctype is not None
    relation = compare_canonical(old.ctype, new.ctype)
    if relation is TypeRelation.SAME and old.type_text != new.type_text:
        return TypeRelation.SYNONYM
    return relation


def _compare_containers(d: _Differ, path: str, old: Column, new: Column) -> None:
    """Struct, array and map compare through their members; only the container itself
    (a fixed array size, a map key) is compared here."""
    relation = _relation(d, old, new)
    if relation in (TypeRelation.WIDENED, TypeRelation.NARROWED, TypeRelation.CHANGED):
        d.emit(_TYPE_RULES[relation], path, old.type_text, new.type_text,
               f"`{path}` changed from {old.type_text} to {new.type_text} "
               f"({relation.name.lower()}).")


def _compare_scalar_types(d: _Differ, path: str, old: Column, new: Column) -> None:
    declared = (bool(old.type_text or old.json_types), bool(new.type_text or new.json_types))
    if declared[0] != declared[1]:
        # a declared type lost is no widening, nor one gained a narrowing: the promise
        # itself changed (compatibility-extensions.md)
        what = (f"lost its declared type {old.describe_type()}: the promised type is gone"
                if declared[0] else f"gained a declared type {new.describe_type()}")
        d.emit("TYPE_CHANGED", path, old.describe_type() if declared[0] else None,
               new.describe_type() if declared[1] else None, f"`{path}` {what}.")
        return
    if old.type_text and new.type_text:
        relation = _relation(d, old, new)
        rule = _TYPE_RULES.get(relation)
        if rule:
            d.emit(rule, path, old.type_text, new.type_text,
                   f"`{path}` changed type from {old.type_text} to {new.type_text}"
                   f"{_RELATION_WORDS.get(relation, '')}.")
        return
    before, after = old.json_types, new.json_types
    if before == after and old.fmt == new.fmt:
        return
    if not before and not after:
        return
    if before == {"integer"} and after == {"number"} and old.fmt == new.fmt:
        rule = "TYPE_WIDENED"
    elif before == {"number"} and after == {"integer"} and old.fmt == new.fmt:
        rule = "TYPE_NARROWED"
    else:
        rule = "TYPE_CHANGED"
    d.emit(rule, path, old.describe_type(), new.describe_type(),
           f"`{path}` changed type from {old.describe_type()} to {new.describe_type()}.")


def _compare_domain(d: _Differ, path: str, old: Column, new: Column, enum_guarded: bool) -> None:
    narrowed, widened = domain_changes(old.fragment, old.type_text, new.fragment,
                                       new.type_text, enum_guarded)
    if narrowed:
        d.emit("DOMAIN_NARROWED", path, None, None,
               f"The allowed values of `{path}` shrank: {'; '.join(narrowed)}.")
    if widened:
        d.emit("DOMAIN_WIDENED", path, None, None,
               f"The allowed values of `{path}` grew: {'; '.join(widened)}.")


def _compare_annotations(d: _Differ, path: str, old: Column, new: Column) -> None:
    if old.fragment.get("description") != new.fragment.get("description"):
        d.emit("DESCRIPTION", path, old.fragment.get("description"),
               new.fragment.get("description"), f"The description of `{path}` changed.")
    keys = [k for k in (*old.fragment, *new.fragment)
            if k not in _KNOWN_KEYS and k not in PROVENANCE_KEYS]
    changed = sorted({k for k in keys if old.fragment.get(k) != new.fragment.get(k)})
    if changed:
        d.emit("META", path, None, None, f"`{path}` metadata changed: {', '.join(changed)}.")


def _moved_columns(d: _Differ, top_level: tuple[list[str], list[str]]) -> None:
    """Columns outside the longest common subsequence of the two orders moved."""
    old_top, new_top = top_level
    old_names, new_names = set(old_top), set(new_top)
    old_order: dict[str, list[str]] = {"": [n for n in old_top if n in new_names]}
    new_order: dict[str, list[str]] = {"": [n for n in new_top if n in old_names]}
    for col in d.old.values():
        if col.parent and col.path in d.new and not col.element:
            old_order.setdefault(col.parent, []).append(col.path)
    for col in d.new.values():
        if col.parent and col.path in d.old and not col.element:
            new_order.setdefault(col.parent, []).append(col.path)
    for parent, before in old_order.items():
        after = new_order.get(parent, [])
        if before == after:
            continue
        kept = _longest_common_subsequence(before, after)
        for path in before:
            if path not in kept:
                d.emit("COLUMN_MOVED", path, before.index(path) + 1, after.index(path) + 1,
                       f"`{path}` moved from position {before.index(path) + 1} to "
                       f"{after.index(path) + 1} among the columns both versions share.")


def _longest_common_subsequence(a: list[str], b: list[str]) -> set[str]:
    """The longest common subsequence of two orders of the same names: the longest
    increasing run of b-positions taken in a's order (patience sorting, n log n)."""
    import bisect

    position = {name: i for i, name in enumerate(b)}
    tails: list[int] = []  # tails[k]: smallest b-position ending an increasing run of k+1
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(a)
    for i, name in enumerate(a):
        p = position[name]
        k = bisect.bisect_left(tails, p)
        if k == len(tails):
            tails.append(p)
            tail_index.append(i)
        else:
            tails[k] = p
            tail_index[k] = i
        previous[i] = tail_index[k - 1] if k else -1
    kept: set[str] = set()
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        kept.add(a[i])
        i = previous[i]
    return kept
