"""Property-based tests of the compatibility engine (docs/compatibility.md) over generated
contract documents: a generated `old`, and a `new` derived from it by a few random edits
(tests/strategies.py). Each property quotes the sentence of the spec it checks.

Counterexamples found while writing these (container types not compared, an advisory
not_null hiding the schema's nullability, transitive verdicts dropping older breaks,
identical documents under transitive modes, each document's own dialect) are pinned with
`@example` so they stay fixed.

One exception is by design: the rule table counts a *changed* `pattern` as DOMAIN_NARROWED
whichever way it changed (two regular expressions cannot be ordered), so for such pairs
forward(a, b) is ok while backward(b, a) breaks; the symmetry check skips them (PATTERN_CHANGED).
`TESSERA_PROPERTY_SCALE=20` multiplies the number of examples for a longer hunt.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import note as _note
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from tessera_dbt.artifacts.documents import validation_errors
from tessera_dbt.engine.compat import classify, classify_against_history, same_document
from tessera_dbt.engine.rules import RULES_BY_ID, Level
from tessera_dbt.engine.type_lattice import TypeRelation, compare_canonical
from tessera_dbt.engine.warehouse_types import DIALECTS, parse_type, type_to_text
from tests.strategies import (
    MODES,
    SCHEMA_EDITS,
    TRANSITIVE,
    dbt_test_ids,
    documents,
    edit_provenance,
    histories,
    mutated,
    render,
)

# About 2 s per property on one core; TESSERA_PROPERTY_SCALE=20 for a longer hunt.
SCALE = float(os.environ.get("TESSERA_PROPERTY_SCALE", "1"))
SETTINGS = settings(max_examples=int(120 * SCALE), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=int(60 * SCALE))
BUMP_RANK = {"none": 0, "patch": 1, "minor": 2, "major": 3}
MIRROR = {
    "COLUMN_ADDED": "COLUMN_REMOVED", "COLUMN_REMOVED": "COLUMN_ADDED",
    "COLUMN_ADDED_REQUIRED": "COLUMN_REMOVED_REQUIRED",
    "COLUMN_REMOVED_REQUIRED": "COLUMN_ADDED_REQUIRED",
    "NULLABILITY_TIGHTENED": "NULLABILITY_RELAXED",
    "NULLABILITY_RELAXED": "NULLABILITY_TIGHTENED",
    "TYPE_WIDENED": "TYPE_NARROWED", "TYPE_NARROWED": "TYPE_WIDENED",
    "DOMAIN_NARROWED": "DOMAIN_WIDENED", "DOMAIN_WIDENED": "DOMAIN_NARROWED",
    "GUARANTEE_ADDED": "GUARANTEE_REMOVED", "GUARANTEE_REMOVED": "GUARANTEE_ADDED",
    "GUARANTEE_TIGHTENED": "GUARANTEE_LOOSENED", "GUARANTEE_LOOSENED": "GUARANTEE_TIGHTENED",
}  # TYPE_CHANGED, TYPE_SYNONYM, COLUMN_MOVED, DESCRIPTION and META mirror to themselves


# Known counterexamples, the smallest forms of what the generator found (see the module
# docstring).


def _doc(properties: dict[str, Any], guarantees: dict[str, Any] | None = None,
         version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    doc = {"asset": "analytics.core.fct_orders", "version": version, "compatibility": "backward",
           "owner": "commerce", **extra, "schema": {"type": "object", "properties": properties}}
    if guarantees is not None:
        doc["guarantees"] = guarantees
    return doc


PATTERN_CHANGED = (_doc({"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}),
                   _doc({"code": {"type": "string", "pattern": "^[a-z]+$"}}))
MAP_KEY_CHANGED = tuple(
    _doc({"attrs": {"type": ["object", "null"], "x-data-type": f"map({key}, int)",
                    "additionalProperties": {"type": ["integer", "null"], "x-data-type": "int"}}},
         dialect="duckdb")
    for key in ("varchar", "int"))
ARRAY_SIZE_CHANGED = tuple(
    _doc({"xs": {"type": ["array", "null"], "x-data-type": f"int[{n}]",
                 "items": {"type": ["integer", "null"], "x-data-type": "int"}}}, dialect="duckdb")
    for n in (3, 4))
ADVISORY_NOT_NULL = tuple(
    _doc({"a": {"type": t, "x-data-type": "int"}},
         {"custom": [{"type": "not_null", "column": "a", "severity": "warn"}]})
    for t in (["integer"], ["integer", "null"]))
_ID = {"order_id": {"type": "integer", "x-data-type": "bigint"}}
SEVERITY_HISTORY = (
    [_doc(_ID, {"custom": [{"type": "unique", "column": "order_id"}]}, "1.0.0"),
     _doc(_ID, {"custom": [{"type": "unique", "column": "order_id", "severity": "warn"}]},
          "1.1.0")],
    _doc(_ID, {}, "1.2.0"))
IDENTICAL_TO_LATEST = (  # 1.1.0 removed `note` under forward; 1.2.0 republishes 1.1.0
    [_doc({**_ID, "note": {"type": ["string", "null"], "x-data-type": "text"}}, {}, "1.0.0"),
     _doc(_ID, {}, "1.1.0")],
    _doc(_ID, {}, "1.2.0"))


def note(text: Any) -> None:
    """Record `text` (a string, or a callable making one) for the failing example only:
    formatting documents for every generated example would double the run time."""
    if current_build_context().is_final:
        _note(text() if callable(text) else text)


def show(label: str, doc: Any) -> None:
    note(lambda: f"{label} = {json.dumps(doc, indent=1, default=str)}")


def explain(report) -> str:
    lines = [f"breaking={report.breaking} bump={report.suggested_bump} mode={report.mode} "
             f"first_failing={report.first_failing_version}"]
    lines += [f"  {c.rule} {c.path} breaks_under={sorted(c.breaks_under)}"
              f"{' against ' + c.against if c.against else ''}: {c.message} {c.note}"
              for c in report.changes]
    return "\n".join(lines)


@st.composite
def pairs(draw, edits=None, with_guarantees=True, same_guarantees=False):
    """(old, new) rendered documents; `new` is `old` after a few edits."""
    model = draw(documents(with_guarantees=with_guarantees))
    new_model = draw(mutated(model, edits=edits) if edits else mutated(model))
    if same_guarantees:
        new_model["g"] = copy.deepcopy(model["g"])
        new_model["tests"] = copy.deepcopy(model["tests"])
    old, new = render(model), render(new_model)
    show("old", old)
    show("new", new)
    return old, new


# --- the generator itself --------------------------------------------------------------

@FEW
@given(pairs())
def test_generated_documents_follow_the_contract_format(pair):
    for doc in pair:
        assert validation_errors(doc) == []


# --- symmetry ------------------------------------------------------------------------

def _moved_key(path: str) -> tuple[str, str]:
    # Which columns count as moved is one longest common subsequence of the two orders;
    # when several exist (a swap), the reverse diff may name the other column. Compare the
    # number of moved columns under each parent, not their names.
    return ("COLUMN_MOVED", path.rsplit(".", 1)[0] if "." in path else "")


def _mirrored(report) -> Counter:
    return Counter(_moved_key(c.path) if c.rule == "COLUMN_MOVED"
                   else (MIRROR.get(c.rule, c.rule), c.path) for c in report.changes)


def _unmirrored(report) -> Counter:
    return Counter(_moved_key(c.path) if c.rule == "COLUMN_MOVED" else (c.rule, c.path)
                   for c in report.changes)


def _plain(report) -> Counter:
    return Counter((c.rule, c.path) for c in report.changes)


def _patterns(schema: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(schema, dict):
        return out
    for name, column in (schema.get("properties") or {}).items():
        if isinstance(column, dict):
            out[prefix + name] = column.get("pattern")
            out.update(_patterns(column, f"{prefix}{name}."))
    for key, mark in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(schema.get(key), dict):
            out[prefix + mark] = schema[key].get("pattern")
            out.update(_patterns(schema[key], prefix + mark + "."))
    return out


def _pattern_changed(a, b) -> bool:
    """A pattern replaced by another: narrowed both ways by the rule table (see above)."""
    pa, pb = _patterns(a.get("schema")), _patterns(b.get("schema"))
    return any(pa[p] is not None and pb.get(p) is not None and pa[p] != pb[p] for p in pa)


def _check_symmetry(a, b):
    if _pattern_changed(a, b):
        return
    for x, y in ((a, b), (b, a)):
        fwd, bwd = classify(x, y, "forward"), classify(y, x, "backward")
        note(lambda fwd=fwd, bwd=bwd: f"forward(a, b): {explain(fwd)}\n"
                                      f"backward(b, a): {explain(bwd)}")
        assert fwd.breaking == bwd.breaking
        assert fwd.suggested_bump == bwd.suggested_bump
        assert _mirrored(fwd) == _unmirrored(bwd)
    for mode in ("full", "none"):
        assert classify(a, b, mode).breaking == classify(b, a, mode).breaking


@SETTINGS
@given(pairs(edits=SCHEMA_EDITS, with_guarantees=False))
@example(pair=PATTERN_CHANGED)
def test_forward_is_backward_reversed_without_guarantees(pair):
    """"For contracts without guarantees, under an explicit mode, `forward(a, b)` equals
    `backward(b, a)`": the verdict, the bump, and each change mirrored."""
    _check_symmetry(*pair)


