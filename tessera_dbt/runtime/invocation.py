"""What the hook and the operations share: the live dbt invocation seen from Python."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Mapping
from typing import Any

from ..artifacts.catalog import CatalogTypes, load_catalog, with_catalog_types
from ..artifacts.contracts import Extractor
from ..artifacts.nodes import find_node
from ..artifacts.readers import manifest_from_graph
from ..engine.errors import ArtifactError
from ..state.store import StateStore


def os_user() -> str | None:
    """The operating-system user running dbt, or None when the system cannot tell."""
    try:
        return getpass.getuser() or None
    except Exception:  # no USER/LOGNAME and no passwd entry (some containers)
        return None


def run_catalog(adapter: Any) -> CatalogTypes | None:
    """The types of <target path>/catalog.json of the invocation, when dbt wrote one there
    (an unreadable catalog is ignored: it only adds types)."""
    try:
        target = adapter.config.project_target_path
    except Exception:  # no dbt config behind this adapter (tests, stubs)
        return None
    path = os.path.join(str(target), "catalog.json")
    if not os.path.isfile(path):
        return None
    try:
        return load_catalog(path)
    except ArtifactError:
        return None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Invocation:
    """Settings, target, graph and state store of the dbt invocation that called us."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = payload
        self.settings = dict(payload.get("settings") or {})
        target = payload.get("target") or {}
        self.target_name = str(target.get("name") or "")
        # DuckDB (and any profile without a user) has no target.user: the OS user answers
        self.actor = target.get("user") or os_user()
        self.invocation_id = str(payload.get("invocation_id") or "")
        self.manifest = manifest_from_graph(
            dict(payload.get("graph") or {}), payload.get("project_name"),
            str(payload.get("dbt_version") or ""), target.get("type"))
        # column types of the latest `dbt docs generate` in this invocation's target path
        self.manifest = with_catalog_types(self.manifest, run_catalog(payload.get("adapter")))
        self.extractor = Extractor(self.manifest, ())
        self.store = StateStore(payload["adapter"], payload["relations"], payload["dialect"])
        self.now = utc_now()

    @property
    def event_context(self) -> dict[str, Any]:
        """The fields every event this invocation records carries."""
        return {"actor": self.actor, "invocation_id": self.invocation_id,
                "target_name": self.target_name, "recorded_at": self.now}

    def find_asset(self, model: str) -> tuple[str, dict[str, Any]]:
        return find_node(self.manifest, model)
