"""Contract documents to and from the Open Data Contract Standard, ODCS v3.1.0.

See docs/contracts.md, "ODCS". `to_odcs(document)` writes one ODCS data contract: the
asset as its one schema object, columns as properties (`engine.odcs_columns`), guarantees
as quality rules, freshness as SLA properties, the owner as the team, and tessera's
compatibility mode, dialect, history and acknowledgments under `customProperties`.
`from_odcs(odcs)` reads one back; for a document `to_odcs` wrote, `from_odcs(to_odcs(d))
== d` (whatever ODCS cannot express is kept as a residual under `customProperties`). Pure:
dicts in, dicts out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import DocumentError
from .odcs_columns import (
    _CUSTOM_ID,
    accepted_values_rule,
    apply_residual,
    custom_order,
    custom_property,
    decode_column,
    decode_rule,
    encode_column,
    encode_custom,
    nullability_rule,
    residual,
)
from .vocabulary import MODES

API_VERSION = "v3.1.0"
COMPATIBILITY = "tesseraCompatibility"
DIALECT = "tesseraDialect"
DOCUMENT = "tesseraDocument"  # document keys ODCS does not carry exactly
GUARANTEES = "tesseraGuarantees"  # guarantee keys the quality rules do not carry exactly
SCHEMA = "tesseraSchema"  # keys of the object's JSON Schema the properties do not carry
HISTORY = "tesseraVersions"
PROPOSALS = "tesseraProposals"
_PERIODS = ("warn_after", "error_after")
_DIALECTS = ("generic", "duckdb", "postgres", "snowflake", "bigquery", "spark", "redshift")


def _physical_type(document: Mapping[str, Any]) -> str:
    dbt = document.get("x-dbt") if isinstance(document.get("x-dbt"), Mapping) else {}
    if dbt.get("resource_type") == "source":
        return "source"
    return str(dbt.get("materialized") or "table")


def _object_name(document: Mapping[str, Any]) -> str:
    return str(document.get("asset") or "asset").rsplit(".", 1)[-1]


def _quality(guarantees: Mapping[str, Any], columns: Mapping[str, Any]
             ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Quality rules per column, and the asset's own."""
    per_column: dict[str, list[dict[str, Any]]] = {}
    nullability = guarantees.get("nullability")
    for name, value in (nullability.items() if isinstance(nullability, Mapping) else ()):
        if name in columns and value == "never":
            per_column.setdefault(name, []).append(nullability_rule())
    accepted = guarantees.get("accepted_values")
    for name, values in (accepted.items() if isinstance(accepted, Mapping) else ()):
        if name in columns and isinstance(values, list):
            per_column.setdefault(name, []).append(accepted_values_rule(values))
    table: list[dict[str, Any]] = []
    custom = guarantees.get("custom")
    for index, entry in enumerate(custom if isinstance(custom, list) else ()):
        if not isinstance(entry, Mapping):
            continue
        rule = encode_custom(index, entry)
        column = entry.get("column")
        if isinstance(column, str) and column in columns:
            per_column.setdefault(column, []).append(rule)
        else:
            table.append(rule)
    return per_column, table


def _annotate_keys(properties: list[dict[str, Any]], custom: Any) -> None:
    """`primaryKey`/`unique` on the properties a primary_key or unique guarantee names, for
    ODCS readers (the quality rules are what `from_odcs` reads back)."""
    by_name = {p["name"]: p for p in properties}
    for entry in custom if isinstance(custom, list) else ():
        if not isinstance(entry, Mapping) or entry.get("type") not in ("primary_key", "unique"):
            continue
        names = [entry["column"]] if isinstance(entry.get("column"), str) \
            else list(entry.get("columns") or ())
        for position, name in enumerate(names, 1):
            if name not in by_name:
                continue
            if entry["type"] == "primary_key":
                by_name[name]["primaryKey"] = True
                by_name[name]["primaryKeyPosition"] = position
            elif len(names) == 1:
                by_name[name]["unique"] = True


def _sla(freshness: Any) -> list[dict[str, Any]]:
    if not isinstance(freshness, Mapping):
        return []
    out = []
    for key in _PERIODS:
        period = freshness.get(key)
        if isinstance(period, Mapping) and isinstance(period.get("count"), int):
            entry: dict[str, Any] = {"id": f"freshness_{key}", "property": "freshness",
                                     "value": period["count"],
                                     "unit": str(period.get("period"))}
            if isinstance(freshness.get("loaded_at_field"), str):
                entry["element"] = freshness["loaded_at_field"]
            entry["description"] = f"{key.replace('_', ' ')} {period['count']} " \
                                   f"{period.get('period')}(s)"
            out.append(entry)
    return out