@SETTINGS
@given(pairs(edits=SCHEMA_EDITS, same_guarantees=True))
def test_forward_is_backward_reversed_with_equal_guarantees(pair):
    """The same with guarantees that are equal on both sides: no guarantee change exists,
    and a guarantee decides a promise (nullability, accepted values) the same way for
    both directions."""
    _check_symmetry(*pair)


# --- identical documents ---------------------------------------------------------------

@SETTINGS
@given(documents(), st.data())
def test_identical_contracts_never_break_and_bump_none(model, data):
    """"Identical documents (equal as parsed, property order included) → `none`"; version,
    consumers and `x-*` keys are provenance, not promises."""
    doc = render(model)
    show("doc", doc)
    provenance_only = render(data.draw(mutated(model, edits=(edit_provenance,))))
    show("provenance_only", provenance_only)
    for other in (copy.deepcopy(doc), json.loads(json.dumps(doc)), provenance_only):
        for mode in (*MODES, *TRANSITIVE):
            report = classify(doc, other, mode)
            note(lambda report=report: explain(report))
            assert report.changes == ()
            assert not report.breaking
            assert report.suggested_bump == "none"


@SETTINGS
@given(documents().map(render), st.sampled_from(TRANSITIVE))
@example(doc=PATTERN_CHANGED[0], mode="backward_transitive")
def test_identical_contracts_bump_none_against_a_history(doc, mode):
    """The same through `classify_against_history`, which `tessera diff` with earlier
    versions and publishing run."""
    show("doc", doc)
    for other in (copy.deepcopy(doc), {**doc, "version": "1.0.1"}):
        report = classify_against_history([doc], other, mode)
        note(lambda report=report: explain(report))
        assert report.changes == ()
        assert not report.breaking
        assert report.suggested_bump == "none"


