"""Warehouse types: data-driven cases from tests/cases/types/*.yml, plus properties.

A case file is `{dialect: <default>, cases: [...]}`; each case is one of
- `{old, new, expect}`: compare_types (SYNONYM/CHANGED rows are also checked reversed, WIDENED
  rows reversed must be NARROWED);
- `{type, canonical?, name?, family?}`: parse_type, checked through type_to_text;
- `{type, members}`: member_types, as `[suffix, canonical text]` pairs;
- `{old, new, paths}`: the member paths a caller would report, column name `col`;
- `{type, schema}`: to_json_schema with the text as written.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import tessera_dbt.engine.json_schema as json_schema_module
import tessera_dbt.engine.type_lattice as lattice_module
import tessera_dbt.engine.warehouse_types as types_module
from tessera_dbt.engine.json_schema import to_json_schema
from tessera_dbt.engine.type_lattice import TypeRelation, compare_canonical, compare_types
from tessera_dbt.engine.warehouse_types import (
    DIALECTS,
    CanonicalType,
    member_types,
    parse_type,
    type_to_text,
)

CASE_DIR = Path(__file__).parents[1] / "cases" / "types"
KEYS = {"dialect", "old", "new", "expect", "type", "canonical", "name", "family", "members",
        "paths", "schema"}
REVERSED = {"WIDENED": "NARROWED", "NARROWED": "WIDENED", "SYNONYM": "SYNONYM",
            "CHANGED": "CHANGED"}


def _load() -> list:
    params = []
    for path in sorted(CASE_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text())
        for case in document["cases"]:
            case = {"dialect": document.get("dialect", "generic"), **case}
            # an unquoted comma in a flow mapping splits the value: catch it here
            assert case.keys() <= KEYS and None not in case.values(), f"{path.name}: {case}"
            label = f"{path.stem}:{case['dialect']}:"
            if "type" in case:
                label += repr(case["type"])
            else:
                label += f"{case['old']!r}->{case['new']!r}"
            params.append(pytest.param(case, id=label))
            # the reverse of each widening is a narrowing; synonyms and changes are symmetric
            if path.stem in ("widening", "synonyms", "changed") and case["expect"] != "SAME":
                back = {**case, "old": case["new"], "new": case["old"],
                        "expect": REVERSED[case["expect"]]}
                params.append(pytest.param(back, id=label + ":reversed"))
    return params


CASES = _load()


def _paths(t: CanonicalType, path: str = "col") -> dict[str, CanonicalType]:
    """Every member path of a column, as a caller walks them (`col.a`, `col[]`, `col{}`)."""
    found = {path: t}
    for suffix, member in member_types(t):
        child = path + suffix if suffix in ("[]", "{}") else f"{path}.{suffix}"
        found.update(_paths(member, child))
    return found


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict) -> None:
    dialect = case["dialect"]
    if "expect" in case:
        assert compare_types(case["old"], case["new"], dialect).name == case["expect"]
    elif "paths" in case:
        old = _paths(parse_type(case["old"], dialect))
        new = _paths(parse_type(case["new"], dialect))
        found = {p: "REMOVED" for p in old.keys() - new.keys()}
        found.update({p: "ADDED" for p in new.keys() - old.keys()})
        for p in old.keys() & new.keys():
            relation = compare_canonical(old[p], new[p])
            if relation is not TypeRelation.SAME:
                found[p] = relation.name
        assert found == case["paths"]
    elif "members" in case:
        members = member_types(parse_type(case["type"], dialect))
        assert [[s, type_to_text(m)] for s, m in members] == case["members"]
    elif "schema" in case:
        schema = to_json_schema(parse_type(case["type"], dialect), case["type"])
        assert schema == case["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
    else:
        t = parse_type(case["type"], dialect)
        assert {"canonical", "name", "family"} & case.keys(), "a case must check something"
        if "canonical" in case:
            assert type_to_text(t) == case["canonical"]
        if "name" in case:
            assert t.name == case["name"]
        if "family" in case:
            assert t.family == case["family"]


def test_every_dialect_has_a_case_file_and_every_file_cases() -> None:
    stems = {p.stem for p in CASE_DIR.glob("*.yml")}
    assert {f"dialects_{d}" for d in DIALECTS} <= stems
    for path in CASE_DIR.glob("*.yml"):
        assert yaml.safe_load(path.read_text())["cases"], path.name


def test_docstring_examples_run() -> None:
    for module in (types_module, lattice_module, json_schema_module):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_dialect_names() -> None:
    assert parse_type("long", "Databricks") == parse_type("bigint", "spark")
    assert parse_type("int", None) == parse_type("int")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown dialect"):
        parse_type("int", "oracle")


def test_non_string_input_is_unknown() -> None:
    assert parse_type(None).name == "unknown"  # type: ignore[arg-type]


def test_deep_nesting_is_unknown_not_an_error() -> None:
    assert parse_type("array<" * 5000 + "int" + ">" * 5000, "spark").name == "unknown"


def test_parse_is_cached() -> None:
    assert parse_type("STRUCT(a INTEGER)", "duckdb") is parse_type("STRUCT(a INTEGER)", "duckdb")


# --- properties -------------------------------------------------------------------------------

SCALARS = [
    "int", "INTEGER", "int4", "bigint", "int8", "int64", "INT64", "smallint", "tinyint",
    "hugeint", "ubigint", "utinyint", "byteint", "number", "numeric", "decimal", "bignumeric",
    "real", "float", "float4", "float8", "float64", "double", "double precision", "varchar",
    "character varying", "text", "string", "char", "bpchar", "nvarchar", "boolean", "bool",
    "date", "datetime", "timestamp", "timestamp_ntz", "timestamp_tz", "timestamp_ltz",
    "timestamptz", "timestamp with time zone", "timestamp without time zone", "time", "timetz",
    "timestamp_ms", "interval", "bytea", "blob", "bytes", "binary", "uuid", "json", "jsonb",
    "variant", "super", "object", "array", "geography", "my_enum", "_int4",
]


def _scalar() -> st.SearchStrategy[str]:
    name = st.sampled_from(SCALARS).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.title()]))
    size = st.integers(0, 80).map(str) | st.just("max")
    params = st.one_of(
        st.just(""),
        size.map(lambda n: f"({n})"),
        st.tuples(size, size).map(lambda ps: f"({ps[0]}, {ps[1]})"),
    )
    return st.tuples(name, params).map("".join)


def _field_name() -> st.SearchStrategy[str]:
    plain = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
    return plain | plain.map(lambda n: f'"{n} x"') | plain.map(lambda n: f"`{n}`")


TYPE_TEXT = st.recursive(
    _scalar(),
    lambda inner: st.one_of(
        inner.map(lambda t: f"{t}[]"),
        inner.map(lambda t: f"array<{t}>"),
        inner.map(lambda t: f"ARRAY({t})"),
        st.tuples(inner, inner).map(lambda kv: f"map({kv[0]}, {kv[1]})"),
        st.tuples(inner, inner).map(lambda kv: f"map<{kv[0]},{kv[1]}>"),
        st.lists(st.tuples(_field_name(), inner), min_size=1, max_size=3).map(
            lambda fs: "STRUCT(" + ", ".join(f"{n} {t}" for n, t in fs) + ")"),
        st.lists(st.tuples(_field_name(), inner), min_size=1, max_size=3).map(
            lambda fs: "struct<" + ",".join(f"{n}:{t}" for n, t in fs) + ">"),
    ),
    max_leaves=6,
)
GARBAGE = st.text(alphabet="()<>[],: \"`'abint0123", max_size=30)
ANY_TEXT = TYPE_TEXT | st.text(max_size=40) | GARBAGE
DIALECT = st.sampled_from(DIALECTS)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT, dialect=DIALECT)
def test_parse_never_raises_and_compares_to_itself_as_same(text: str, dialect: str) -> None:
    t = parse_type(text, dialect)
    assert isinstance(t, CanonicalType)
    assert compare_types(text, text, dialect) is TypeRelation.SAME
    assert compare_canonical(t, t) is TypeRelation.SAME
    schema = to_json_schema(t, text)
    jsonschema.Draft202012Validator.check_schema(schema)
    if t.name == "unknown":  # case and spacing folded, except inside string literals
        folded = " ".join(text.lower().split())
        assert t.text == folded if "'" not in text else t.text.lower().split() == folded.split()


@settings(max_examples=400, deadline=None)
@given(a=ANY_TEXT, b=ANY_TEXT, dialect=DIALECT)
def test_relations_are_consistent_both_ways(a: str, b: str, dialect: str) -> None:
    forward, backward = compare_types(a, b, dialect), compare_types(b, a, dialect)
    assert backward.name == {"SAME": "SAME", **REVERSED}[forward.name]


# a pool small enough that chains (a -> b -> c) come up often
LATTICE = ["tinyint", "smallint", "int", "bigint", "hugeint", "real", "double", "numeric",
           "varchar", "text", "date", "timestamp", "timestamptz"] + [
    f"decimal({p},{s})" for p in (3, 5, 10, 12, 20, 40) for s in (0, 2, 4)] + [
    f"varchar({n})" for n in (1, 10, 20)] + [f"timestamp({p})" for p in (0, 3, 6, 9)]


@settings(max_examples=600, deadline=None)
@given(a=st.sampled_from(LATTICE), b=st.sampled_from(LATTICE), c=st.sampled_from(LATTICE))
def test_widening_chains(a: str, b: str, c: str) -> None:
    if (compare_types(a, b) is TypeRelation.WIDENED
            and compare_types(b, c) in (TypeRelation.WIDENED, TypeRelation.SYNONYM)):
        assert compare_types(a, c) is TypeRelation.WIDENED


@settings(max_examples=300, deadline=None)
@given(text=TYPE_TEXT)
def test_canonical_text_reads_back_as_the_same_type(text: str) -> None:
    t = parse_type(text, "generic")
    assert parse_type(type_to_text(t)) == t
