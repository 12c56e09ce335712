"""Classify the change between two contract documents (compatibility.md).

`classify(old, new, mode)` is pure: documents in, a Report out. The document is compared
part by part (structure, types, schema-only domain, guarantees) and every difference
becomes one Change carrying a rule id from `rules.RULES`, so every verdict explains itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .asset_rules import asset_changes, asset_shape, same_shape
from .changes import Change, Report, base_mode
from .errors import ConfigError
from .guarantee_diff import guarantee_changes, normalise_guarantees
from .rules import Level
from .semver import parse_version
from .served import without_provenance
from .structure import Column, columns_of, required_by_guarantee, structure_changes
from .vocabulary import MODES

# Document keys that say who reads the asset or where it came from: not promises.
_NOT_COMPARED = frozenset({"asset", "version", "consumers", "schema", "guarantees"})


def _check_mode(mode: str | None, old: Mapping[str, Any]) -> str:
    effective = str(mode or old.get("compatibility") or "backward").lower()
    if effective not in MODES:
        raise ConfigError(f"unknown compatibility mode {effective!r}",
                          f"use one of: {', '.join(MODES)}")
    return effective


def _other_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Document-level keys: the description (path ``) and metadata (owner, mode, ...)."""
    changes = []
    old_schema, new_schema = old.get("schema") or {}, new.get("schema") or {}
    before = old.get("description", old_schema.get("description"))
    after = new.get("description", new_schema.get("description"))
    if before != after:
        changes.append(Change("DESCRIPTION", "", before, after, frozenset(),
                              "The contract's description changed."))
    keys = [k for k in (*old, *(k for k in new if k not in old))
            if k not in _NOT_COMPARED and k != "description" and not str(k).startswith("x-")]
    for key in keys:
        before, after = old.get(key), new.get(key)
        if before != after:
            changes.append(Change("META", key, before, after, frozenset(),
                                  f"The contract's `{key}` changed from {before!r} to "
                                  f"{after!r}."))
    return changes


def _compared_keys(doc: Mapping[str, Any]) -> set[str]:
    """Keys that hold promises: not provenance (`x-*`), consumers or the version."""
    return {k for k in doc if k not in ("version", "consumers") and not str(k).startswith("x-")}


def _without_test_ids(guarantees: Any) -> Any:
    """A guarantee's `test` names the dbt test behind it: provenance, not promise."""
    if not isinstance(guarantees, Mapping) or not isinstance(guarantees.get("custom"), list):
        return guarantees
    if not any(isinstance(g, Mapping) and "test" in g for g in guarantees["custom"]):
        return guarantees
    custom = [{k: v for k, v in g.items() if k != "test"} if isinstance(g, Mapping) else g
              for g in guarantees["custom"]]
    return {**guarantees, "custom": custom}


_NESTING = ("properties", "items", "additionalProperties")


