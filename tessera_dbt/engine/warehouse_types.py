"""Warehouse types: parse a dbt `data_type` into a canonical type (compared in
`type_lattice`).

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

import re
from dataclasses import dataclass
from functools import lru_cache

from .type_dialects import DIALECTS, MAX_LENGTH, PARAM_KIND, TABLES, UNBOUNDED

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


_LITERAL = re.compile(r"('(?:[^']|'')*')")


def _norm(text: str) -> str:
    """An unparsed type compared exactly: case and spacing are folded outside string
    literals only, so enum('placed') and enum('PLACED') stay different types."""
    pieces = _LITERAL.split(text)
    return "".join(piece if i % 2 else re.sub(r"\s+", " ", piece.lower())
                   for i, piece in enumerate(pieces)).strip()


def _unknown(text: str) -> CanonicalType:
    return CanonicalType("unknown", text=_norm(text))


def _one_int(params: tuple) -> bool:
    return len(params) == 1 and isinstance(params[0], int)


def _resolve(key: str, params: tuple | str | None, dialect: str) -> CanonicalType | None:
    """A scalar from its lower-case words and parenthesised params; None when unknown."""
    spec = TABLES[dialect].get(key)
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
    elif name not in PARAM_KIND:
        return None
    kind = PARAM_KIND.get(name)
    if kind == "ps":
        params = (params[0], 0) if len(params) == 1 else params
        if len(params) not in (0, 2) or "max" in params:
            return None
    elif kind == "n":
        if len(params) > 1:
            return None
        n = params[0] if params else None
        n = MAX_LENGTH.get(dialect) if n == "max" else n
        n = None if n == UNBOUNDED.get((dialect, name)) else n
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
def parse_with_slices(text: str, dialect: str) -> tuple[CanonicalType, tuple[str, ...]]:
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
    text = data_type if isinstance(data_type, str) else ""
    return parse_with_slices(text, _check_dialect(dialect))[0]


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
