"""Hypothesis strategies for contract documents (docs/interfaces.md) and edits to them.

Documents are generated from a small mutable model (plain dicts, so `copy.deepcopy` works)
and rendered into the documented shape, so that a struct's `x-data-type` always agrees with
its `properties`, and an edit such as "drop `address.zip`" changes both. The model:

- a column: {name, t, nullable, req, desc, dom, xdt, tstyle, extra}; `t` is a type:
  {"k": "scalar", text, json, fmt} | {"k": "struct", fields: [column]} |
  {"k": "array", items: column} | {"k": "map", key, values: column};
- a document: {dialect, compatibility, owner, description, version, columns, g, tests,
  consumers, provenance}; `g` holds the guarantees {nullability, accepted_values, freshness,
  custom} and `tests` the dbt test ids backing guarantees (rendered into `x-tests`).

`documents()` draws a model; `mutated(model)` derives a new model by a few random edits;
`render(model)` gives the contract document.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

DIALECTS = ("generic", "duckdb", "postgres", "snowflake", "bigquery", "spark", "redshift")
MODES = ("backward", "forward", "full", "none")
TRANSITIVE = ("backward_transitive", "forward_transitive", "full_transitive")
NAMES = (
    "order_id", "customer_id", "status", "amount", "currency", "created_at", "updated_at",
    "is_active", "email", "quantity", "price", "note", "channel", "region", "score",
    "shipped_on", "discount", "tags", "address", "items", "attrs", "city", "zip", "sku",
    "label", "source", "country", "line_no", "qty", "total", "event_ts", "user_name",
)
DESCRIPTIONS = (None, "Primary key.", "The order status.", "Amount in cents.",
                "When the row was loaded.", "Deprecated: use amount.")
ENUM_VALUES = ("placed", "shipped", "returned", "cancelled", "pending")
PATTERNS = ("^[A-Z]{3}$", "^[a-z]+$", "^\\d{5}$", ".+@.+")
OWNERS = ("commerce", "finance", "growth")
GARBAGE_TYPES = ("", "   ", "struct(", "int(", "map<", "varchar(20", "geometry(point, 4326)",
                 "my_enum", "array<struct<a:int>", "()", "decimal(max)", "float(53)",
                 "int NOT NULL", "_int4", "STRUCT<INT64, STRING>", "int[][]", "row(a int)",
                 "\"quoted\"", "varchar collate \"C\"", "interval", "uuid", "jsonb")


def _s(text: str, json: str, fmt: str | None = None) -> dict[str, Any]:
    return {"k": "scalar", "text": text, "json": json, "fmt": fmt}


_INT, _NUM, _STR, _BOOL = "integer", "number", "string", "boolean"
_FIXED: dict[str, list[dict[str, Any]]] = {
    "generic": [
        _s("bigint", _INT), _s("int", _INT), _s("integer", _INT), _s("smallint", _INT),
        _s("int4", _INT), _s("int8", _INT), _s("text", _STR), _s("varchar", _STR),
        _s("double precision", _NUM), _s("double", _NUM), _s("real", _NUM),
        _s("float8", _NUM), _s("numeric", _NUM), _s("date", _STR, "date"),
        _s("timestamp", _STR, "date-time"), _s("timestamptz", _STR, "date-time"),
        _s("timestamp with time zone", _STR, "date-time"),
        _s("timestamp(3)", _STR, "date-time"), _s("boolean", _BOOL), _s("bool", _BOOL),
    ],
    "duckdb": [
        _s("BIGINT", _INT), _s("INTEGER", _INT), _s("SMALLINT", _INT), _s("TINYINT", _INT),
        _s("HUGEINT", _INT), _s("UBIGINT", _INT), _s("VARCHAR", _STR), _s("TEXT", _STR),
        _s("DOUBLE", _NUM), _s("REAL", _NUM), _s("FLOAT", _NUM), _s("DATE", _STR, "date"),
        _s("TIMESTAMP", _STR, "date-time"), _s("TIMESTAMPTZ", _STR, "date-time"),
        _s("TIMESTAMP_MS", _STR, "date-time"), _s("BOOLEAN", _BOOL), _s("DECIMAL", _NUM),
    ],
    "snowflake": [
        _s("NUMBER(38,0)", _INT), _s("NUMBER", _INT), _s("INT", _INT), _s("BIGINT", _INT),
        _s("FLOAT", _NUM), _s("DOUBLE", _NUM), _s("VARCHAR", _STR), _s("TEXT", _STR),
        _s("STRING", _STR), _s("DATE", _STR, "date"), _s("TIMESTAMP_NTZ", _STR, "date-time"),
        _s("TIMESTAMP_TZ", _STR, "date-time"), _s("TIMESTAMP_LTZ", _STR, "date-time"),
        _s("BOOLEAN", _BOOL),
    ],
    "bigquery": [
        _s("INT64", _INT), _s("INTEGER", _INT), _s("NUMERIC", _NUM), _s("BIGNUMERIC", _NUM),
        _s("FLOAT64", _NUM), _s("STRING", _STR), _s("DATE", _STR, "date"),
        _s("DATETIME", _STR, "date-time"), _s("TIMESTAMP", _STR, "date-time"),
        _s("BOOL", _BOOL),
    ],
    "spark": [
        _s("bigint", _INT), _s("int", _INT), _s("smallint", _INT), _s("tinyint", _INT),
        _s("long", _INT), _s("string", _STR), _s("double", _NUM), _s("float", _NUM),
        _s("date", _STR, "date"), _s("timestamp", _STR, "date-time"),
        _s("timestamp_ntz", _STR, "date-time"), _s("boolean", _BOOL), _s("decimal", _NUM),
    ],
    "redshift": [
        _s("bigint", _INT), _s("integer", _INT), _s("smallint", _INT), _s("varchar", _STR),
        _s("text", _STR), _s("varchar(max)", _STR), _s("double precision", _NUM),
        _s("real", _NUM), _s("date", _STR, "date"), _s("timestamp", _STR, "date-time"),
        _s("timestamptz", _STR, "date-time"), _s("boolean", _BOOL),
    ],
}
_FIXED["postgres"] = _FIXED["generic"]
# (varchar spelling, decimal spelling, timestamp(p) spelling or None) per dialect
_PARAMETRISED = {
    "generic": ("varchar({})", "numeric({},{})", "timestamp({})"),
    "postgres": ("character varying({})", "decimal({},{})", "timestamptz({})"),
    "duckdb": ("VARCHAR({})", "DECIMAL({},{})", None),
    "snowflake": ("VARCHAR({})", "NUMBER({},{})", "TIMESTAMP_NTZ({})"),
    "bigquery": ("STRING({})", "NUMERIC({},{})", None),
    "spark": ("varchar({})", "decimal({},{})", None),
    "redshift": ("varchar({})", "numeric({},{})", None),
}
NESTED_DIALECTS = ("generic", "duckdb", "postgres", "bigquery", "spark")


# --- cheap draws: only cached primitive strategies, no strategy built per call -----------

def pick(draw: st.DrawFn, seq: Any) -> Any:
    """One element of a sequence; shrinks towards the first."""
    seq = list(seq)
    return seq[draw(st.integers(0, len(seq) - 1))]


def one_in(draw: st.DrawFn, n: int) -> bool:
    return draw(st.integers(0, n - 1)) == 0


def some(draw: st.DrawFn, seq: Any, min_size: int = 0, max_size: int = 3) -> list[Any]:
    """Distinct elements of `seq`, in a drawn order."""
    pool = list(seq)
    out = []
    for _ in range(draw(st.integers(min(min_size, len(pool)), min(max_size, len(pool))))):
        out.append(pool.pop(draw(st.integers(0, len(pool) - 1))))
    return out


def shuffled(draw: st.DrawFn, seq: list[Any]) -> list[Any]:
    pool, out = list(seq), []
    while pool:
        out.append(pool.pop(draw(st.integers(0, len(pool) - 1))))
    return out


def scalar_types(draw: st.DrawFn, dialect: str) -> dict[str, Any]:
    varchar, decimal, ts = _PARAMETRISED[dialect]
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return _s(varchar.format(pick(draw, ((2, 3, 10, 20, 50, 255)))), _STR)
    if choice == 1:
        p = draw(st.integers(4, 38))
        s = draw(st.integers(0, min(p, 6)))
        return _s(decimal.format(p, s), _INT if s == 0 else _NUM)
    if choice == 2 and ts:
        return _s(ts.format(pick(draw, ((0, 3, 6, 9)))), _STR, "date-time")
    return dict(pick(draw, (_FIXED[dialect])))


def garbage_type(draw: st.DrawFn) -> dict[str, Any]:
    text = pick(draw, GARBAGE_TYPES) if draw(st.booleans()) else draw(st.text(max_size=20))
    return _s(text, pick(draw, (_INT, _NUM, _STR, _BOOL)))


def _fresh_name(draw: st.DrawFn, taken: set[str]) -> str:
    free = [n for n in NAMES if n not in taken]
    if free and draw(st.integers(0, 9)):
        return pick(draw, (free))
    name = f"{pick(draw, ('col', 'attr', 'x', 'dim'))}_{draw(st.integers(0, 99))}"
    while name in taken:
        name += "_x"
    return name


def domains(draw: st.DrawFn, t: dict[str, Any], nullable: bool) -> dict[str, Any]:
    if t["k"] != "scalar" or draw(st.integers(0, 2)):
        return {}
    dom: dict[str, Any] = {}
    if t["json"] == _STR:
        if draw(st.booleans()):
            values = some(draw, ENUM_VALUES, 1, 4)
            dom["enum"] = values + ([None] if nullable and draw(st.booleans()) else [])
        if draw(st.booleans()):
            dom["maxLength"] = pick(draw, ((3, 10, 20, 50)))
        if draw(st.integers(0, 3)) == 0:
            dom["minLength"] = pick(draw, ((0, 1, 2)))
        if draw(st.integers(0, 2)) == 0:
            dom["pattern"] = pick(draw, (PATTERNS))
    elif t["json"] in (_INT, _NUM):
        if draw(st.booleans()):
            dom["minimum"] = pick(draw, ((0, 1, -100)))
        if draw(st.booleans()):
            dom["maximum"] = pick(draw, ((100, 1000, 99.5)))
        if draw(st.integers(0, 4)) == 0:
            dom["enum"] = some(draw, (1, 2, 3, 5), 1, 3)
    return dom


def types(draw: st.DrawFn, dialect: str, depth: int) -> dict[str, Any]:
    nested_ok = depth > 0 and dialect in NESTED_DIALECTS
    kinds = ["scalar"] * 6
    if nested_ok:
        kinds += ["struct", "array"] + (["map"] if dialect != "bigquery" else [])
    kind = pick(draw, (kinds))
    if kind == "scalar":
        if draw(st.integers(0, 30)) == 0:
            return garbage_type(draw)
        return scalar_types(draw, dialect)
    if kind == "struct":
        n = draw(st.integers(1, 3))
        taken: set[str] = set()
        fields = []
        for _ in range(n):
            name = _fresh_name(draw, taken)
            taken.add(name)
            fields.append(columns(draw, dialect, depth - 1, name))
        return {"k": "struct", "fields": fields}
    if kind == "array":
        return {"k": "array", "items": columns(draw, dialect, depth - 1, "[]")}
    return {"k": "map", "key": pick(draw, (("varchar", "varchar", "int", "bigint"))),
            "values": columns(draw, dialect, depth - 1, "{}")}


def columns(draw: st.DrawFn, dialect: str, depth: int, name: str) -> dict[str, Any]:
    t = types(draw, dialect, depth)
    nullable = draw(st.integers(0, 2)) > 0
    return {
        "name": name,
        "t": t,
        "nullable": nullable,
        "req": draw(st.integers(0, 3)) == 0,
        "desc": pick(draw, (DESCRIPTIONS)),
        "dom": domains(draw, t, nullable),
        "xdt": draw(st.integers(0, 8)) > 0,
        "tstyle": pick(draw, (("list", "list", "list", "str", "none"))),
        "extra": {},
    }


# --- guarantees ------------------------------------------------------------------------

def custom_key(entry: dict[str, Any]) -> str:
    """The identity of a custom guarantee (compatibility.md: kind plus column or name)."""
    subject = entry.get("column") or entry.get("name") or entry.get("expression")
    return f"{entry['type']}.{subject}" if subject else entry["type"]


def custom_entries(draw: st.DrawFn, cols: list[str]) -> dict[str, Any]:
    col = pick(draw, (cols))
    kind = draw(st.integers(0, 7))
    if kind == 0:
        entry: dict[str, Any] = {"type": "unique", "column": col}
    elif kind == 1:
        entry = {"type": "relationships", "column": col,
                 "to": pick(draw, (("dim_customers", "dim_products", "raw.orders"))),
                 "field": pick(draw, (("customer_id", "id")))}
    elif kind == 2:
        entry = {"type": "singular",
                 "name": pick(draw, (("assert_amount_positive", "assert_no_orphans"))),
                 "sql": pick(draw, ((
                     "select * from {{ ref('fct_orders') }} where amount < 0",
                     "select *\nfrom {{ ref('fct_orders') }}\nwhere amount < 0 -- negative",
                     "select * from {{ ref('fct_orders') }} where amount <= 0")))}
    elif kind == 3:
        entry = {"type": "dbt_expectations.expect_column_values_to_be_between", "column": col,
                 "kwargs": {"min_value": pick(draw, ((0, 1))),
                            **({"max_value": 1000} if draw(st.booleans()) else {})}}
    elif kind == 4:
        entry = {"type": "dbt_utils.expression_is_true",
                 "name": "dbt_utils_expression_is_true_fct_orders_amount",
                 "kwargs": {"expression": pick(draw, (("amount >= 0", "amount > 0")))}}
    elif kind == 5:
        entry = {"type": "not_null", "column": col}
    elif kind == 6:
        entry = {"type": "accepted_values", "column": col,
                 "values": some(draw, ENUM_VALUES, 1, 4)}
        if draw(st.booleans()):
            entry["quote"] = False
    else:
        entry = {"type": "check", "expression": "amount >= 0", "column": col}
    if kind in (5, 6) or draw(st.integers(0, 4)) == 0:
        entry["severity"] = pick(draw, (("warn", "error", "warn")))
    if kind in (5, 6) and "severity" not in entry or draw(st.integers(0, 5)) == 0:
        entry["where"] = pick(draw, (("status != 'test'", "created_at > '2020-01-01'")))
    return entry


def freshness(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for threshold in ("warn_after", "error_after"):
        if draw(st.booleans()) or (threshold == "error_after" and not out):
            out[threshold] = {"count": draw(st.integers(1, 48)),
                              "period": pick(draw, (("minute", "hour", "day")))}
    if draw(st.booleans()):
        out["loaded_at_field"] = "_loaded_at"
    return out


def guarantee_sets(draw: st.DrawFn, cols: list[str]) -> dict[str, Any]:
    g: dict[str, Any] = {"nullability": [], "accepted_values": {}, "freshness": None,
                         "custom": []}
    if draw(st.integers(0, 4)) == 0:
        return g
    g["nullability"] = some(draw, cols, 0, 3)
    for col in some(draw, cols, 0, 2):
        g["accepted_values"][col] = some(draw, ENUM_VALUES, 1, 4)
    if draw(st.booleans()):
        g["freshness"] = freshness(draw)
    keys: set[str] = set()
    for entry in [custom_entries(draw, cols) for _ in range(draw(st.integers(0, 4)))]:
        key = custom_key(entry)
        if key not in keys and _compact_key(entry) not in _compact_keys(g):
            keys.add(key)
            g["custom"].append(entry)
    return g


def _compact_key(entry: dict[str, Any]) -> str | None:
    if entry["type"] == "not_null":
        return f"not_null.{entry['column']}"
    if entry["type"] == "accepted_values":
        return f"accepted_values.{entry['column']}"
    return None


def _compact_keys(g: dict[str, Any]) -> set[str]:
    return ({f"not_null.{c}" for c in g["nullability"]}
            | {f"accepted_values.{c}" for c in g["accepted_values"]})


def guarantee_keys(g: dict[str, Any]) -> list[str]:
    """Keys of `x-tests` for the guarantees of `g`, as interfaces.md's builder writes them."""
    keys = [f"nullability.{c}" for c in g["nullability"]]
    keys += [f"accepted_values.{c}" for c in g["accepted_values"]]
    keys += ["freshness"] if g["freshness"] else []
    keys += [custom_key(e) for e in g["custom"]]
    return keys