def _freshness(sla: Any) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for entry in sla if isinstance(sla, list) else ():
        if not isinstance(entry, Mapping) or entry.get("property") != "freshness":
            continue
        key = str(entry.get("id") or "").removeprefix("freshness_")
        key = key if key in _PERIODS else "error_after" if "warn_after" in out \
            else "warn_after"
        unit = str(entry.get("unit") or "").lower().rstrip("s")
        unit = {"h": "hour", "d": "day", "m": "minute", "min": "minute"}.get(unit, unit)
        out[key] = {"count": entry.get("value"), "period": unit}
        if isinstance(entry.get("element"), str):
            out["loaded_at_field"] = entry["element"].rsplit(".", 1)[-1]
    return out or None


def to_odcs(document: Mapping[str, Any], *, status: str = "active",
            versions: Sequence[str] = (), proposals: Sequence[Mapping[str, Any]] = ()
            ) -> dict[str, Any]:
    """One ODCS v3.1.0 data contract for one contract document."""
    schema = document.get("schema") if isinstance(document.get("schema"), Mapping) else {}
    columns = schema.get("properties") if isinstance(schema.get("properties"), Mapping) \
        else {}
    guarantees = document.get("guarantees") if isinstance(
        document.get("guarantees"), Mapping) else {}
    per_column, table = _quality(guarantees, columns)
    required = list(schema.get("required") or ())
    obj: dict[str, Any] = {
        "name": _object_name(document), "physicalName": _object_name(document),
        "physicalType": _physical_type(document), "logicalType": "object",
        "properties": [encode_column(name, fragment, name in required,
                                     per_column.get(name, []))
                       for name, fragment in columns.items() if isinstance(fragment, Mapping)]}
    _annotate_keys(obj["properties"], guarantees.get("custom"))
    if table:
        obj["quality"] = table
    sla = _sla(guarantees.get("freshness"))
    odcs: dict[str, Any] = {
        "apiVersion": API_VERSION, "kind": "DataContract",
        "id": str(document.get("asset")), "name": _object_name(document),
        "version": str(document.get("version") or "0.0.0"), "status": status}
    if isinstance(document.get("description"), str):
        odcs["description"] = {"purpose": document["description"]}
    odcs["schema"] = [obj]
    if isinstance(document.get("owner"), str):
        odcs["team"] = {"name": document["owner"]}
    if sla:
        odcs["slaProperties"] = sla
    custom: list[dict[str, Any]] = []
    for name, key in ((COMPATIBILITY, "compatibility"), (DIALECT, "dialect")):
        if key in document:
            custom.append({"property": name, "value": document[key]})
    # what a round trip through the native parts would not give back, kept exactly
    decoded = from_odcs({**odcs, "customProperties": custom}, strict=False)
    for name, rest in ((SCHEMA, residual(schema, decoded["schema"])),
                       (GUARANTEES, residual(guarantees, decoded.get("guarantees") or {}))):
        if rest:
            obj.setdefault("customProperties", []).append({"property": name, "value": rest})
    decoded = from_odcs({**odcs, "customProperties": custom}, strict=False)
    rest = residual(document, decoded)
    if rest:
        custom.append({"property": DOCUMENT, "value": rest,
                       "description": "contract document keys ODCS does not carry"})
    if versions:
        custom.append({"property": HISTORY, "value": list(versions),
                       "description": "every published version, oldest first"})
    if proposals:
        custom.append({"property": PROPOSALS, "value": [dict(p) for p in proposals],
                       "description": "proposals and each team's acknowledgment"})
    odcs["customProperties"] = custom
    return odcs


def _asset(odcs: Mapping[str, Any], obj: Mapping[str, Any]) -> str:
    servers = odcs.get("servers")
    server = servers[0] if isinstance(servers, list) and servers and isinstance(
        servers[0], Mapping) else {}
    table = obj.get("physicalName") or obj.get("name")
    if server.get("database") and server.get("schema") and table:
        return f"{server['database']}.{server['schema']}.{table}".lower()
    if odcs.get("id"):
        return str(odcs["id"])
    raise DocumentError("the ODCS contract has no id and no server to name its asset",
                        "give it `id: database.schema.table`")


