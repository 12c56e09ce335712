"""`dbt run-operation tessera.served_columns --args '{out: FILE}'`: what the relations of
the project's assets serve now, as JSON, for `tessera check --live`; read-only."""

from __future__ import annotations

import json
from typing import Any

from ..artifacts.nodes import iter_assets, relation_of, serves_undeclared
from ..engine.errors import ConfigError
from .invocation import Invocation
from .operation_args import check_args, raw_args
from .served import relation_columns


def served_operation(payload: dict[str, Any]) -> dict[str, Any]:
    """`dbt run-operation tessera.served_columns --args '{out: FILE}'`: what the relation of
    every asset under contract that dbt does not hold to its YAML serves now, written as
    JSON (`tessera check --live` reads it); read-only."""
    args = check_args("served_columns", raw_args("served_columns", payload),
                      {"out": (str, True)})
    inv = Invocation(payload)
    targets = {uid: relation_of(node) for uid, node in iter_assets(inv.manifest)
               if serves_undeclared(node)}
    found = relation_columns(payload["adapter"], targets, payload["dialect"])
    try:
        with open(args["out"], "w", encoding="utf-8") as handle:
            json.dump({uid: [list(c) for c in cols] if cols else None
                       for uid, cols in found.items()}, handle)
    except OSError as exc:
        raise ConfigError(f"tessera.served_columns: cannot write {args['out']} ({exc})") from None
    return {"lines": [f"Read the columns of {sum(1 for c in found.values() if c)} of "
                      f"{len(found)} relation(s)."]}