# --- modes -----------------------------------------------------------------------------

@SETTINGS
@given(pairs())
def test_full_breaks_iff_backward_or_forward_does(pair):
    """"`full`: any schema change that either of the above calls breaking" (and the same
    for guarantees: each mode's verdict is read from the same changes)."""
    old, new = pair
    verdicts = {m: classify(old, new, m) for m in ("backward", "forward", "full")}
    note(lambda: "\n".join(explain(r) for r in verdicts.values()))
    assert verdicts["full"].breaking == (verdicts["backward"].breaking
                                         or verdicts["forward"].breaking)


@SETTINGS
@given(pairs())
def test_none_never_blocks_but_bumps_major_when_backward_breaks(pair):
    """"`none`: Nothing (notify only)" and "Under `none`, a change `backward` would call
    breaking still bumps major"."""
    old, new = pair
    none, backward = classify(old, new, "none"), classify(old, new, "backward")
    note(lambda: explain(none))
    assert not none.breaking
    assert (none.suggested_bump == "major") == backward.breaking


# --- semver ----------------------------------------------------------------------------

def _without_provenance(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items()
           if k not in ("version", "consumers") and not k.startswith("x-")}
    custom = (out.get("guarantees") or {}).get("custom")
    if custom:
        out["guarantees"] = {**out["guarantees"],
                             "custom": [{k: v for k, v in e.items() if k != "test"}
                                        for e in custom]}
    return json.loads(json.dumps(out))  # plain dicts; key order kept for `properties`


def _orders(schema: Any) -> list:
    if isinstance(schema, dict):
        here = list(schema["properties"]) if isinstance(schema.get("properties"), dict) else []
        return [here, *(_orders(schema[k]) for k in sorted(schema))]
    return []