def _test_id(key: str, salt: int) -> str:
    return f"test.shop.{key.replace('.', '_')}_fct_orders.{salt:010x}"


# --- documents -------------------------------------------------------------------------

@st.composite
def documents(draw: st.DrawFn, dialect: str | None = None,
              with_guarantees: bool = True) -> dict[str, Any]:
    dialect = dialect or pick(draw, (DIALECTS))
    n = draw(st.integers(1, 8))
    taken: set[str] = set()
    cols = []
    for _ in range(n):
        name = _fresh_name(draw, taken)
        taken.add(name)
        cols.append(columns(draw, dialect, 2, name))
    names = [c["name"] for c in cols]
    g = guarantee_sets(draw, names) if with_guarantees else {
        "nullability": [], "accepted_values": {}, "freshness": None, "custom": []}
    model = {
        "dialect": dialect,
        "explicit_dialect": dialect != "generic" or draw(st.booleans()),
        "compatibility": pick(draw, ((*MODES, *TRANSITIVE))),
        "owner": pick(draw, (OWNERS)),
        "description": pick(draw, ((None, "Orders, one row per order."))),
        "version": "1.0.0",
        "columns": cols,
        "g": g,
        "g_empty_key": draw(st.booleans()),
        "tests": {},
        "test_field": draw(st.booleans()),
        "consumers": [],
        "provenance": {},
    }
    assign_tests(draw, model)
    return model


