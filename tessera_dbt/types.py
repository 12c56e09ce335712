"""Warehouse types: parse a dbt `data_type` into a canonical type and compare two of them.

Pure and stdlib-only; parse results are cached because this runs for every column of large
manifests. The lattice is compatibility.md, "Warehouse types". Dialect decisions:

- `generic` and `postgres` share one table (PostgreSQL, plus common names such as `string`,
  `int64`, `hugeint`): bare `numeric` is unbounded, `float` is `double`, `float(p≤24)` is `real`.
- duckdb: `VARCHAR(n)` keeps its length although DuckDB does not enforce it (the contract
  promises what is written); `CHAR(n)`/`TEXT` are `varchar(n)`/`varchar`, `FLOAT` is `real`,
  `DECIMAL` is `decimal(18,3)`, `TIMESTAMP_S/MS/NS` are `timestamp(0/3/9)`, `INT[3]` keeps its
  size. Unsigned integers widen only to a decimal.
- snowflake: every integer name is `decimal(38,0)`, every float name is `double`, `VARCHAR`
  unbounded = `varchar(16777216)`, `CHAR(n)` is `varchar(n)`, `TIMESTAMP`/`_NTZ` = `timestamp(9)`,
  `TIMESTAMP_TZ` = `timestamptz(9)`, and `TIMESTAMP_LTZ` is its own `timestamp_ltz(9)` (a TZ value
  keeps its offset, an LTZ one does not, so TZ ↔ LTZ is a change). Bare `ARRAY` is `variant[]`,
  bare `OBJECT` is `map(varchar, variant)`.
- bigquery: all integer names are `bigint`, `DATETIME` = `timestamp(6)`, `TIMESTAMP` =
  `timestamptz(6)`. spark: `timestamp` (= `timestamp_ltz`, an instant) is `timestamptz(6)`,
  `timestamp_ntz` is `timestamp(6)`, `float` is `real`, `decimal` is `decimal(10,0)`.
- redshift: `varchar`/`text` = `varchar(256)`, `varchar(max)` = `varchar(65535)`,
  `bpchar` = `char(256)`, `super` is `variant`.
- Unquoted struct member names are lower-cased (every dialect resolves them case-insensitively);
  quoted and backticked names keep their inner text. Unnamed BigQuery members are `_field_<i>`.
- Precision widening applies to `timestamptz(p)` as to `timestamp(p)`; `char(n)`, `time(p)` and
  unsigned integers have no widening; an unbounded `numeric` is wider than every decimal.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

DIALECTS = ("generic", "duckdb", "postgres", "snowflake", "bigquery", "spark", "redshift")
_DIALECT_ALIASES = {"databricks": "spark"}

_FAMILIES = {
    **dict.fromkeys(("tinyint", "smallint", "int", "bigint", "hugeint", "utinyint", "usmallint",
                     "uint", "ubigint", "uhugeint"), "integer"),
    "decimal": "decimal", "real": "float", "double": "float", "varchar": "string",
    "char": "string", "boolean": "boolean", "date": "date", "timestamp": "timestamp",
    "timestamptz": "timestamp", "timestamp_ltz": "timestamp", "time": "time", "timetz": "time",
    "struct": "struct", "array": "array", "map": "map", "json": "json", "jsonb": "json",
    "variant": "json",
}


@dataclass(frozen=True)
class CanonicalType:
    """A warehouse type with dialect spellings and defaults resolved.

    >>> t = parse_type("NUMBER", "snowflake")
    >>> t.name, t.params, t.family
    ('decimal', (38, 0), 'decimal')
    """

    name: str
    params: tuple = ()
    fields: tuple[tuple[str, CanonicalType], ...] = ()
    element: CanonicalType | None = None
    key: CanonicalType | None = None
    value: CanonicalType | None = None
    text: str = ""  # normalised source text, set only when name == "unknown"

    @property
    def family(self) -> str:
        """The coarse kind: integer, decimal, float, string, ..., json or other."""
        return _FAMILIES.get(self.name, "other")

    def is_nested(self) -> bool:
        """True for struct, array and map, which are compared through their members."""
        return self.name in ("struct", "array", "map")


class TypeRelation(enum.Enum):
    """How a new type relates to an old one (compatibility.md, "Warehouse types")."""

    SAME = "same"  # identical text after trimming; for two nested types, same container
    SYNONYM = "synonym"  # different spelling of the same canonical type
    WIDENED = "widened"  # every old value fits losslessly in the new type
    NARROWED = "narrowed"  # the reverse of a widening
    CHANGED = "changed"  # anything else


def _table(spec: dict[str, str]) -> dict[str, tuple[str, tuple]]:
    """{"decimal(18,3)": "decimal, numeric"} -> {"decimal": ("decimal", (18, 3)), ...}."""
    out = {}
    for target, aliases in spec.items():
        name, _, rest = target.partition("(")
        default = tuple(int(p) for p in rest.rstrip(")").split(",")) if rest else ()
        out.update({alias.strip(): (name, default) for alias in aliases.split(",")})
    return out


_GENERIC = _table({
    "tinyint": "tinyint, int1", "smallint": "smallint, int2, int16, smallserial, serial2",
    "int": "int, integer, int4, int32, serial, serial4",
    "bigint": "bigint, int8, int64, bigserial, serial8", "hugeint": "hugeint, int128",
    "decimal": "decimal, numeric", "real": "real, float4",
    "double": "double, double precision, float8, float, float64",
    "varchar": "varchar, character varying, char varying, text, string",
    "char(1)": "char, character", "char": "bpchar", "boolean": "boolean, bool", "date": "date",
    "timestamp(6)": "timestamp, timestamp without time zone, datetime",
    "timestamptz(6)": "timestamptz, timestamp with time zone", "timestamp_ltz(6)": "timestamp_ltz",
    "time(6)": "time, time without time zone", "timetz(6)": "timetz, time with time zone",
    "interval": "interval", "binary": "bytea, blob, binary, varbinary, bytes", "uuid": "uuid",
    "json": "json", "jsonb": "jsonb", "variant": "variant",
})
_OVERRIDES = {
    "duckdb": {
        "utinyint": "utinyint, uint8", "usmallint": "usmallint, uint16",
        "uint": "uinteger, uint32", "ubigint": "ubigint, uint64", "uhugeint": "uhugeint, uint128",
        "smallint": "short", "int": "signed", "bigint": "long", "boolean": "logical",
        "decimal(18,3)": "decimal, numeric", "real": "real, float4, float",
        "varchar": "varchar, char, character, bpchar, text, string, nvarchar",
        "timestamp(0)": "timestamp_s", "timestamp(3)": "timestamp_ms",
        "timestamp(6)": "timestamp_us", "timestamp(9)": "timestamp_ns",
    },
    "snowflake": {
        "decimal(38,0)": "number, numeric, decimal, int, integer, bigint, smallint, tinyint, "
                         "byteint",
        "double": "float, float4, float8, double, double precision, real",
        "varchar": "varchar, string, text, character varying, char varying, nvarchar, nvarchar2",
        "varchar(1)": "char, character, nchar", "binary": "binary, varbinary",
        "timestamp(9)": "timestamp, timestamp_ntz, timestampntz, datetime, "
                        "timestamp without time zone",
        "timestamptz(9)": "timestamp_tz, timestamptz, timestamp with time zone",
        "timestamp_ltz(9)": "timestamp_ltz, timestampltz, timestamp with local time zone",
        "time(9)": "time", "array": "array", "map": "object", "geography": "geography",
        "geometry": "geometry",
    },
    "bigquery": {
        "bigint": "int64, int, integer, smallint, bigint, tinyint, byteint",
        "decimal(38,9)": "numeric, decimal", "decimal(76,38)": "bignumeric, bigdecimal",
        "double": "float64, float", "varchar": "string", "binary": "bytes",
        "timestamp(6)": "datetime", "timestamptz(6)": "timestamp", "geography": "geography",
    },
    "spark": {
        "varchar": "string", "tinyint": "tinyint, byte", "smallint": "smallint, short",
        "bigint": "bigint, long", "decimal(10,0)": "decimal, dec, numeric", "real": "float, real",
        "timestamptz(6)": "timestamp, timestamp_ltz", "timestamp(6)": "timestamp_ntz",
    },
    "redshift": {
        "decimal(18,0)": "decimal, numeric", "double": "float, float8, double precision",
        "varchar(256)": "varchar, character varying, nvarchar, text", "char(256)": "bpchar",
        "char(1)": "char, character, nchar", "variant": "super",
        "binary": "varbyte, varbinary, binary varying", "geography": "geography",
        "geometry": "geometry",
    },
}
_TABLES = {d: {**_GENERIC, **_table(_OVERRIDES.get(d, {}))} for d in DIALECTS}
_PARAM_KIND = {"decimal": "ps", "varchar": "n", "char": "n", "binary": "n", "timestamp": "p",
               "timestamptz": "p", "timestamp_ltz": "p", "time": "p", "timetz": "p"}
_MAX_LENGTH = {"redshift": 65535}  # varchar(max); elsewhere max means unbounded
_UNBOUNDED = {("snowflake", "varchar"): 16777216, ("snowflake", "binary"): 8388608}
_VARIANT = CanonicalType("variant")
_SEMI = {"array": CanonicalType("array", element=_VARIANT),
         "map": CanonicalType("map", key=CanonicalType("varchar"), value=_VARIANT)}

_WORD, _QUOTED, _STRING, _NUMBER, _PUNCT = "word", "quoted", "string", "number", "punct"
_TOKEN = re.compile(r"""\s*(?:(?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`)|(?P<string>'(?:[^']|'')*')
    |(?P<number>\d+)|(?P<word>[^\W\d][\w$]*)|(?P<punct>[()<>\[\],:]))""", re.X)
_CLOSE = {"(": ")", "<": ">"}
_STOP = {"not", "null", "comment", "collate", "array"}  # words that end a scalar type name


class _Fail(Exception):
    """The text is not a type we can read; the caller turns it into an unknown type."""


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _unknown(text: str) -> CanonicalType:
    return CanonicalType("unknown", text=_norm(text))


def _one_int(params: tuple) -> bool:
    return len(params) == 1 and isinstance(params[0], int)


def _resolve(key: str, params: tuple | str | None, dialect: str) -> CanonicalType | None:
    """A scalar from its lower-case words and parenthesised params; None when unknown."""
    spec = _TABLES[dialect].get(key)
    if spec is None:
        if key.startswith("_") and params is None and dialect in ("generic", "postgres"):
            element = _resolve(key[1:], None, dialect)  # PostgreSQL array names: _int4
            return element and CanonicalType("array", element=element)
        return None
    name, default = spec
    if name in _SEMI:
        return None if params is not None else _SEMI[name]
    if params == "complex":
        return None
    if params is None:
        params = default
    elif key == "float" and dialect in ("generic", "postgres") and _one_int(params):
        return CanonicalType("real" if params[0] <= 24 else "double")  # float(p) by precision
    elif name not in _PARAM_KIND:
        return None
    kind = _PARAM_KIND.get(name)
    if kind == "ps":
        params = (params[0], 0) if len(params) == 1 else params
        if len(params) not in (0, 2) or "max" in params:
            return None
    elif kind == "n":
        if len(params) > 1:
            return None
        n = params[0] if params else None
        n = _MAX_LENGTH.get(dialect) if n == "max" else n
        n = None if n == _UNBOUNDED.get((dialect, name)) else n
        params = () if n is None else (n,)
    elif kind == "p" and not _one_int(params):
        return None
    return CanonicalType(name, params)


class _Parser:
    """Recursive descent over tokens; types come out canonical, with members' source slices."""

    def __init__(self, text: str, dialect: str) -> None:
        self.text, self.dialect, self.toks, self.i = text, dialect, [], 0
        pos, end = 0, len(text.rstrip())
        while pos < end:
            m = _TOKEN.match(text, pos)
            if not m:
                raise _Fail
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind), m.start(kind), m.end()))
            pos = m.end()

    def peek(self, ahead: int = 0) -> tuple[str, str, int, int]:
        at = self.i + ahead
        return self.toks[at] if at < len(self.toks) else ("end", "", len(self.text), len(self.text))

    def take(self) -> tuple[str, str, int, int]:
        tok = self.peek()
        if tok[0] == "end":
            raise _Fail
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise _Fail

    def is_word(self, value: str, ahead: int = 0) -> bool:
        kind, text, _, _ = self.peek(ahead)
        return kind == _WORD and text.lower() == value

    def end(self) -> int:
        return self.toks[self.i - 1][3]

    def type_(self) -> tuple[CanonicalType, tuple[str, ...]]:
        kind, word, start, _ = self.peek()
        if kind != _WORD:
            raise _Fail
        word, opener = word.lower(), self.peek(1)[1] if self.peek(1)[0] == _PUNCT else ""
        if opener in _CLOSE and word in ("struct", "row", "object"):
            t, slices = self.struct()
        elif opener in _CLOSE and word in ("array", "list", "map"):
            self.i += 2
            first, text = self.member()
            if word == "map":
                self.expect(",")
                value, text = self.member()
                t = CanonicalType("map", key=first, value=value)
            else:
                t = CanonicalType("array", element=first)
            slices = (text,)
            self.expect(_CLOSE[opener])
        else:
            t, slices = self.scalar(start), ()
        while self.peek()[1] == "[" or self.is_word("array"):  # int[], int[3], int ARRAY[3]
            end, size = self.end(), ()
            if self.is_word("array"):
                self.take()
            if self.peek()[1] == "[":
                self.take()
                size = (int(self.take()[1]),) if self.peek()[0] == _NUMBER else ()
                self.expect("]")
            size = size if self.dialect == "duckdb" else ()  # only DuckDB has fixed-size arrays
            t, slices = CanonicalType("array", size, element=t), (self.text[start:end],)
        return t, slices

    def member(self) -> tuple[CanonicalType, str]:
        start = self.peek()[2]
        t, _ = self.type_()
        text = self.text[start:self.end()]
        self.modifiers()
        return t, text

    def struct(self) -> tuple[CanonicalType, tuple[str, ...]]:
        self.take()
        close = _CLOSE[self.take()[1]]
        fields, slices = [], []
        while self.peek()[1] != close:
            if fields:
                self.expect(",")
            kind, name, _, _ = self.peek()
            after = self.peek(1)
            if kind == _QUOTED:
                self.take()
                name = name[1:-1].replace(name[0] * 2, name[0])
            elif kind == _WORD and (after[1] == ":" or after[0] in (_WORD, _QUOTED)):
                self.take()
                name = name.lower()
            else:  # BigQuery allows unnamed members: STRUCT<INT64, STRING>
                name = f"_field_{len(fields) + 1}"
            if self.peek()[1] == ":":
                self.take()
            t, text = self.member()
            fields.append((name, t))
            slices.append(text)
        self.take()
        return CanonicalType("struct", fields=tuple(fields)), tuple(slices)

    def scalar(self, start: int) -> CanonicalType:
        words, params = [self.take()[1].lower()], None
        while True:
            kind, text, _, _ = self.peek()
            if text == "(" and kind == _PUNCT and params is None:
                params = self.params()
            elif kind == _WORD and text.lower() not in _STOP:
                words.append(self.take()[1].lower())
            else:
                break
        resolved = _resolve(" ".join(words), params, self.dialect)
        return resolved or _unknown(self.text[start:self.end()])

    def params(self) -> tuple | str:
        """(18, 3) -> (18, 3); (max) -> ("max",); anything else -> "complex"."""
        self.take()
        groups, depth = [[]], 0
        while True:
            kind, text, _, _ = self.take()
            if kind == _PUNCT and text in "()":
                depth += 1 if text == "(" else -1
                if depth < 0:
                    break
            if kind == _PUNCT and text == "," and depth == 0:
                groups.append([])
            else:
                groups[-1].append((kind, text.lower()))
        if all(len(g) == 1 and (g[0][0] == _NUMBER or g[0][1] == "max") for g in groups):
            return tuple(int(g[0][1]) if g[0][0] == _NUMBER else "max" for g in groups)
        return "complex"

    def modifiers(self) -> None:
        """Skip `NOT NULL`, `NULL`, `COMMENT '...'`, `COLLATE x`: not part of the type."""
        while True:
            if self.is_word("not") and self.is_word("null", 1):
                self.i += 2
            elif self.is_word("null"):
                self.i += 1
            elif self.is_word("comment") and self.peek(1)[0] == _STRING:
                self.i += 2
            elif self.is_word("collate") and self.peek(1)[0] in (_WORD, _QUOTED):
                self.i += 2
            else:
                return


def _check_dialect(dialect: str | None) -> str:
    name = (dialect or "generic").lower()
    name = _DIALECT_ALIASES.get(name, name)
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of: {', '.join(DIALECTS)}")
    return name


@lru_cache(maxsize=1 << 16)
def _parse(text: str, dialect: str) -> tuple[CanonicalType, tuple[str, ...]]:
    """The canonical type and the source text of its direct members, in member_types order."""
    try:
        parser = _Parser(text, dialect)
        parsed = parser.type_()
        parser.modifiers()
        if parser.i == len(parser.toks):
            return parsed
    except (_Fail, RecursionError):
        pass
    return _unknown(text), ()


def parse_type(data_type: str, dialect: str = "generic") -> CanonicalType:
    """Read a dbt `data_type` as the given dialect writes it; never raises on the text.

    Args:
        data_type: the type as written, e.g. "character varying(20)".
        dialect: one of DIALECTS (case-insensitive); an unknown dialect raises ValueError.

    Returns:
        The canonical type; text that is not a known type gives name "unknown".

    >>> type_to_text(parse_type("STRUCT(city VARCHAR, zip INTEGER[])", "duckdb"))
    'struct(city varchar, zip int[])'
    >>> parse_type("my_enum").text
    'my_enum'
    """
    return _parse(data_type if isinstance(data_type, str) else "", _check_dialect(dialect))[0]


def member_types(t: CanonicalType) -> list[tuple[str, CanonicalType]]:
    """Direct members with their path suffix: a struct field by name, "[]", "{}".

    >>> [(s, type_to_text(m)) for s, m in member_types(parse_type("map<string,int>", "spark"))]
    [('{}', 'int')]
    """
    if t.name == "struct":
        return list(t.fields)
    if t.name == "array" and t.element is not None:
        return [("[]", t.element)]
    if t.name == "map" and t.value is not None:
        return [("{}", t.value)]
    return []


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def type_to_text(t: CanonicalType) -> str:
    """The canonical spelling, which the generic dialect reads back as the same type.

    >>> type_to_text(parse_type("timestamp(3) with time zone", "postgres"))
    'timestamptz(3)'
    """
    if t.name == "unknown":
        return t.text
    if t.name == "struct":
        return "struct(" + ", ".join(f"{_ident(n)} {type_to_text(m)}" for n, m in t.fields) + ")"
    if t.name == "array" and t.element is not None:
        return type_to_text(t.element) + (f"[{t.params[0]}]" if t.params else "[]")
    if t.name == "map" and t.key is not None and t.value is not None:
        return f"map({type_to_text(t.key)}, {type_to_text(t.value)})"
    if t.name == "char" and not t.params:
        return "bpchar"  # plain `char` would read back as char(1)
    return t.name + (f"({','.join(str(p) for p in t.params)})" if t.params else "")


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


def to_json_schema(t: CanonicalType, data_type_text: str | None = None) -> dict:
    """A JSON Schema 2020-12 fragment for a value of type `t`, without nullability.

    Nested member fragments carry "x-data-type": the member's text as written in
    `data_type_text` when it can be sliced from it, else its canonical spelling.

    >>> to_json_schema(parse_type("ARRAY<STRING(10)>", "bigquery"), "ARRAY<STRING(10)>")
    {'type': 'array', 'items': {'type': 'string', 'maxLength': 10, 'x-data-type': 'STRING(10)'}}
    """
    members = member_types(t)
    texts = [type_to_text(m) for _, m in members]
    if data_type_text is not None and members:
        written, slices = _parse(data_type_text, "generic")  # slicing does not need the dialect
        aligned = [s for s, _ in member_types(written)] == [s for s, _ in members]
        if aligned and len(slices) == len(members):
            texts = list(slices)
    fragments = {suffix: {**to_json_schema(m, text), "x-data-type": text}
                 for (suffix, m), text in zip(members, texts, strict=True)}
    family = t.family
    if t.name == "struct":
        return {"type": "object", "properties": fragments}
    if t.name == "array":
        return {"type": "array", "items": fragments["[]"]}
    if t.name == "map":
        return {"type": "object", "additionalProperties": fragments["{}"]}
    if family == "integer" or (t.name == "decimal" and t.params and t.params[1] == 0):
        return {"type": "integer"}  # decimal(p,0), e.g. every Snowflake INT, holds integers
    if family in ("decimal", "float"):
        return {"type": "number"}
    if family == "string":
        return {"type": "string", **({"maxLength": t.params[0]} if t.params else {})}
    if family == "boolean":
        return {"type": "boolean"}
    formats = {"date": "date", "timestamp": "date-time", "time": "time"}
    if family in formats:
        return {"type": "string", "format": formats[family]}
    if t.name == "uuid":
        return {"type": "string", "format": "uuid"}
    if t.name == "binary":
        return {"type": "string", "contentEncoding": "base64"}
    return {}  # json, variant, interval, geography, unknown: any value
