"""What the hook and the operations share: the live dbt invocation seen from Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .artifacts import manifest_from_graph
from .contracts import Extractor
from .errors import ConfigError
from .state import StateStore


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Invocation:
    """Settings, target, graph and state store of the dbt invocation that called us."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = payload
        self.settings = dict(payload.get("settings") or {})
        target = payload.get("target") or {}
        self.target_name = str(target.get("name") or "")
        self.actor = target.get("user")
        self.invocation_id = str(payload.get("invocation_id") or "")
        self.manifest = manifest_from_graph(
            dict(payload.get("graph") or {}), payload.get("project_name"),
            str(payload.get("dbt_version") or ""), target.get("type"))
        self.extractor = Extractor(self.manifest, ())
        self.store = StateStore(payload["adapter"], payload["relations"], payload["dialect"])
        self.now = utc_now()

    def find_asset(self, model: str) -> tuple[str, dict[str, Any]]:
        """A model (name, `name.vN` or unique_id), seed, snapshot or source; a versioned
        model's bare name means its latest version."""
        nodes = self.manifest.nodes
        if model in nodes or model in self.manifest.sources:
            return model, nodes.get(model) or self.manifest.sources[model]
        matches = []
        for uid, node in (*nodes.items(), *self.manifest.sources.items()):
            if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
                continue
            name = node.get("name")
            names = {name}
            if node.get("resource_type") == "source":
                names.add(f"{node.get('source_name')}.{name}")
            if node.get("version") is not None:
                names = {f"{name}.v{node['version']}"}
                if str(node.get("version")) == str(node.get("latest_version")):
                    names.add(name)
            if model in names:
                matches.append((uid, node))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ConfigError(f"model {model!r}: no such model, seed, snapshot or source in "
                              "this project", "check the name with `dbt ls`")
        raise ConfigError(f"model {model!r} is ambiguous: "
                          + ", ".join(uid for uid, _ in matches), "pass the unique_id")
