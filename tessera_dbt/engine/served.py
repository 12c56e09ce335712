"""The served schema: the columns and types the warehouse really serves for an asset, merged
into its contract document beside what the YAML declares (docs/contracts.md, "Served and
declared columns").

Pure: the columns come in as `(name, type)` pairs, in the relation's order, however they
were read (a probe of the compiled SQL, the catalog of built relations, catalog.json).

- A served column is promised whether the YAML documents it or not: an undocumented one is
  added to the schema, marked `x-undocumented`, after the documented columns.
- A documented column the relation does not serve is not in the schema (a consumer cannot
  read it); its YAML entry is kept under `x-served.not_served` and reported.
- A served type is the column's type; a declared `data_type` that means the same stays as
  written (the served type may omit a length or precision the warehouse does not report),
  one that differs is reported and replaced.

The document's top-level `x-served` (not compared, not fingerprinted) records what was
found, so a later YAML-only reading can be compared with it (`adopt_served`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .json_schema import to_json_schema
from .type_lattice import TypeRelation, compare_canonical
from .warehouse_types import CanonicalType, parse_type, type_to_text

SERVED = "x-served"
UNDOCUMENTED = "x-undocumented"
TYPE_SOURCE = "x-type-source"
# Column annotations that say only where tessera read a type (the YAML, catalog.json, the
# served relation), never what is promised: not compared, not fingerprinted. Only such
# keys belong here: x-data-type is the type itself, and x-undocumented (whether the YAML
# documents a served column) stays compared, as META.
PROVENANCE_KEYS = frozenset({TYPE_SOURCE})
ServedColumns = Sequence[tuple[str, str]]  # (column name, warehouse type) in relation order


@dataclass(frozen=True)
class Finding:
    """What one document says about itself (not a change between two versions)."""

    rule: str
    path: str
    message: str

    def line(self, asset: str) -> str:
        where = f" at `{self.path}`" if self.path else ""
        return f"{self.rule}{where} ({asset}): {self.message}"


def without_provenance(fragment: Any) -> Any:
    """A JSON Schema fragment (a document's `schema`, a column) without the provenance
    annotations at any depth; anything else as it is."""
    if not isinstance(fragment, Mapping):
        return fragment
    out: dict[str, Any] = {}
    for key, value in fragment.items():
        if key in PROVENANCE_KEYS:
            continue
        if key == "properties" and isinstance(value, Mapping):
            value = {name: without_provenance(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties"):
            value = without_provenance(value)
        out[key] = value
    return out


def means_same(declared: str, served: CanonicalType, dialect: str) -> bool:
    """A declared type is the served one when they parse equal, or when the warehouse
    reports the type without the length or precision the YAML gives (DuckDB's VARCHAR)."""
    d = parse_type(declared, dialect)
    if d.name == "unknown" or served.name == "unknown":
        return " ".join(declared.lower().split()) == " ".join(
            type_to_text(served).lower().split())
    if compare_canonical(d, served) is TypeRelation.SAME:
        return True
    return d.name == served.name and not served.params and not served.is_nested()


def _typed(prop: Mapping[str, Any], served: CanonicalType, required: bool) -> dict[str, Any]:
    """`prop` with its typing replaced by the served type (description and the rest kept)."""
    text = type_to_text(served)
    out = {k: v for k, v in prop.items()
           if k not in ("type", "format", "maxLength", "properties", "items",
                        "additionalProperties", "x-data-type", TYPE_SOURCE)}
    fragment = to_json_schema(served, text)
    if fragment.get("type") is not None and not required:
        fragment["type"] = [fragment["type"], "null"]
    return {**fragment, "x-data-type": text, TYPE_SOURCE: "served", **out}


def with_served(doc: Mapping[str, Any], served: ServedColumns, dialect: str
                ) -> dict[str, Any]:
    """`doc` (built from the YAML) with the served columns and types merged in."""
    schema = dict(doc.get("schema") or {})
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    by_lower = {str(name).lower(): name for name in props}
    served_types: dict[str, tuple[str, CanonicalType]] = {}
    for name, text in served:
        served_types.setdefault(str(name).lower(), (str(name), parse_type(str(text), dialect)))
    merged: dict[str, Any] = {}
    not_served: dict[str, Any] = {}
    differs: dict[str, dict[str, str]] = {}
    for name, prop in props.items():
        found = served_types.get(str(name).lower())
        if found is None:
            not_served[name] = prop
            continue
        declared = prop.get("x-data-type") if isinstance(prop, Mapping) else None
        if isinstance(declared, str) and prop.get(TYPE_SOURCE) != "catalog" \
                and means_same(declared, found[1], dialect):
            merged[name] = prop
            continue
        if isinstance(declared, str) and prop.get(TYPE_SOURCE) != "catalog":
            differs[name] = {"declared": declared, "served": type_to_text(found[1])}
        merged[name] = _typed(prop if isinstance(prop, Mapping) else {}, found[1],
                              name in required)
    undocumented = []
    for lower, (name, ctype) in served_types.items():
        if lower not in by_lower:
            merged[name] = {**_typed({}, ctype, False), UNDOCUMENTED: True}
            undocumented.append(name)
    schema["properties"] = merged
    if required:
        kept = [r for r in schema.get("required") or () if r in merged]
        if kept:
            schema["required"] = kept
        else:
            schema.pop("required", None)
    out = {**doc, "schema": schema}
    out[SERVED] = {"columns": len(served_types), "undocumented": undocumented,
                   "not_served": not_served, "type_differs": differs,
                   "declared": dict(doc.get("schema") or {})}
    return out


def declared_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document as its YAML alone declares it (what a reading without the served
    columns builds), for a document read with them; any other document as it is."""
    served = doc.get(SERVED)
    if not isinstance(served, Mapping) or not isinstance(served.get("declared"), Mapping):
        return dict(doc)
    out = {k: v for k, v in doc.items() if k != SERVED}
    out["schema"] = dict(served["declared"])
    return out


def served_findings(doc: Mapping[str, Any]) -> list[Finding]:
    """The findings of one document: documented columns not served, declared types that
    differ, and a thin contract (no column, or fewer than the relation serves)."""
    served = doc.get(SERVED)
    props = (doc.get("schema") or {}).get("properties") or {}
    out: list[Finding] = []
    if not isinstance(served, Mapping):
        if not props:
            out.append(Finding("CONTRACT_THIN", "", "the contract lists no column: document "
                               "the columns consumers read in the model's YAML"))
        return out
    for name in served.get("not_served") or {}:
        out.append(Finding("DECLARED_NOT_SERVED", str(name),
                           "documented in the YAML but not served by the relation; consumers "
                           "cannot read it (restore it in the SQL, or remove it from the YAML)"))
    for name, types in (served.get("type_differs") or {}).items():
        out.append(Finding("DECLARED_TYPE_DIFFERS", str(name),
                           f"declared {types['declared']}, served {types['served']}; the "
                           "served type is the contract (fix the cast or the data_type)"))
    undocumented = list(served.get("undocumented") or ())
    if undocumented:
        total = served.get("columns") or len(props)
        documented = total - len(undocumented)
        listed = ", ".join(undocumented[:8]) + (f" and {len(undocumented) - 8} more"
                                                  if len(undocumented) > 8 else "")
        out.append(Finding("CONTRACT_THIN", "",
                           f"the YAML documents {documented} of the {total} columns the "
                           f"relation serves; undocumented: {listed} (promised all the same: "
                           "document them)"))
    return out


def adopt_served(published: Mapping[str, Any], current: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """`published` as `current` should be compared with it, when one of the two was read
    with the served columns and the other from the YAML alone: the undocumented columns
    and the documented-but-not-served ones are taken as they were (neither reading can
    see the other's), so the comparison shows what changed, not how it was read."""
    old_served, new_served = published.get(SERVED), current.get(SERVED)
    if isinstance(old_served, Mapping) == isinstance(new_served, Mapping):
        return dict(published)
    schema = dict(published.get("schema") or {})
    props = dict(schema.get("properties") or {})
    if isinstance(new_served, Mapping):  # published from the YAML, current served
        current_props = (current.get("schema") or {}).get("properties") or {}
        for name in new_served.get("undocumented") or ():
            props.setdefault(name, current_props.get(name, {}))
        typing = ("type", "format", "maxLength", "x-data-type", TYPE_SOURCE)
        for name, prop in props.items():  # untyped in the YAML: the served type all along
            new = current_props.get(name)
            if isinstance(prop, Mapping) and isinstance(new, Mapping) \
                    and new.get(TYPE_SOURCE) == "served" and "x-data-type" not in prop:
                props[name] = {**prop, **{k: v for k, v in new.items() if k in typing}}
    elif isinstance(old_served.get("declared"), Mapping):  # current from the YAML alone
        return declared_view(published)
    else:
        props = {n: p for n, p in props.items()
                 if not (isinstance(p, Mapping) and p.get(UNDOCUMENTED))}
        props.update({n: p for n, p in (old_served.get("not_served") or {}).items()
                      if n not in props})
    schema["properties"] = props
    return {**published, "schema": schema}


@dataclass(frozen=True)
class Drift:
    """A published contract against its live relation."""

    asset: str
    dropped: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()  # (column, published, served)
    added: tuple[str, ...] = ()
    missing: bool = False

    @property
    def drifted(self) -> bool:
        return self.missing or bool(self.dropped or self.retyped or self.added)

    def key(self) -> tuple[Any, ...]:
        return (self.missing, self.dropped, self.retyped, self.added)

    def line(self) -> str:
        if self.missing:
            return f"{self.asset}: the relation is missing from the warehouse"
        parts = []
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.retyped:
            parts.append("retyped " + ", ".join(f"{c} ({a} → {b})" for c, a, b in self.retyped))
        if self.added:
            parts.append("added " + ", ".join(self.added))
        return f"{self.asset}: " + "; ".join(parts)


def drift(published: Mapping[str, Any], served: ServedColumns | None, dialect: str) -> Drift:
    """What the live relation serves that the published contract does not say (None: the
    relation is missing)."""
    asset = str(published.get("asset") or "")
    if served is None:
        return Drift(asset, missing=True)
    props = (published.get("schema") or {}).get("properties") or {}
    live = {str(n).lower(): (str(n), str(t)) for n, t in served}
    dropped, retyped = [], []
    for name, prop in props.items():
        found = live.get(str(name).lower())
        if found is None:
            dropped.append(str(name))
            continue
        declared = prop.get("x-data-type") if isinstance(prop, Mapping) else None
        if isinstance(declared, str):
            ctype = parse_type(found[1], dialect)
            if not means_same(declared, ctype, dialect):
                retyped.append((str(name), declared, type_to_text(ctype)))
    known = {str(n).lower() for n in props}
    added = [name for lower, (name, _) in live.items() if lower not in known]
    return Drift(asset, tuple(dropped), tuple(retyped), tuple(added))