def assign_tests(draw: st.DrawFn, model: dict[str, Any]) -> None:
    """Give (most) guarantees a backing dbt test, as `tessera contracts` does."""
    for key in guarantee_keys(model["g"]):
        if key not in model["tests"] and draw(st.integers(0, 4)):
            model["tests"][key] = _test_id(key, draw(st.integers(0, 2**32)))


def type_text(t: dict[str, Any], dialect: str) -> str:
    if t["k"] == "scalar":
        return t["text"]
    if t["k"] == "struct":
        if dialect == "bigquery":
            return "STRUCT<" + ", ".join(f"{f['name']} {type_text(f['t'], dialect)}"
                                         for f in t["fields"]) + ">"
        if dialect == "spark":
            return "struct<" + ",".join(f"{f['name']}:{type_text(f['t'], dialect)}"
                                        for f in t["fields"]) + ">"
        return "struct(" + ", ".join(f"{f['name']} {type_text(f['t'], dialect)}"
                                     for f in t["fields"]) + ")"
    if t["k"] == "array":
        inner = type_text(t["items"]["t"], dialect)
        if dialect == "bigquery":
            return f"ARRAY<{inner}>"
        if dialect == "spark":
            return f"array<{inner}>"
        return f"{inner}[]"
    inner = type_text(t["values"]["t"], dialect)
    if dialect == "spark":
        return f"map<{'string' if t['key'] == 'varchar' else t['key']},{inner}>"
    return f"map({t['key']}, {inner})"