def _guarantees(obj: Mapping[str, Any]) -> dict[str, Any]:
    nullability: dict[str, str] = {}
    accepted: dict[str, list[Any]] = {}
    found: list[tuple[tuple[int, int], dict[str, Any]]] = []
    position = 0
    props = [p for p in obj.get("properties") or () if isinstance(p, Mapping)]
    rules = [(None, r) for r in obj.get("quality") or ()]
    for prop in props:
        if prop.get("required"):
            nullability[str(prop.get("name"))] = "never"
        rules += [(str(prop.get("name")), r) for r in prop.get("quality") or ()]
    for column, rule in rules:
        if not isinstance(rule, Mapping):
            continue
        position += 1
        mine = _CUSTOM_ID.match(str(rule.get("id") or ""))
        if column and not mine and rule.get("metric") == "nullValues" \
                and rule.get("mustBe") == 0:
            nullability[column] = "never"
            continue
        if column and not mine and rule.get("metric") == "invalidValues":
            values = (rule.get("arguments") or {}).get("validValues")
            if isinstance(values, list) and rule.get("mustBe") == 0:
                accepted[column] = values
                continue
        entry = decode_rule(rule, column)
        if entry is not None:
            found.append((custom_order(rule, position), entry))
    kinds = {(e.get("type"), e.get("column")) for _, e in found}
    keys = [p for p in props if p.get("primaryKey")]
    keys.sort(key=lambda p: p.get("primaryKeyPosition") or 0)
    if len(keys) == 1 and ("primary_key", keys[0].get("name")) not in kinds:
        found.append(((1 << 31, 0), {"type": "primary_key", "column": keys[0]["name"]}))
    elif len(keys) > 1 and not any(k == "primary_key" for k, _ in kinds):
        found.append(((1 << 31, 0), {"type": "primary_key",
                                     "columns": [p["name"] for p in keys]}))
    for prop in props:
        if prop.get("unique") and ("unique", prop.get("name")) not in kinds:
            found.append(((1 << 31, 1), {"type": "unique", "column": prop["name"]}))
    out: dict[str, Any] = {}
    if nullability:
        out["nullability"] = nullability
    if accepted:
        out["accepted_values"] = accepted
    if found:
        out["custom"] = [e for _, e in sorted(found, key=lambda f: f[0])]
    return out


def from_odcs(odcs: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """The contract document of one ODCS data contract (one schema object)."""
    objects = [o for o in odcs.get("schema") or () if isinstance(o, Mapping)]
    if len(objects) != 1:
        raise DocumentError(f"an ODCS contract for tessera describes one table, this one "
                            f"has {len(objects)} schema objects",
                            "split it into one contract per table")
    obj = objects[0]
    custom = odcs.get("customProperties")
    doc: dict[str, Any] = {"asset": _asset(odcs, obj), "version": str(odcs.get("version"))}
    mode = custom_property(custom, COMPATIBILITY) or custom_property(custom, "compatibility")
    if mode is not None:
        if strict and mode not in MODES:
            raise DocumentError(f"unknown compatibility mode {mode!r}",
                                f"use one of: {', '.join(MODES)}")
        doc["compatibility"] = mode
    team = odcs.get("team")
    if isinstance(team, Mapping) and isinstance(team.get("name"), str):
        doc["owner"] = team["name"]
    dialect = custom_property(custom, DIALECT)
    if dialect is None and isinstance(odcs.get("servers"), list) and odcs["servers"]:
        server_type = str((odcs["servers"][0] or {}).get("type") or "")
        dialect = server_type if server_type in _DIALECTS else None
    if dialect is not None:
        doc["dialect"] = dialect
    description = odcs.get("description")
    if isinstance(description, Mapping) and isinstance(description.get("purpose"), str):
        doc["description"] = description["purpose"]
    props = [p for p in obj.get("properties") or () if isinstance(p, Mapping) and "name" in p]
    schema: dict[str, Any] = {"type": "object", "properties": {
        str(p["name"]): decode_column(p) for p in props}}
    required = [str(p["name"]) for p in props if p.get("required")]
    if required:
        schema["required"] = required
    doc["schema"] = apply_residual(schema, custom_property(obj.get("customProperties"), SCHEMA))
    guarantees = _guarantees(obj)
    freshness = _freshness(odcs.get("slaProperties"))
    if freshness:
        guarantees["freshness"] = freshness
    doc["guarantees"] = apply_residual(
        guarantees, custom_property(obj.get("customProperties"), GUARANTEES))
    consumers = custom_property(custom, "consumers")
    if isinstance(consumers, list):  # hand-written: team names or {team, purpose}
        doc["consumers"] = [
            {"team": str(c["team"] if isinstance(c, Mapping) else c), "source": "declared",
             **({"purpose": str(c["purpose"])} if isinstance(c, Mapping)
                and c.get("purpose") else {})}
            for c in consumers if not isinstance(c, Mapping) or c.get("team")]
    return apply_residual(doc, custom_property(custom, DOCUMENT))