@SETTINGS
@given(pairs(), st.sampled_from((*MODES, *TRANSITIVE)))
def test_suggested_bump_follows_the_verdict(pair, mode):
    """"Identical documents → none"; "Breaking under the effective mode → major";
    otherwise minor or patch. A document that differs in anything but provenance never
    gets `none`."""
    old, new = pair
    report = classify(old, new, mode)
    note(lambda: explain(report))
    a, b = _without_provenance(old), _without_provenance(new)
    differ = a != b or _orders(a["schema"]) != _orders(b["schema"])
    assert (report.suggested_bump == "none") == (not differ)
    if mode != "none":
        assert (report.suggested_bump == "major") == report.breaking
    if report.suggested_bump == "patch":
        assert all(c.level is Level.PATCH for c in report.changes)


# --- an independent reading of "what is compared" --------------------------------------

def _walk(frag: dict[str, Any], path: str, required: bool, out: dict) -> None:
    out[path] = (frag, required)
    props = frag.get("properties")
    if isinstance(props, dict):
        req = set(frag.get("required") or ())
        for name, member in props.items():
            _walk(member, f"{path}.{name}", name in req, out)
    if isinstance(frag.get("items"), dict):
        _walk(frag["items"], f"{path}[]", False, out)
    if isinstance(frag.get("additionalProperties"), dict):
        _walk(frag["additionalProperties"], f"{path}{{}}", False, out)


def _paths(doc: dict[str, Any]) -> dict[str, tuple[dict, bool]]:
    out: dict[str, tuple[dict, bool]] = {}
    schema = doc["schema"]
    req = set(schema.get("required") or ())
    for name, frag in schema["properties"].items():
        _walk(frag, name, name in req, out)
    return out


def _canonical_type(text: str, dialect: str) -> Any:
    t = parse_type(text, dialect)
    if t.is_nested():  # members are compared through their own paths
        key = type_to_text(t.key) if t.key is not None else None
        return (t.name, t.params, key)
    return type_to_text(t)


def _guarantees(doc: dict[str, Any]) -> dict[str, Any]:
    """Guarantees by identity, in a form where only promises differ."""
    raw = doc.get("guarantees") or {}
    out: dict[str, Any] = {}
    for col in raw.get("nullability") or {}:
        out[f"not_null.{col}"] = ("error", None)
    for col, values in (raw.get("accepted_values") or {}).items():
        out[f"accepted_values.{col}"] = ("error", None, frozenset(map(str, values)), True)
    fresh = raw.get("freshness")
    if fresh:
        minutes = {"minute": 1, "hour": 60, "day": 1440}
        out["freshness"] = tuple(
            (k, fresh[k]["count"] * minutes[fresh[k]["period"]] if k in fresh else None)
            for k in ("warn_after", "error_after"))
    for entry in raw.get("custom") or ():
        subject = entry.get("column") or entry.get("name") or entry.get("expression")
        key = f"{entry['type']}.{subject}" if subject else entry["type"]
        rest = {k: v for k, v in entry.items()
                if k not in ("type", "column", "name", "severity", "where", "test")}
        if "values" in rest:
            rest["values"] = sorted(map(str, rest["values"]))
            rest.setdefault("quote", True)
        if "sql" in rest:
            sql = re.sub(r"--[^\n]*", " ", rest["sql"])
            rest["sql"] = " ".join(sql.split())
        form = (entry.get("severity") or "error", entry.get("where"),
                json.dumps(rest, sort_keys=True))
        if entry["type"] == "not_null":
            form = (entry.get("severity") or "error", entry.get("where"))
        if entry["type"] == "accepted_values":
            form = (entry.get("severity") or "error", entry.get("where"),
                    frozenset(rest["values"]), rest["quote"])
        out[key] = form
    return out


def _not_null_guarded(g: dict[str, Any]) -> set[str]:
    return {k.split(".", 1)[1] for k, v in g.items()
            if k.startswith("not_null.") and v == ("error", None)}