def _json_type(t: dict[str, Any]) -> str:
    if t["k"] == "scalar":
        return t["json"]
    return "array" if t["k"] == "array" else "object"


def fragment(col: dict[str, Any], dialect: str) -> dict[str, Any]:
    t = col["t"]
    frag: dict[str, Any] = {}
    jt = _json_type(t)
    if col["tstyle"] != "none":
        if col["nullable"]:
            frag["type"] = [jt, "null"]
        else:
            frag["type"] = jt if col["tstyle"] == "str" else [jt]
    if col["xdt"]:
        frag["x-data-type"] = type_text(t, dialect)
    if t["k"] == "scalar" and t["fmt"]:
        frag["format"] = t["fmt"]
    if t["k"] == "struct":
        frag["properties"] = {f["name"]: fragment(f, dialect) for f in t["fields"]}
        required = [f["name"] for f in t["fields"] if f["req"]]
        if required:
            frag["required"] = required
    elif t["k"] == "array":
        frag["items"] = fragment(t["items"], dialect)
    elif t["k"] == "map":
        frag["additionalProperties"] = fragment(t["values"], dialect)
    frag.update(col["dom"])
    if col["desc"] is not None:
        frag["description"] = col["desc"]
    frag.update(col["extra"])
    return frag


def render_guarantees(model: dict[str, Any]) -> dict[str, Any]:
    g = model["g"]
    out: dict[str, Any] = {}
    if g["nullability"]:
        out["nullability"] = dict.fromkeys(g["nullability"], "never")
    if g["accepted_values"]:
        out["accepted_values"] = copy.deepcopy(g["accepted_values"])
    if g["freshness"]:
        out["freshness"] = copy.deepcopy(g["freshness"])
    if g["custom"]:
        custom = []
        for entry in g["custom"]:
            entry = copy.deepcopy(entry)
            test = model["tests"].get(custom_key(entry))
            if test and model["test_field"]:
                entry["test"] = test
            custom.append(entry)
        out["custom"] = custom
    return out


