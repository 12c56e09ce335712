"""`dbt run-operation tessera.drift` (and `tessera drift`): every published contract
against its live relation (engine.served.drift): dropped, retyped and added columns, or a
relation that is missing. One catalog query per schema; each distinct drift is recorded
once (`drift_detected`, a deterministic id) and notified to the owner and consumer teams.

`--args '{format: json}'` prints one JSON document (what `tessera drift` reads); the
operation fails, naming every drifted asset, when any has drifted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.errors import ConfigError
from ..engine.served import Drift, drift
from ..state.events import drift_event
from ..state.store import EVENTS
from .delivery import deliver_written
from .invocation import Invocation
from .operation_args import check_args, check_choice, raw_args
from .served import Target, relation_columns

FORMATS = ("text", "json")
_ARGS = {"format": (str, False), "model": (str, False)}


def _relation(doc: Mapping[str, Any]) -> Target:
    relation = (doc.get("x-dbt") or {}).get("relation") or {}
    if relation.get("identifier"):
        return (relation.get("database"), relation.get("schema"), str(relation["identifier"]))
    parts = str(doc["asset"]).split(".")
    return (parts[-3] if len(parts) > 2 else None, parts[-2] if len(parts) > 1 else None,
            parts[-1])


def published_drift(inv: Invocation, heads: Mapping[str, Any],
                    contracts: Mapping[str, Mapping[str, Any]]) -> list[tuple[Drift, str]]:
    """(drift, version) of each published contract whose live relation differs."""
    targets = {asset: _relation(doc) for asset, doc in contracts.items()}
    live = relation_columns(inv.payload["adapter"], targets, inv.payload["dialect"])
    out = []
    for asset, doc in sorted(contracts.items()):
        found = drift(doc, live.get(asset), str(doc.get("dialect") or inv.extractor.dialect))
        if found.drifted:
            out.append((found, heads[asset]["version"]))
    return out


def teams_of(doc: Mapping[str, Any]) -> list[str]:
    teams = {str(c["team"]) for c in doc.get("consumers") or () if c.get("team")}
    if doc.get("owner"):
        teams.add(str(doc["owner"]))
    return sorted(teams)


def run_drift(inv: Invocation, model: str | None) -> tuple[list[tuple[Drift, str]], int]:
    """Under the writer lock: the drifted contracts (recorded), and how many were checked."""
    if not inv.store.relations[EVENTS].get("exists"):
        return [], 0
    heads = inv.store.published_heads()
    if model:
        uid, _ = inv.find_asset(model)
        asset = inv.extractor.document(uid, inv.extractor.node(uid) or {})["asset"]
        if asset not in heads:
            raise ConfigError(f"tessera.drift: {asset} has no published contract",
                              "a contract is published by the first `dbt build` under contract")
        heads = {asset: heads[asset]}
    contracts = {a: h[-1] for a, h in inv.store.contract_histories(list(heads)).items() if h}
    found = published_drift(inv, heads, contracts)
    events = [drift_event(d, version, teams_of(contracts[d.asset]), inv.event_context)
              for d, version in found]
    if events:
        written, _ = inv.store.write(events, [], inv.invocation_id)
        inv.undelivered.extend(written)
    return found, len(contracts)


def as_json(found: Sequence[tuple[Drift, str]], checked: int) -> dict[str, Any]:
    return {"checked": checked, "drifted": [
        {"asset": d.asset, "version": v, "missing": d.missing, "dropped": list(d.dropped),
         "retyped": [{"column": c, "published": a, "served": b} for c, a, b in d.retyped],
         "added": list(d.added), "line": d.line()} for d, v in found]}


def drift_operation(payload: dict[str, Any]) -> dict[str, Any]:
    args = check_args("drift", raw_args("drift", payload), _ARGS)
    form = check_choice("drift", "format", args.get("format", "text"), FORMATS)
    inv = Invocation(payload)
    with inv.store.exclusive():
        found, checked = run_drift(inv, args.get("model"))
    failed = deliver_written(inv)
    if form == "json":
        return {"lines": [json.dumps(as_json(found, checked), sort_keys=True), *failed]}
    lines = [f"DRIFT {d.line()} (published {v})" for d, v in found]
    lines.append(f"drift: {checked} published contract(s) checked against the warehouse, "
                 f"{len(found)} drifted.")
    result: dict[str, Any] = {"lines": [*lines, *failed]}
    if found:
        result["error"] = ("tessera: drift: " + "; ".join(d.line() for d, _ in found)
                           + " (propose the change with `tessera.propose`, or restore the "
                           "relation)")
    return result
