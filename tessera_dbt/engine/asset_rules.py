"""Asset-level rules (docs/compatibility-extensions.md): the relation consumers query,
its materialization, and whether dbt enforces the declared types (pure).

They read the `x-dbt` provenance the extraction writes (`relation`, `materialized`,
`contract_enforced`, `latest_version`). Only what the user's project declares is compared:
the identifier (alias), the configured custom schema and database, and a versioned
model's latest_version, so a CI target building into its own schema is not a move. A key
missing on either side (a contract published before tessera wrote it) is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .changes import Change
from .grain_rules import grain_changes, snapshot_changes
from .guarantee_diff import normalise_guarantees
from .rules import RULES_BY_ID

# materializations that leave no relation to query
UNQUERYABLE = frozenset({"ephemeral"})
# dbt model access, narrowest first: who may `ref` the model
ACCESS_ORDER = ("private", "protected", "public")
# compared since access, groups and enforced constraints were: a contract fingerprinted
# before without them still matches (engine.decider.fingerprints)
ACCESS_KEYS = ("access", "group")
LATER_KEYS = (*ACCESS_KEYS, "constraints_enforced", "grain", "snapshot")


def asset_shape(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The compared part of a document's `x-dbt` provenance."""
    dbt = doc.get("x-dbt")
    if not isinstance(dbt, Mapping):
        return {}
    out: dict[str, Any] = {}
    relation = dbt.get("relation")
    if isinstance(relation, Mapping):
        for key in ("identifier", "schema_config", "database_config"):
            if key in relation:
                out[key] = relation[key]
    for key in ("materialized", "contract_enforced", *LATER_KEYS):
        if key in dbt:
            out[key] = dbt[key]
    if dbt.get("model_version") is not None and "latest_version" in dbt:
        out["latest_version"] = dbt["latest_version"]
    return out