def render(model: dict[str, Any]) -> dict[str, Any]:
    """The contract document of a model (interfaces.md, "Contract document")."""
    dialect = model["dialect"]
    doc: dict[str, Any] = {"asset": "analytics.core.fct_orders", "version": model["version"],
                           "compatibility": model["compatibility"], "owner": model["owner"]}
    if model["explicit_dialect"]:
        doc["dialect"] = dialect
    if model["description"] is not None:
        doc["description"] = model["description"]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {c["name"]: fragment(c, dialect) for c in model["columns"]},
    }
    required = [c["name"] for c in model["columns"] if c["req"]]
    if required:
        schema["required"] = required
    doc["schema"] = schema
    guarantees = render_guarantees(model)
    if guarantees or model["g_empty_key"]:
        doc["guarantees"] = guarantees
    tests = {k: v for k, v in model["tests"].items() if k in set(guarantee_keys(model["g"]))}
    if tests and not model["test_field"]:
        doc["x-tests"] = tests
    elif tests:
        compact = {k: v for k, v in tests.items() if not _is_custom_key(model, k)}
        if compact:
            doc["x-tests"] = compact
    if model["consumers"]:
        doc["consumers"] = copy.deepcopy(model["consumers"])
    doc.update(copy.deepcopy(model["provenance"]))
    return doc


def _is_custom_key(model: dict[str, Any], key: str) -> bool:
    return key in {custom_key(e) for e in model["g"]["custom"]}


def dbt_test_ids(doc: dict[str, Any]) -> list[str]:
    """Every dbt test id a rendered document names (x-tests and custom `test`)."""
    ids: list[str] = []
    for value in (doc.get("x-tests") or {}).values():
        ids.extend([value] if isinstance(value, str) else value)
    for entry in (doc.get("guarantees") or {}).get("custom") or ():
        if entry.get("test"):
            ids.append(entry["test"])
    return ids


# --- edits -----------------------------------------------------------------------------

def _all_columns(cols: list[dict[str, Any]], path: str = "") -> list[tuple[str, dict, list]]:
    """(path, column, the list holding it) for every named column or struct field."""
    out = []
    for col in cols:
        here = f"{path}.{col['name']}" if path else col["name"]
        out.append((here, col, cols))
        out.extend(_members(col["t"], here))
    return out


def _members(t: dict[str, Any], path: str) -> list[tuple[str, dict, list]]:
    if t["k"] == "struct":
        return _all_columns(t["fields"], path)
    if t["k"] == "array":
        return [(f"{path}[]", t["items"], [])] + _members(t["items"]["t"], f"{path}[]")
    if t["k"] == "map":
        return [(f"{path}{{}}", t["values"], [])] + _members(t["values"]["t"], f"{path}{{}}")
    return []


def _pick(draw: st.DrawFn, model: dict[str, Any], named: bool = False) -> tuple[str, dict, list]:
    every = _all_columns(model["columns"])
    if named:
        every = [e for e in every if e[2]]
    return pick(draw, (every))


def _drop_guarantees_on(model: dict[str, Any], name: str) -> None:
    g = model["g"]
    g["nullability"] = [c for c in g["nullability"] if c != name]
    g["accepted_values"].pop(name, None)
    g["custom"] = [e for e in g["custom"] if e.get("column") != name]


def edit_drop_column(draw: st.DrawFn, model: dict[str, Any]) -> None:
    path, col, holder = _pick(draw, model, named=True)
    if len(holder) <= 1:
        return
    holder.remove(col)
    if holder is model["columns"] and draw(st.booleans()):
        _drop_guarantees_on(model, col["name"])