def promises(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a document that is compared, in its own key order."""
    keys = _compared_keys(doc)
    out = {k: doc[k] for k in doc if k in keys}
    if "guarantees" in out:
        out["guarantees"] = _without_test_ids(out["guarantees"])
    if "schema" in out:  # where a type was read is no promise (served.PROVENANCE_KEYS)
        out["schema"] = without_provenance(out["schema"])
    shape = asset_shape(doc)
    if shape:
        out["x-dbt"] = shape
    return out


def _same_property_orders(a: Any, b: Any) -> bool:
    """Column order at every depth: the one key order that counts (a and b are equal)."""
    props = a.get("properties")
    if isinstance(props, dict):
        if list(props) != list(b["properties"]):
            return False
        other = b["properties"]
        for name, column in props.items():
            if isinstance(column, dict) and any(k in column for k in _NESTING) \
                    and not _same_property_orders(column, other[name]):
                return False
    for key in ("items", "additionalProperties"):
        if isinstance(a.get(key), dict) and not _same_property_orders(a[key], b[key]):
            return False
    return True


def same_document(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Equal as parsed, column order included (compatibility.md, Semver)."""
    keys = _compared_keys(old)
    if keys != _compared_keys(new) or not same_shape(old, new):
        return False
    for key in keys:
        a, b = old[key], new[key]
        if a == b:
            continue
        if key == "schema" and without_provenance(a) == without_provenance(b):
            continue
        if key != "guarantees" or _without_test_ids(a) != _without_test_ids(b):
            return False
    schema = old.get("schema")
    return not isinstance(schema, dict) or _same_property_orders(schema, new["schema"])


def _changed_columns(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str] | None:
    """Top-level columns whose schema differs (None: compare every column). A column
    whose JSON Schema and `required` membership are equal cannot change by itself."""
    if old.get("dialect") != new.get("dialect"):
        return None
    a = without_provenance(old.get("schema") or {})
    b = without_provenance(new.get("schema") or {})
    pa, pb = a.get("properties") or {}, b.get("properties") or {}
    if not isinstance(pa, Mapping) or not isinstance(pb, Mapping):
        return None
    ra, rb = set(a.get("required") or ()), set(b.get("required") or ())
    return {n for n in (*pa, *pb) if pa.get(n) != pb.get(n) or ((n in ra) != (n in rb))}


def _top_level_order(doc: Mapping[str, Any]) -> list[str]:
    props = (doc.get("schema") or {}).get("properties")
    return list(props) if isinstance(props, Mapping) else []


def classify(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    mode: str | None = None,
    passed_tests: Iterable[str] = (),
    verified_by_run: bool = False,
) -> Report:
    """Every change from `old` to `new` and the verdict under `mode`.

    `mode` defaults to the old document's `compatibility`. `passed_tests` holds the
    unique_ids of dbt tests that passed in the build that produced `new`; a tightened
    guarantee whose test is among them is verified and breaks nothing.
    """
    effective = _check_mode(mode, old)
    passed = frozenset(passed_tests)
    if same_document(old, new):
        return Report(old.get("asset") or new.get("asset"), effective, (), False, "none")
    only = _changed_columns(old, new)
    old_cols = columns_of(old, only)
    new_cols = columns_of(new, only)
    same_guarantees = (_without_test_ids(old.get("guarantees"))
                       == _without_test_ids(new.get("guarantees")))
    old_g = normalise_guarantees(old)
    new_g = old_g if same_guarantees else normalise_guarantees(new)
    old_guarded = required_by_guarantee(old_g)
    new_guarded = old_guarded if same_guarantees else required_by_guarantee(new_g)
    all_g = (*old_g.values(), *new_g.values())
    changes = structure_changes(
        old_cols, new_cols,
        dialects=(str(old.get("dialect") or "generic"), str(new.get("dialect") or "generic")),
        top_level_orders=(_top_level_order(old), _top_level_order(new)),
        old_guarded=old_guarded, new_guarded=new_guarded,
        # Only a guarantee making the same promise (error severity, every row) replaces the
        # schema's side of it; an advisory or filtered test leaves the schema to speak.
        not_null_paths=old_guarded | new_guarded,
        enum_guarded={g.column for g in all_g if g.kind == "accepted_values" and g.column
                      and g.strict},
    )
    if not same_guarantees:
        gone = _vanished(old_cols, new_cols)
        changes += guarantee_changes(old_g, new_g, passed, verified_by_run, gone)
    changes += asset_changes(old, new)
    changes += _other_changes(old, new)
    if not changes:  # every verdict that suggests a bump names the change behind it
        changes.append(Change("FORM_CHANGED", "", None, None, frozenset(),
                              "Only the form changed (a list reordered, SQL whitespace or "
                              "comments): no promise did."))
    return _report(old, new, effective, changes)


def _vanished(old_cols: Mapping[str, Column], new_cols: Mapping[str, Column]) -> set[str]:
    """Columns that exist on only one side: their guarantees go with the column."""
    return {p for p in old_cols if p not in new_cols} | {p for p in new_cols if p not in old_cols}


def _report(old: Mapping[str, Any], new: Mapping[str, Any], mode: str,
            changes: Sequence[Change], first_failing: str | None = None) -> Report:
    breaking = any(c.breaks(mode) for c in changes)
    return Report(
        asset=old.get("asset") or new.get("asset"),
        mode=mode,
        changes=tuple(changes),
        breaking=breaking,
        suggested_bump=suggest_bump(changes, mode),
        first_failing_version=first_failing,
        consumers=tuple(old.get("consumers") or ()),
    )


def suggest_bump(changes: Sequence[Change], mode: str) -> str:
    """major if anything breaks (under `none`: anything `backward` would call breaking),
    minor for any change to structure, types, domain or guarantees, else patch. Called
    only for documents that differ: a difference of form alone (list order, SQL
    whitespace) is a patch with no change to report."""
    if not changes:
        return "patch"
    probe = "backward" if base_mode(mode) == "none" else mode
    if any(c.breaks(probe) for c in changes):
        return "major"
    if any(c.level is Level.MINOR for c in changes):
        return "minor"
    return "patch"


def classify_against_history(
    history: Sequence[Mapping[str, Any]],
    new: Mapping[str, Any],
    mode: str | None = None,
    passed_tests: Iterable[str] = (),
    verified_by_run: bool = False,
) -> Report:
    """`new` against published versions, oldest first (the last is the current one).

    Plain modes compare with the current version only. `*_transitive` modes also compare
    with every earlier version of the current major line and name the first that fails.
    """
    if not history:
        raise ConfigError("no published version to compare with")
    current = history[-1]
    effective = _check_mode(mode, current)
    passed = frozenset(passed_tests)
    latest = classify(current, new, effective, passed, verified_by_run)
    if not effective.endswith("_transitive"):
        return latest
    if latest.suggested_bump == "none":
        return latest  # identical to the current version: nothing to publish, whatever came before
    line = _major(current)
    changes = list(latest.changes)
    seen = {(c.rule, c.path) for c in changes if c.breaks(effective)}
    first_failing = None
    for doc in history:
        if line is not None and _major(doc) != line:
            continue
        verdict = latest if doc is current else classify(doc, new, effective, passed,
                                                          verified_by_run)
        if not verdict.breaking:
            continue
        label = str(doc.get("version") or "an earlier version")
        first_failing = first_failing or label
        if doc is current:
            continue
        for change in verdict.breaking_changes:
            if (change.rule, change.path) not in seen:
                seen.add((change.rule, change.path))
                changes.append(_against(change, label))
    if len(changes) == len(latest.changes):
        return replace(latest, first_failing_version=first_failing)
    return _report(current, new, effective, changes, first_failing)


def _against(change: Change, version: str) -> Change:
    return Change(change.rule, change.path, change.old, change.new, change.breaks_under,
                  f"{change.message} (against {version})", change.note, change.guarantee,
                  version)


def _major(doc: Mapping[str, Any]) -> int | None:
    version = doc.get("version")
    if not version:
        return None
    try:
        return parse_version(str(version)).major
    except ConfigError:
        return None


def diff_documents(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    mode: str | None = None,
    passed_tests: Iterable[str] = (),
    history: Sequence[Mapping[str, Any]] = (),
    verified_by_run: bool = False,
) -> Report:
    """What `tessera diff` runs: OLD against NEW, with optional earlier versions."""
    if history:
        return classify_against_history([*history, old], new, mode, passed_tests,
                                        verified_by_run)
    return classify(old, new, mode, passed_tests, verified_by_run)