def substantive_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Differences of structure, types, domain or guarantees (compatibility.md, "What is
    compared"), read independently of the engine: what must bump at least minor."""
    found: list[str] = []
    dialect = new.get("dialect") or old.get("dialect") or "generic"
    a, b = _paths(old), _paths(new)
    ga, gb = _guarantees(old), _guarantees(new)
    guarded = _not_null_guarded(ga) | _not_null_guarded(gb)
    enum_guarded = {k.split(".", 1)[1] for k in (*ga, *gb) if k.startswith("accepted_values.")}
    found += [f"only in old: {p}" for p in a if p not in b]
    found += [f"only in new: {p}" for p in b if p not in a]
    for path in a.keys() & b.keys():
        (fa, ra), (fb, rb) = a[path], b[path]
        ta, tb = fa.get("x-data-type"), fb.get("x-data-type")
        nested = any(k in f for f in (fa, fb) for k in ("properties", "items",
                                                         "additionalProperties"))
        if isinstance(ta, str) and isinstance(tb, str) and ta.strip() and tb.strip() and not (
                nested and "unknown" in (parse_type(ta, dialect).name,
                                         parse_type(tb, dialect).name)):
            # (an unreadable container type leaves the JSON Schema to decide)
            if _canonical_type(ta, dialect) != _canonical_type(tb, dialect):
                found.append(f"type of {path}: {ta} -> {tb}")
        if path not in guarded:
            na = ra or ("type" in fa and "null" not in ([fa["type"]] if isinstance(
                fa["type"], str) else fa["type"]))
            nb = rb or ("type" in fb and "null" not in ([fb["type"]] if isinstance(
                fb["type"], str) else fb["type"]))
            if na != nb:
                found.append(f"nullability of {path}")
        for key in ("minLength", "minimum", "maximum", "pattern"):
            if fa.get(key) != fb.get(key):
                found.append(f"{key} of {path}")
        if path not in enum_guarded:
            ea, eb = fa.get("enum"), fb.get("enum")
            if (ea is None) != (eb is None) or (ea is not None and {json.dumps(v) for v in ea}
                                                != {json.dumps(v) for v in eb}):
                found.append(f"enum of {path}")
    for key in ga.keys() | gb.keys():
        if ga.get(key) != gb.get(key):
            found.append(f"guarantee {key}: {ga.get(key)} -> {gb.get(key)}")
    return found


@SETTINGS
@given(pairs())
@example(pair=MAP_KEY_CHANGED)
@example(pair=ARRAY_SIZE_CHANGED)
@example(pair=ADVISORY_NOT_NULL)
def test_every_substantive_difference_bumps_at_least_minor(pair):
    """"Otherwise any change to structure, types, domain or guarantees ... → minor"; only
    column order, descriptions, meta, type synonyms and SQL whitespace are a patch."""
    old, new = pair
    found = substantive_differences(old, new)
    report = classify(old, new, "backward")
    note(lambda: f"substantive: {found}\n{explain(report)}")
    if found:
        assert report.suggested_bump in ("minor", "major")
        assert report.changes


# --- rule ids, robustness -------------------------------------------------------------

@SETTINGS
@given(pairs(), st.sampled_from((*MODES, *TRANSITIVE)))
def test_every_change_names_a_known_rule_and_classify_never_raises(pair, mode):
    """"Each change is reported with its rule id, path, ... the modes under which it
    breaks"; garbage `x-data-type` text is read as an unknown type, never an error."""
    old, new = pair
    report = classify(old, new, mode)
    note(lambda: explain(report))
    json.dumps(report.to_json())
    for change in report.changes:
        assert change.rule in RULES_BY_ID
        assert isinstance(change.path, str)
        assert change.breaks_under <= {"backward", "forward"}
    assert report.breaking == any(c.breaks(mode) for c in report.changes)


# --- transitive modes ------------------------------------------------------------------

def _major(doc: dict[str, Any]) -> str:
    return doc["version"].split(".")[0]


def _rendered(history_and_new):
    models, new_model = history_and_new
    return [render(m) for m in models], render(new_model)


@SETTINGS
@given(histories().map(_rendered), st.sampled_from(TRANSITIVE))
@example(history_and_new=SEVERITY_HISTORY, mode="backward_transitive")
@example(history_and_new=IDENTICAL_TO_LATEST, mode="backward_transitive")
def test_transitive_is_at_least_as_strict_as_plain(history_and_new, mode):
    """"`*_transitive` check a new contract against every published version of the same
    major line, not only the latest, and name the first version that fails"."""
    history, new = history_and_new
    show("history", history)
    show("new", new)
    base = mode.removesuffix("_transitive")
    transitive = classify_against_history(history, new, mode)
    plain = classify_against_history(history, new, base)
    note(lambda: f"{mode}: {explain(transitive)}\n{base}: {explain(plain)}")
    assert plain.breaking == classify(history[-1], new, base).breaking
    if plain.breaking:
        assert transitive.breaking
    if same_document(history[-1], new):
        # "Identical documents ... → none: nothing to publish", whatever older versions say
        assert transitive.suggested_bump == "none"
        return
    line = [d for d in history if _major(d) == _major(history[-1])]
    failing = [d["version"] for d in line if classify(d, new, base).breaking]
    assert transitive.breaking == bool(failing)
    assert transitive.first_failing_version == (failing[0] if failing else None)
    assert BUMP_RANK[transitive.suggested_bump] >= BUMP_RANK[plain.suggested_bump]


@SETTINGS
@given(pairs(), st.sampled_from(TRANSITIVE))
@example(pair=(PATTERN_CHANGED[0], PATTERN_CHANGED[0]), mode="backward_transitive")
def test_history_of_one_version_is_the_plain_verdict(pair, mode):
    old, new = pair
    base = mode.removesuffix("_transitive")
    transitive = classify_against_history([old], new, mode)
    plain = classify(old, new, base)
    note(lambda: f"{explain(transitive)}\n{explain(plain)}")
    assert transitive.breaking == plain.breaking
    assert transitive.suggested_bump == plain.suggested_bump
    assert _plain(transitive) == _plain(plain)


# --- verification ----------------------------------------------------------------------

@SETTINGS
@given(pairs(), st.sampled_from((*MODES, *TRANSITIVE)))
def test_passing_run_results_never_make_a_verdict_more_breaking(pair, mode):
    """A tightening "breaks `backward` and `full` unless verified — run results of the same
    build show the guarantee's test passing"; "without them every tightening is
    unverified"."""
    old, new = pair
    passed = dbt_test_ids(new)
    without = classify(old, new, mode)
    verified = classify(old, new, mode, passed, True)
    failing = classify(old, new, mode, (), True)
    note(lambda: f"passed={passed}\nwithout: {explain(without)}\nall passing: {explain(verified)}")
    assert not verified.breaking or without.breaking
    assert BUMP_RANK[verified.suggested_bump] <= BUMP_RANK[without.suggested_bump]
    assert failing.breaking == without.breaking
    assert failing.suggested_bump == without.suggested_bump
    before = {(c.rule, c.path): c.breaks_under for c in without.changes}
    for change in verified.changes:
        assert change.breaks_under <= before[(change.rule, change.path)]


# --- dialects --------------------------------------------------------------------------

_TYPE_RULE = {TypeRelation.WIDENED: "TYPE_WIDENED", TypeRelation.NARROWED: "TYPE_NARROWED",
              TypeRelation.CHANGED: "TYPE_CHANGED"}


@SETTINGS
@given(documents().map(render), st.sampled_from(DIALECTS))
@example(old=_doc({"v": {"type": ["number", "null"], "x-data-type": "float"}},
                  dialect="postgres"), dialect="duckdb")
def test_each_document_is_read_in_its_own_dialect(old, dialect):
    """"An optional `dialect` field ... says how `x-data-type` is parsed into canonical
    types": the same text under another dialect may be another type (PostgreSQL `float` is
    a double, DuckDB `FLOAT` a real)."""
    new = copy.deepcopy(old)
    new["dialect"] = dialect
    show("old", old)
    report = classify(old, new, "full")
    note(lambda: explain(report))
    rules = {(c.rule, c.path) for c in report.changes}
    for path, (frag, _) in _paths(old).items():
        text = frag.get("x-data-type")
        if "." in path or "[" in path or "{" in path or not isinstance(text, str):
            continue
        before = parse_type(text, old.get("dialect") or "generic")
        after = parse_type(text, dialect)
        if "unknown" in (before.name, after.name) or before.is_nested() or after.is_nested():
            continue
        rule = _TYPE_RULE.get(compare_canonical(before, after))
        if rule:
            assert (rule, path) in rules, f"{path}: {text} is {type_to_text(before)} in " \
                f"{old.get('dialect') or 'generic'} and {type_to_text(after)} in {dialect}"