def edit_add_column(draw: st.DrawFn, model: dict[str, Any]) -> None:
    holders = [model["columns"]] + [c["t"]["fields"] for _, c, _ in
                                    _all_columns(model["columns"]) if c["t"]["k"] == "struct"]
    holder = pick(draw, (holders))
    name = _fresh_name(draw, {c["name"] for c in holder})
    depth = 2 if holder is model["columns"] else 0
    col = columns(draw, model["dialect"], depth, name)
    holder.insert(draw(st.integers(0, len(holder))), col)


def edit_retype(draw: st.DrawFn, model: dict[str, Any]) -> None:
    _, col, _ = _pick(draw, model)
    if draw(st.integers(0, 4)) == 0 or col["t"]["k"] != "scalar":
        col["t"] = types(draw, model["dialect"], 1)
    elif draw(st.integers(0, 15)) == 0:
        col["t"] = garbage_type(draw)
    else:
        col["t"] = scalar_types(draw, model["dialect"])


# Spellings of one canonical type (compatibility.md, "Warehouse types": synonyms).
SYNONYMS = (
    ("int", "integer", "int4", "INT"), ("bigint", "int8", "BIGINT"),
    ("double", "float8", "double precision"), ("varchar", "text", "character varying"),
    ("timestamp", "timestamp without time zone"),
    ("timestamptz", "timestamp with time zone"), ("boolean", "bool"),
    ("INTEGER", "INT", "int4"), ("BIGINT", "INT8", "LONG"), ("VARCHAR", "TEXT", "STRING"),
    ("INT64", "INTEGER", "BIGINT"), ("NUMBER(38,0)", "INT", "INTEGER", "NUMBER"),
    ("FLOAT64", "FLOAT"), ("bigint", "long"), ("string", "varchar"),
)


def edit_respell(draw: st.DrawFn, model: dict[str, Any]) -> None:
    """Write a type differently without changing it (TYPE_SYNONYM)."""
    scalars = [c for _, c, _ in _all_columns(model["columns"]) if c["t"]["k"] == "scalar"]
    if not scalars:
        return
    col = pick(draw, scalars)
    text = col["t"]["text"]
    for group in SYNONYMS:
        if text in group:
            col["t"] = {**col["t"], "text": pick(draw, [t for t in group if t != text])}
            return
    if text.lower().startswith("varchar("):
        col["t"] = {**col["t"], "text": "character varying" + text[len("varchar"):]}


# One step of the widening lattice each (compatibility.md, "Warehouse types"), per spelling.
LATTICE = (
    ("smallint", "int", "bigint", "hugeint"), ("SMALLINT", "INTEGER", "BIGINT", "HUGEINT"),
    ("tinyint", "smallint", "int", "bigint"), ("real", "double"), ("REAL", "DOUBLE"),
    ("float", "double"), ("date", "timestamp"), ("DATE", "TIMESTAMP"),
    ("varchar(10)", "varchar(20)", "varchar(50)", "text"),
    ("VARCHAR(10)", "VARCHAR(20)", "VARCHAR"), ("STRING(10)", "STRING(20)", "STRING"),
    ("numeric(10,2)", "numeric(12,2)", "numeric(14,4)", "numeric"),
    ("NUMBER(10,2)", "NUMBER(12,2)", "NUMBER(38,2)"), ("int", "numeric(12,0)"),
    ("timestamp(3)", "timestamp(6)", "timestamp(9)"),
)


def edit_lattice_step(draw: st.DrawFn, model: dict[str, Any]) -> None:
    """Widen or narrow a scalar by one step, or put one on the lattice first."""
    scalars = [c for _, c, _ in _all_columns(model["columns"]) if c["t"]["k"] == "scalar"]
    if not scalars:
        return
    col = pick(draw, scalars)
    text = col["t"]["text"]
    for chain in LATTICE:
        if text in chain:
            i = chain.index(text)
            j = i + 1 if draw(st.booleans()) else i - 1
            j = j if 0 <= j < len(chain) else 2 * i - j
            col["t"] = {**col["t"], "text": chain[j]}
            return
    chain = pick(draw, LATTICE)
    json = _INT if chain[0] in ("smallint", "SMALLINT", "tinyint", "int") else (
        _NUM if chain[0].lower().startswith(("real", "float", "numeric", "number")) else _STR)
    col["t"] = _s(pick(draw, chain), json, "date-time" if "time" in chain[-1].lower() else None)


def edit_map_key(draw: st.DrawFn, model: dict[str, Any]) -> None:
    maps = [c for _, c, _ in _all_columns(model["columns"]) if c["t"]["k"] == "map"]
    if maps:
        col = pick(draw, (maps))
        col["t"]["key"] = pick(draw, (("varchar", "int", "bigint", "date")))


def edit_nullability(draw: st.DrawFn, model: dict[str, Any]) -> None:
    _, col, holder = _pick(draw, model)
    if holder and draw(st.booleans()):
        col["req"] = not col["req"]
    else:
        col["nullable"] = not col["nullable"]


