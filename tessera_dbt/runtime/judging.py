"""The per-asset judgement the on-run-start gate and the on-run-end hook share: the
documents of the assets asked about (with what the warehouse serves), which published
asset each one is (`engine.matching`), and the one decider (`engine.publish.decide`).

The gate asks it before anything is built, with no test result (a tightened guarantee is
held, never blocked); the hook after the run, with the results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..artifacts.catalog import adopt_catalog_types
from ..artifacts.nodes import asset_name, iter_assets, tessera_meta
from ..engine.asset_errors import AssetError
from ..engine.decider import fingerprints
from ..engine.matching import match_published, unique_id
from ..engine.publish import Decision, Published, decide, fingerprint
from ..engine.semver import is_graduation
from ..engine.vocabulary import PROPOSAL_EVENTS
from ..state.folds import fold_proposals
from .invocation import Invocation


class Judge:
    def __init__(self, invocation: Invocation) -> None:
        self.invocation = invocation
        self.proposals: dict[str, Any] = {}

    @property
    def store(self) -> Any:
        return self.invocation.store

    def load_proposals(self) -> None:
        if not self.proposals:
            self.proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS),
                                            self.invocation.now, self.invocation.membership)

    def asset_error(self, uid: str, asset: str | None, exc: Exception) -> AssetError:
        if os.environ.get("TESSERA_DEBUG") == "1":
            raise exc
        node = self.invocation.extractor.node(uid) or {}
        return AssetError.of(uid, asset or asset_name(node), exc)

    def documents(self, uids: Sequence[str], errors: list[AssetError]
                  ) -> dict[str, dict[str, Any]]:
        """The contract document of each asset; an asset whose config is invalid (its
        `meta.tessera`) or whose served schema could not be read is an AssetError."""
        out: dict[str, dict[str, Any]] = {}
        for uid in uids:
            try:
                out[uid] = self.invocation.document(uid)
            except Exception as exc:
                errors.append(self.asset_error(uid, None, exc))
        return out

    def matched(self, documents: Mapping[str, Mapping[str, Any]],
                published: Mapping[str, Any]) -> dict[str, str]:
        """unique_id → the published asset its document is (engine.matching)."""
        present = {asset_name(node) for _, node in iter_assets(self.invocation.manifest)}

        def unique_ids_of(assets: list[str]) -> dict[str, str | None]:
            histories = self.store.contract_histories(assets)
            return {a: unique_id(h[-1]) if h else None for a, h in histories.items()}

        return match_published(documents, published, present, unique_ids_of)

    def changed(self, uid: str, doc: Mapping[str, Any], head: Mapping[str, Any] | None
                ) -> bool:
        """Whether the document differs from (or graduates) the published head."""
        # the older readings (`fingerprints`) only when the current one differs: most
        # documents of a steady build are unchanged
        return (head is None or (head["fingerprint"] != fingerprint(doc)
                                 and head["fingerprint"] not in fingerprints(doc))
                or is_graduation(head["version"], self.declared(uid)))

    def declared(self, uid: str) -> str | None:
        node = self.invocation.extractor.node(uid) or {}
        declared = (tessera_meta(node) or {}).get("version")
        return str(declared) if declared else None

    def decide(self, uid: str, doc: dict[str, Any], head: Mapping[str, Any] | None,
               history: Sequence[dict[str, Any]], passed: set[str] = frozenset(),
               failed: set[str] = frozenset(), broken: set[str] = frozenset(),
               source: str | None = None) -> Decision:
        settings = self.invocation.settings
        published = None
        source = source or doc["asset"]
        if head is not None and history:
            history = [adopt_catalog_types(h, doc) for h in history]  # artifacts.catalog
            published = Published(source, head["version"], head["fingerprint"],
                                  history[-1], tuple(history[:-1]))
        elif head is not None:
            # fingerprint unchanged: nothing to compare
            return Decision(doc["asset"], "unchanged", head["version"], "none", None,
                            "identical to the published contract", doc)
        return decide(doc, published, set(passed), set(failed), failed_guarantees=set(broken),
                      proposals=[p for p in self.proposals.values()
                                 if p.asset in (doc["asset"], source)],
                      require_audit_pass=bool(settings.get("require_audit_pass")),
                      declared_version=self.declared(uid),
                      block_unverified=bool(settings.get("block_unverified_guarantees")))
