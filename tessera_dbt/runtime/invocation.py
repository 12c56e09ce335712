"""What the hook and the operations share: the live dbt invocation seen from Python."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from ..artifacts.catalog import CatalogTypes, load_catalog, with_catalog_types
from ..artifacts.contracts import Extractor
from ..artifacts.nodes import find_node, relation_of, serves_undeclared
from ..artifacts.readers import manifest_from_graph
from ..engine.errors import ArtifactError, ConfigError
from ..engine.membership import Membership
from ..engine.served import ServedColumns, with_served
from ..engine.settings import publishes
from .identity import RecordingStore, session_user
from .membership import committed_membership, project_membership, project_root
from .served import probe_compiled, probe_nodes, relation_columns
from .teams import check_declared_consumers


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
        self.invocation_id = str(payload.get("invocation_id") or "")
        # the live graph, or the manifest.json of a run being recorded (runtime.record)
        self.manifest = payload.get("manifest") or manifest_from_graph(
            dict(payload.get("graph") or {}), payload.get("project_name"),
            str(payload.get("dbt_version") or ""), target.get("type"))
        # column types of the latest `dbt docs generate` in this invocation's target path
        self.manifest = with_catalog_types(self.manifest, run_catalog(payload.get("adapter")))
        self.extractor = Extractor(self.manifest, ())
        self.store = RecordingStore(self, payload["adapter"], payload["relations"],
                                    payload["dialect"])
        self.now = utc_now()
        # events written whose notifications wait until the writes are committed and the
        # writer lock released (delivery.deliver_written)
        self.undelivered: list[Mapping[str, Any]] = []
        # what the warehouse serves, by unique_id (engine.served), and why it could not be
        # read for an asset whose relation was asked about
        self.served: dict[str, ServedColumns] = {}
        self.unserved: dict[str, str] = {}
        self.membership  # noqa: B018 (a bad membership is refused by every invocation)

    def stamp(self) -> None:
        """The time this invocation's events are recorded at: now, never earlier than
        before (the writer lock was just taken)."""
        self.now = max(self.now, utc_now())

    @cached_property
    def identity(self) -> tuple[str | None, str]:
        """(actor, actor_source): the warehouse session's user, asked of the connection
        (runtime.identity); never the payload's `target.user`."""
        return session_user(self.payload["adapter"])

    @property
    def actor(self) -> str | None:
        return self.identity[0]

    @property
    def actor_source(self) -> str:
        return self.identity[1]

    @cached_property
    def membership(self) -> Membership:
        """Team membership and admins as the project's files commit them."""
        return committed_membership(project_root(self.payload["adapter"]))

    def rights(self) -> Membership:
        """The membership an operation that needs rights reads: refused when --vars
        overrides it (runtime.membership)."""
        return project_membership(self.payload["adapter"], self.settings)

    @property
    def command(self) -> str:
        return " ".join(str(p) for p in (self.payload.get("command"), self.payload.get("op"))
                        if p)

    @property
    def event_context(self) -> dict[str, Any]:
        """The fields every event this invocation records carries."""
        return {"actor": self.actor, "invocation_id": self.invocation_id,
                "target_name": self.target_name, "recorded_at": self.now}

    def publishes_here(self) -> bool:
        return publishes(self.target_name, self.settings.get("publish_targets"))

    def probe(self, unique_ids: Sequence[str], compiled: Mapping[str, str] | None = None
              ) -> None:
        """What the compiled SQL of each asset would serve, before it is built; `compiled`
        hands over SQL dbt already compiled (a model's own pre-hook)."""
        wanted = [u for u in unique_ids if u not in self.served and u not in self.unserved
                  and serves_undeclared(self.extractor.node(u) or {})]
        adapter = self.payload["adapter"]
        served, failed = probe_nodes(adapter, wanted) if compiled is None else \
            probe_compiled(adapter, {u: compiled.get(u) or "" for u in wanted})
        self.served.update(served)
        self.unserved.update({u: f"its SQL could not be probed ({why})"
                              for u, why in failed.items()})

    def read_relations(self, unique_ids: Sequence[str]) -> None:
        """What the built relations serve: one catalog query per schema."""
        targets = {u: relation_of(self.extractor.node(u) or {}) for u in unique_ids
                   if u not in self.served and serves_undeclared(self.extractor.node(u) or {})}
        if not targets:
            return
        found = relation_columns(self.payload["adapter"], targets, self.payload["dialect"])
        for uid, columns in found.items():
            if columns:
                self.served[uid] = columns
            else:
                database, schema, identifier = targets[uid]
                where = ".".join(p for p in (database, schema, identifier) if p)
                self.unserved[uid] = f"its relation {where} is missing from the warehouse"

    def document(self, unique_id: str) -> dict[str, Any]:
        """The asset's contract document, with what its relation serves when that was
        read (probe, read_relations); a declared consumer team the project's registry does
        not know, or a relation that could not be read, is an error of this asset."""
        check_declared_consumers(self.manifest, self.membership, unique_id)
        doc = self.extractor.document(unique_id, self.extractor.node(unique_id) or {})
        if unique_id in self.unserved:
            raise ConfigError(f"{doc['asset']}: what it serves could not be read: "
                              f"{self.unserved[unique_id]}",
                              "fix the SQL or the relation (`tessera drift` compares every "
                              "published contract with its relation)")
        served = self.served.get(unique_id)
        return with_served(doc, served, self.extractor.dialect) if served is not None else doc

    def find_asset(self, model: str) -> tuple[str, dict[str, Any]]:
        return find_node(self.manifest, model)