def edit_type_style(draw: st.DrawFn, model: dict[str, Any]) -> None:
    _, col, _ = _pick(draw, model)
    if draw(st.booleans()):
        col["tstyle"] = pick(draw, (("list", "str", "none")))
    else:
        col["xdt"] = not col["xdt"]


def edit_domain(draw: st.DrawFn, model: dict[str, Any]) -> None:
    with_domain = [c for _, c, _ in _all_columns(model["columns"]) if c["dom"]]
    if with_domain and not one_in(draw, 3):
        col = pick(draw, with_domain)
    else:
        _, col, _ = _pick(draw, model)
    dom = col["dom"]
    what = pick(draw, (("enum+", "enum-", "enum", "maxLength", "minLength", "minimum",
                                 "maximum", "pattern", "clear")))
    if what == "clear":
        dom.clear()
    elif what == "enum+":
        dom.setdefault("enum", []).append(pick(draw, (
            [v for v in ENUM_VALUES if v not in dom.get("enum", ())] or ["other"])))
    elif what == "enum-" and dom.get("enum"):
        dom["enum"].pop(draw(st.integers(0, len(dom["enum"]) - 1)))
    elif what == "enum":
        if "enum" in dom:
            del dom["enum"]
        else:
            dom["enum"] = some(draw, ENUM_VALUES, 1, 3)
    elif what in ("maxLength", "minLength"):
        dom[what] = pick(draw, ((None, 0, 3, 10, 20, 50)))
    elif what in ("minimum", "maximum"):
        dom[what] = pick(draw, ((None, -100, 0, 1, 99.5, 100, 1000)))
    else:
        dom[what] = pick(draw, ((None, *PATTERNS)))
    for key in [k for k, v in dom.items() if v is None]:
        del dom[key]


def edit_reorder(draw: st.DrawFn, model: dict[str, Any]) -> None:
    holders = [model["columns"]] + [c["t"]["fields"] for _, c, _ in
                                    _all_columns(model["columns"]) if c["t"]["k"] == "struct"]
    holder = pick(draw, (holders))
    holder[:] = shuffled(draw, holder)


def edit_description(draw: st.DrawFn, model: dict[str, Any]) -> None:
    if draw(st.integers(0, 3)) == 0:
        model["description"] = pick(draw, ((None, "Orders.", "Orders, v2.")))
        return
    _, col, _ = _pick(draw, model)
    col["desc"] = pick(draw, (DESCRIPTIONS))


def edit_meta(draw: st.DrawFn, model: dict[str, Any]) -> None:
    what = draw(st.integers(0, 2))
    if what == 0:
        model["owner"] = pick(draw, (OWNERS))
    elif what == 1:
        model["compatibility"] = pick(draw, ((*MODES, *TRANSITIVE)))
    else:
        _, col, _ = _pick(draw, model)
        col["extra"]["tags"] = pick(draw, ((["pii"], ["finance"], [])))


def _top_names(model: dict[str, Any]) -> list[str]:
    return [c["name"] for c in model["columns"]]


def edit_guarantee(draw: st.DrawFn, model: dict[str, Any], what: int | None = None) -> None:
    g = model["g"]
    cols = _top_names(model)
    what = draw(st.integers(0, 11)) if what is None else what
    if what == 0:  # toggle a not_null
        col = pick(draw, (cols))
        if col in g["nullability"]:
            g["nullability"].remove(col)
        elif f"not_null.{col}" not in {_compact_key(e) for e in g["custom"]}:
            g["nullability"].append(col)
    elif what == 1:  # accepted values entry added / removed
        col = pick(draw, (cols))
        if col in g["accepted_values"]:
            del g["accepted_values"][col]
        elif f"accepted_values.{col}" not in {_compact_key(e) for e in g["custom"]}:
            g["accepted_values"][col] = some(draw, ENUM_VALUES, 1, 3)
    elif what == 2 and g["accepted_values"]:  # accepted values grown / shrunk / reordered
        col = pick(draw, (sorted(g["accepted_values"])))
        values = g["accepted_values"][col]
        op = draw(st.integers(0, 2))
        if op == 0:
            values.append(pick(draw, ([v for v in ENUM_VALUES if v not in values]
                                               or ["other"])))
        elif op == 1 and len(values) > 1:
            values.pop(draw(st.integers(0, len(values) - 1)))
        else:
            values.reverse()
    elif what == 3:  # freshness
        g["freshness"] = freshness(draw) if draw(st.booleans()) else None
    elif what == 4 and g["freshness"]:
        for threshold in ("warn_after", "error_after"):
            if threshold in g["freshness"] and draw(st.booleans()):
                g["freshness"][threshold]["count"] = draw(st.integers(1, 48))
    elif what == 5:  # a custom guarantee added
        entry = custom_entries(draw, cols)
        keys = {custom_key(e) for e in g["custom"]}
        if custom_key(entry) not in keys and _compact_key(entry) not in _compact_keys(g):
            g["custom"].append(entry)
    elif what == 6 and g["custom"]:  # a custom guarantee removed
        g["custom"].pop(draw(st.integers(0, len(g["custom"]) - 1)))
    elif what == 7 and g["custom"]:  # severity toggled
        entry = pick(draw, (g["custom"]))
        if entry.get("severity") == "warn":
            if draw(st.booleans()):
                del entry["severity"]
            else:
                entry["severity"] = "error"
        else:
            entry["severity"] = "warn"
    elif what == 8 and g["custom"]:  # where added / changed / removed
        entry = pick(draw, (g["custom"]))
        where = pick(draw, ((None, "status != 'test'", "amount is not null")))
        if where is None:
            entry.pop("where", None)
        else:
            entry["where"] = where
    elif what == 9 and g["custom"]:  # arguments changed
        entry = pick(draw, (g["custom"]))
        if "kwargs" in entry:
            entry["kwargs"] = {**entry["kwargs"], "min_value": draw(st.integers(-1, 2))}
        elif "sql" in entry:
            entry["sql"] = pick(draw, ((
                entry["sql"] + "\n", "  " + entry["sql"], entry["sql"] + " -- checked",
                "select 1 where false")))
        elif "to" in entry:
            entry["to"] = pick(draw, (("dim_customers", "dim_customers_v2")))
        elif "values" in entry:
            entry["values"] = entry["values"][::-1] + (["other"] if draw(st.booleans())
                                                       else [])
    elif what == 10 and g["custom"]:  # list order
        g["custom"][:] = shuffled(draw, g["custom"])
    elif what == 11:  # provenance: a different test backs a guarantee
        keys = guarantee_keys(g)
        if keys:
            key = pick(draw, (keys))
            model["tests"][key] = _test_id(key, draw(st.integers(0, 2**32)))
    assign_tests(draw, model)