def same_shape(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    a, b = asset_shape(old), asset_shape(new)
    return all(a[k] == b[k] for k in a.keys() & b.keys())


def _relation_text(doc: Mapping[str, Any]) -> str:
    relation = (doc.get("x-dbt") or {}).get("relation") or {}
    parts = [relation.get("database"), relation.get("schema"), relation.get("identifier")]
    return ".".join(str(p) for p in parts if p) or str(doc.get("asset"))


def _moved(old: Mapping[str, Any], new: Mapping[str, Any], a: Mapping[str, Any],
           b: Mapping[str, Any]) -> str:
    """The relation consumers will query after the change, in the old one's terms: the
    parts the project did not change keep the old (production) value."""
    before = (old.get("x-dbt") or {}).get("relation") or {}
    after = (new.get("x-dbt") or {}).get("relation") or {}
    parts = []
    for part, config in (("database", "database_config"), ("schema", "schema_config"),
                         ("identifier", "identifier")):
        same = config in a and config in b and a[config] == b[config]
        parts.append(before.get(part) if same else after.get(part))
    return ".".join(str(p) for p in parts if p)


def asset_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    a, b = asset_shape(old), asset_shape(new)
    common = a.keys() & b.keys()
    changes: list[Change] = []
    configured = [k for k in ("database_config", "schema_config", "identifier")
                  if k in common and a[k] != b[k]]
    moved = [k for k in configured if not _configured_in_place(old, new, k)]
    changes += [Change("META", f"relation.{k}", a[k], b[k], frozenset(),
                       f"`{k.removesuffix('_config')}:` {a[k]!r} → {b[k]!r}, where the "
                       "relation already is: nothing moved.")
                for k in configured if k not in moved]
    if moved:
        before, after = _relation_text(old), _moved(old, new, a, b)
        what = ", ".join(f"{k.removesuffix('_config')} {a[k]!r} → {b[k]!r}" for k in moved)
        changes.append(_change("RELATION_CHANGED", "relation", before, after,
                               f"The relation consumers query moved from {before} to "
                               f"{after} ({what})."))
    if "latest_version" in common and a["latest_version"] != b["latest_version"]:
        changes.append(_change("RELATION_CHANGED", "relation.latest_version",
                               a["latest_version"], b["latest_version"],
                               f"`ref` without a version now resolves to version "
                               f"{b['latest_version']} instead of {a['latest_version']}."))
    if "materialized" in common and a["materialized"] != b["materialized"]:
        rule = ("ASSET_UNQUERYABLE" if b["materialized"] in UNQUERYABLE
                and a["materialized"] not in UNQUERYABLE else "MATERIALIZATION_CHANGED")
        message = (f"Materialized as {b['materialized']} (was {a['materialized']}): no "
                   f"relation is left to query at {_relation_text(old)}."
                   if rule == "ASSET_UNQUERYABLE" else
                   f"Materialization {a['materialized']} → {b['materialized']}; constraints "
                   "it does not enforce are reported as removed guarantees.")
        changes.append(_change(rule, "materialized", a["materialized"], b["materialized"],
                               message))
    changes += _access_changes(a, b, common, _relation_text(old))
    if "grain" in common:
        changes += grain_changes(a["grain"], b["grain"], "snapshot" in b)
    if "snapshot" in common:
        changes += snapshot_changes(a["snapshot"], b["snapshot"])
    if "constraints_enforced" in common:
        changes += _enforcement_changes(a["constraints_enforced"], b["constraints_enforced"],
                                        set(normalise_guarantees(new)))
    if "contract_enforced" in common and a["contract_enforced"] and not b["contract_enforced"]:
        changes.append(_change("TYPES_UNENFORCED", "contract.enforced", True, False,
                               "`contract.enforced` was turned off: dbt no longer checks the "
                               "declared column types at build, so the type promise is "
                               "loosened."))
    elif "contract_enforced" in common and b["contract_enforced"] and not a["contract_enforced"]:
        changes.append(Change("META", "contract.enforced", False, True, frozenset(),
                              "`contract.enforced` was turned on: dbt checks the declared "
                              "column types at build."))
    return changes


def _configured_in_place(old: Mapping[str, Any], new: Mapping[str, Any], key: str) -> bool:
    """A `database:`/`schema:` config set to (or unset from) the value the relation already
    resolves to: the relation is where it was, so nothing moved."""
    part = key.removesuffix("_config")
    before = (old.get("x-dbt") or {}).get("relation") or {}
    after = (new.get("x-dbt") or {}).get("relation") or {}
    if before.get(part) is None or before.get(part) != after.get(part):
        return False
    return before.get(key) is None and after.get(key) == after.get(part) or \
        after.get(key) is None and before.get(key) == before.get(part)


def _access_changes(a: Mapping[str, Any], b: Mapping[str, Any], common: set[str],
                    relation: str) -> list[Change]:
    """Who may `ref` the model: narrower access, or a private model moved to another
    group, cuts consumers off; wider access only adds readers."""
    out: list[Change] = []
    old_access, new_access = a.get("access"), b.get("access")
    if "access" in common and old_access != new_access \
            and {old_access, new_access} <= set(ACCESS_ORDER):
        narrowed = ACCESS_ORDER.index(new_access) < ACCESS_ORDER.index(old_access)
        out.append(_change(
            "ACCESS_NARROWED" if narrowed else "ACCESS_WIDENED", "access", old_access,
            new_access, f"Access {old_access} → {new_access}: " + (
                f"models that `ref` {relation} from "
                + ("other projects" if new_access == "protected" else "outside its group")
                + " no longer resolve." if narrowed else "more models may `ref` it.")))
    if "group" in common and a["group"] != b["group"]:
        out.append(_change("GROUP_CHANGED", "group", a["group"], b["group"],
                           f"A private model moved from group {a['group']!r} to "
                           f"{b['group']!r}: models of {a['group']!r} may no longer `ref` "
                           f"{relation}.") if new_access == "private" else
                   _change("META", "group", a["group"], b["group"],
                           f"Group {a['group']!r} → {b['group']!r}: a "
                           f"{new_access or 'non-private'} model's group does not limit "
                           "who may `ref` it."))
    return out


def _enforcement_changes(before: Any, after: Any, kept: set[str]) -> list[Change]:
    """A guarantee an enforced constraint prevented that only a test detects now (the
    constraint removed, or contract enforcement turned off, while the test stays):
    loosened, since bad rows can now be written and are only found afterwards. One
    removed altogether is GUARANTEE_REMOVED (guarantee_diff); a new constraint is verified
    by the build that applies it."""
    old, new = set(before or ()), set(after or ())
    out = []
    for key in sorted(old - new):
        normalised = "not_null" + key[len("nullability"):] if key.startswith("nullability.") \
            else key
        if normalised in kept:
            out.append(_change("GUARANTEE_LOOSENED", key, "constraint", "test",
                               f"{key} was prevented by an enforced constraint; now a test "
                               "only detects violations after they are written."))
    out += [Change("GUARANTEE_TIGHTENED", key, "test", "constraint", frozenset(),
                   f"{key} is now prevented by an enforced constraint (the build that "
                   "applies it verifies it).") for key in sorted(new - old)]
    return out


def _change(rule: str, path: str, old: Any, new: Any, message: str) -> Change:
    return Change(rule, path, old, new, RULES_BY_ID[rule].breaks_under, message)
