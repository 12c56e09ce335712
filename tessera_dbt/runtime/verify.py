"""`dbt run-operation tessera.verify`: the event log checked against what tessera wrote
(state.verify), read-only. `--args '{format: json}'` prints one JSON document (what
`tessera verify` reads); text prints one line per finding."""

from __future__ import annotations

import json
from typing import Any

from ..state.records import EVENT_COLUMNS, WRITTEN_BY
from ..state.store import EVENTS
from ..state.verify import as_json, verify_events
from .invocation import Invocation
from .operation_args import check_args, check_choice, raw_args

FORMATS = ("text", "json")
_ARGS = {"format": (str, False)}


def rows(inv: Invocation) -> list[dict[str, Any]]:
    info = inv.store.relations[EVENTS]
    if not info.get("exists"):
        return []
    existing = {c.lower() for c in info.get("existing_columns") or EVENT_COLUMNS}
    columns = [c for c in (*EVENT_COLUMNS, WRITTEN_BY) if c in existing]
    return inv.store.select(f"select {', '.join(columns)} from {info['relation']}")


def verify(payload: dict[str, Any]) -> dict[str, Any]:
    args = check_args("verify", raw_args("verify", payload), _ARGS)
    form = check_choice("verify", "format", args.get("format", "text"), FORMATS)
    inv = Invocation(payload)
    events = rows(inv)
    found = verify_events(events, inv.membership)
    if form == "json":
        return {"lines": [json.dumps(as_json(found, len(events)), sort_keys=True)]}
    ignored = [f"  ignored by every reader: {f.line()}" for f in found.ignored]
    if not found.findings:
        return {"lines": [f"verify: {len(events)} event(s) checked, every one as tessera "
                          "wrote it.", *ignored]}
    return {"lines": [f"verify: {len(events)} event(s) checked, "
                      f"{len(found.findings)} finding(s):",
                      *(f"  {f.line()}" for f in found.findings), *ignored]}