def edit_severity(draw: st.DrawFn, model: dict[str, Any]) -> None:
    """error → warn → error on a custom guarantee (advisory guarantees break nothing)."""
    if not model["g"]["custom"]:
        edit_guarantee(draw, model, what=5)
    edit_guarantee(draw, model, what=7)


def edit_drop_guarantee(draw: st.DrawFn, model: dict[str, Any]) -> None:
    edit_guarantee(draw, model, what=pick(draw, (6, 0, 1, 3)))


def edit_provenance(draw: st.DrawFn, model: dict[str, Any]) -> None:
    """Changes that are not promises: version, consumers, top-level x-* keys."""
    what = draw(st.integers(0, 3))
    if what == 3:  # a different dbt test backs a guarantee (x-tests / `test`)
        keys = guarantee_keys(model["g"])
        if keys:
            key = pick(draw, (keys))
            model["tests"][key] = _test_id(key, draw(st.integers(0, 2**32)))
    elif what == 0:
        model["version"] = pick(draw, (("1.0.1", "1.1.0", "2.0.0", "2.0.0-rc.1")))
    elif what == 1:
        model["consumers"].append({"team": pick(draw, (("finance", "growth"))),
                                   "source": pick(draw, (("declared", "exposure")))})
    else:
        model["provenance"][pick(draw, (("x-generated-at", "x-dbt-version",
                                                  "x-manifest")))] = draw(st.text(max_size=8))


SCHEMA_EDITS = (edit_drop_column, edit_add_column, edit_retype, edit_nullability,
                edit_type_style, edit_domain, edit_domain, edit_reorder, edit_description,
                edit_meta, edit_map_key, edit_respell, edit_lattice_step,
                edit_lattice_step)
ALL_EDITS = (*SCHEMA_EDITS, edit_guarantee, edit_guarantee, edit_guarantee, edit_severity,
             edit_provenance)


@st.composite
def mutated(draw: st.DrawFn, model: dict[str, Any], edits: tuple = ALL_EDITS,
            max_edits: int = 4) -> dict[str, Any]:
    """`model` after 1..max_edits random edits (the original is left untouched)."""
    new = copy.deepcopy(model)
    for _ in range(draw(st.integers(1, max_edits))):
        pick(draw, edits)(draw, new)
    return new


HISTORY_EDITS = (*SCHEMA_EDITS, edit_guarantee, edit_guarantee, edit_severity,
                 edit_drop_guarantee)


@st.composite
def histories(draw: st.DrawFn, max_len: int = 4) -> tuple[list[dict], dict]:
    """Published versions (oldest first) and a new model derived from the latest."""
    model = draw(documents())
    published = [model]
    major, minor = 1, 0
    for _ in range(draw(st.integers(0, max_len - 1)) if one_in(draw, 4) else max_len - 1):
        model = draw(mutated(model, edits=HISTORY_EDITS))
        if draw(st.integers(0, 5)) == 0:
            major, minor = major + 1, 0
        else:
            minor += 1
        model["version"] = f"{major}.{minor}.0"
        published.append(model)
    new = draw(mutated(model, edits=HISTORY_EDITS))
    if one_in(draw, 3):  # what the latest version made advisory, `new` may drop
        edit_guarantee(draw, new, what=6)
    new["version"] = f"{major}.{minor + 1}.0"
    return published, new
