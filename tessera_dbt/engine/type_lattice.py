"""How two warehouse types relate on the lattice of compatibility.md, "Warehouse types":
same, synonym, widened, narrowed or changed (chains included)."""

from __future__ import annotations

import enum
from functools import lru_cache

from .warehouse_types import CanonicalType, parse_type


class TypeRelation(enum.Enum):
    """How a new type relates to an old one (compatibility.md, "Warehouse types")."""

    SAME = "same"  # identical text after trimming; for two nested types, same container
    SYNONYM = "synonym"  # different spelling of the same canonical type
    WIDENED = "widened"  # every old value fits losslessly in the new type
    NARROWED = "narrowed"  # the reverse of a widening
    CHANGED = "changed"  # anything else


_INT_RANK = {"tinyint": 0, "smallint": 1, "int": 2, "bigint": 3, "hugeint": 4}
_DIGITS = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19, "hugeint": 39,
           "utinyint": 3, "usmallint": 5, "uint": 10, "ubigint": 20, "uhugeint": 39}


def _widens(a: CanonicalType, b: CanonicalType) -> bool:
    """True when a -> b is a widening (a != b); each rule is closed under chaining."""
    if a.name in _INT_RANK and b.name in _INT_RANK:
        return _INT_RANK[a.name] < _INT_RANK[b.name]
    if a.name in _DIGITS and b.name == "decimal":
        return not b.params or b.params[0] - b.params[1] >= _DIGITS[a.name]
    if a.name == b.name == "decimal":  # () is PostgreSQL's unbounded numeric
        if not a.params or not b.params:
            return not b.params
        (p, s), (q, r) = a.params, b.params
        return q - r >= p - s and r >= s
    if a.name == b.name == "varchar":
        if not a.params or not b.params:
            return not b.params
        return b.params[0] > a.params[0]
    if (a.name, b.name) in (("real", "double"), ("date", "timestamp")):
        return True
    if a.name == b.name and a.name in ("timestamp", "timestamptz") and a.params and b.params:
        return b.params[0] > a.params[0]
    return False


def compare_canonical(old: CanonicalType, new: CanonicalType) -> TypeRelation:
    """Like compare_types, for parsed types (e.g. members): equal types are SAME.

    >>> compare_canonical(parse_type("date"), parse_type("timestamp(3)")).name
    'WIDENED'
    """
    if old.is_nested() and new.is_nested():
        return _compare_containers(old, new)
    if old == new:
        return TypeRelation.SAME
    if _widens(old, new):
        return TypeRelation.WIDENED
    return TypeRelation.NARROWED if _widens(new, old) else TypeRelation.CHANGED


def _compare_containers(a: CanonicalType, b: CanonicalType) -> TypeRelation:
    """Containers only; members are compared by the caller through member_types."""
    if a.name != b.name or a.params != b.params:
        return TypeRelation.CHANGED
    if a.name == "map" and a.key is not None and b.key is not None:
        if a.key.is_nested() or b.key.is_nested():  # the key is no member: compare it whole
            return TypeRelation.SAME if a.key == b.key else TypeRelation.CHANGED
        return compare_canonical(a.key, b.key)
    return TypeRelation.SAME


@lru_cache(maxsize=1 << 16)
def compare_types(old: str, new: str, dialect: str = "generic") -> TypeRelation:
    """How `new` relates to `old`, per the lattice in compatibility.md.

    SAME when the texts are equal after trimming, SYNONYM when they differ but mean one type.
    When both are struct, array or map, only the containers are compared: SAME, or CHANGED for
    struct -> array or a new fixed array size, or the key's relation for maps; the members are
    the caller's to compare, path by path, through member_types and compare_canonical.
    Unknown types compare by normalised text.

    >>> compare_types("int", "bigint").name, compare_types("INT", "NUMBER(38,0)", "snowflake").name
    ('WIDENED', 'SYNONYM')
    >>> compare_types("timestamp", "timestamptz").name
    'CHANGED'
    """
    if old.strip() == new.strip():
        return TypeRelation.SAME
    a, b = parse_type(old, dialect), parse_type(new, dialect)
    relation = compare_canonical(a, b)
    if relation is TypeRelation.SAME and not (a.is_nested() and b.is_nested()):
        return TypeRelation.SYNONYM
    return relation
