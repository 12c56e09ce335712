"""Where this dbt invocation found tessera's state: the state tables' relations, the SQL
dialect and the settings, as dbt resolved them (generate_schema_name, aliases, vars).

The CLI keeps the last one per project and target (cli.direct) so its read commands can
answer later without asking dbt to parse the project again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .identity import adapter_type

# the location of the newest invocation in this process (the CLI runs dbt in-process)
_LAST: dict[str, Any] = {}
# delivery addresses may carry tokens, and a read delivers nothing: never kept on disk
_NOT_KEPT = ("webhooks", "team_webhooks", "slack_webhooks", "team_slack")


def remember(payload: Mapping[str, Any], graph_nodes: Mapping[str, Any]) -> None:
    relations = {}
    for name, info in (payload.get("relations") or {}).items():
        node = graph_nodes.get(f"model.tessera.{name}") or {}
        relations[name] = {
            "relation": str(info["relation"]),
            "database": info.get("database"),
            "schema": info.get("schema"),
            "identifier": node.get("alias") or name,
        }
    _LAST.clear()
    _LAST.update({
        "adapter_type": adapter_type(payload.get("adapter")),
        "target": dict(payload.get("target") or {}),
        "relations": relations,
        "dialect": dict(payload.get("dialect") or {}),
        "settings": {k: (None if k in _NOT_KEPT else v)
                     for k, v in (payload.get("settings") or {}).items()},
        "project_name": payload.get("project_name"),
    })


def last() -> dict[str, Any] | None:
    """The newest invocation's location in this process, once."""
    if not _LAST:
        return None
    found = dict(_LAST)
    _LAST.clear()
    return found
