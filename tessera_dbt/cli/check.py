"""`tessera check`, the dbt CI gate: the pull request's contracts against production's
published state, one verdict per asset (`engine.verdicts`), with the consumers each
breaking change or removal reaches (`lineage.consumers`).

This module wires them together and owns the one piece of I/O the verdicts need: the
lineage cache, read once and saved once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..artifacts.catalog import (
    adopt_catalog_types,
    catalog_columns,
    catalog_types,
    read_catalog,
    served_documents,
    with_catalog_types,
)
from ..artifacts.contracts import extract_contracts
from ..artifacts.nodes import asset_name, iter_assets, tessera_meta
from ..artifacts.readers import Manifest, load_manifest, load_run_results
from ..engine.asset_errors import AssetError
from ..engine.changes import Change
from ..engine.errors import TesseraError
from ..engine.matching import match_published
from ..engine.served import Finding, ServedColumns, served_findings
from ..engine.verdicts import AssetCheck, compare, removed, unique_id_of
from ..lineage.cache import default_cache
from ..lineage.columns import changed_columns_of
from ..lineage.consumers import reached_consumers
from ..runtime.teams import declared_consumer_errors
from .baseline import Baseline, locate, project_setting, warn_if_stale


@dataclass(frozen=True)
class CheckRun:
    """Everything a rendering needs."""

    checks: list[AssetCheck]
    baseline: Baseline
    state_target: str | None
    locations: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    # assets whose config, contract or state is invalid: one line each, never a pass
    errors: list[AssetError] = field(default_factory=list)
    # what documents say about themselves (engine.served): shown, never blocking
    findings: list[tuple[str, Finding]] = field(default_factory=list)
    # assets dbt does not hold to their YAML, judged without what they serve
    yaml_only: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[AssetCheck]:
        return [c for c in self.checks if c.blocking]

    @property
    def passed(self) -> bool:
        return not self.blocking and not self.errors


def _match(manifest: Manifest | None, documents: Sequence[dict[str, Any]],
           histories: Mapping[str, list[dict[str, Any]]]) -> dict[int, str]:
    """index of a current document → the published asset it is (engine.matching, the
    matcher the gate, the hook and propose use)."""
    present = {d["asset"] for d in documents} if manifest is None else \
        {asset_name(node) for _, node in iter_assets(manifest)}
    return match_published(dict(enumerate(documents)), histories, present,
                           lambda assets: {a: unique_id_of(histories[a][-1]) for a in assets
                                           if histories.get(a)})


def check(
    documents: Sequence[dict[str, Any]],
    baseline: Baseline,
    *,
    manifest: Manifest | None = None,
    consumer_manifests: Sequence[Manifest] = (),
    passed_tests: frozenset[str] = frozenset(),
    verified_by_run: bool = False,
    declared_versions: Mapping[str, str] | None = None,
    state_target: str | None = None,
    block_unverified: bool = False,
    errors: list[AssetError] | None = None,
) -> list[AssetCheck]:
    """One AssetCheck per asset under contract now or published before, sorted by name.

    `documents` are the pull request's contracts; `manifest` is its manifest (whether a
    published asset still exists); `declared_versions` maps unique_id to
    `meta.tessera.version`; `state_target` is the target the next steps name. With
    `errors` (the assets whose document could not be built, and where the ones found
    here go), an asset that cannot be judged is an AssetError there, never "removed",
    and every other asset is still judged; without it the first such error is raised.
    """
    state = baseline.state
    declared = declared_versions or {}
    matched = _match(manifest, documents, state.histories)
    invalid = {key for e in errors or () for key in (e.unique_id, e.asset)}
    # one lineage cache for the run: read once, saved once
    cache = default_cache(manifest) if manifest is not None else None
    out: list[AssetCheck] = []
    for i, doc in enumerate(documents):
        asset = matched.get(i)
        if asset is None:
            out.append(compare(doc, doc["asset"], [], [], lambda *_: (),
                               declared=declared.get(unique_id_of(doc) or "")))
            continue
        current = {**doc, "asset": asset}
        registered = state.registrations.get(asset) or {}

        def reach(head: Mapping[str, Any], breaking: Sequence[Change],
                  current: dict[str, Any] = current,
                  registered: Mapping[str, str | None] = registered) -> tuple[dict[str, Any], ...]:
            columns = [*((head.get("schema") or {}).get("properties") or {}),
                       *((current.get("schema") or {}).get("properties") or {})]
            return reached_consumers(manifest, unique_id_of(current), current,
                                     changed_columns_of(breaking, columns), consumer_manifests,
                                     registered, head, cache)

        try:  # the asset's own config or published state: its error alone
            history = [adopt_catalog_types(h, doc) for h in state.histories[asset]]
            out.append(compare(doc, asset, history,
                               [p for p in state.proposals.values() if p.asset == asset],
                               reach, knows_proposals=baseline.knows_proposals,
                               passed=passed_tests, verified=verified_by_run,
                               declared=declared.get(unique_id_of(doc) or ""),
                               target=state_target, block_unverified=block_unverified))
        except TesseraError as exc:
            if errors is None:
                raise
            errors.append(AssetError.of(unique_id_of(doc) or asset, asset, exc))
    for asset in sorted(set(state.histories) - set(matched.values())):
        head = state.histories[asset][-1]
        uid = unique_id_of(head)
        if asset in invalid or uid in invalid:
            continue  # still in the project, but its config is broken: reported as such
        present = manifest is not None and uid is not None and (
            uid in manifest.nodes or uid in manifest.sources)
        out.append(removed(asset, head, present, reached_consumers(
            manifest, uid, head, None, consumer_manifests,
            state.registrations.get(asset) or {}),
            [p for p in state.proposals.values() if p.asset == asset], state_target))
    if cache is not None:
        cache.save()
    out.sort(key=lambda c: (c.name, c.asset))
    return out


def run(manifest_path: str, read_baseline: Callable[[], Baseline], *,
        run_results: str | None = None, consumer_manifests: Sequence[str] = (),
        all_assets: bool = False, project_dir: str = ".", target: str | None = None,
        catalog: str | None = None, block_unverified: bool | None = None,
        live: Callable[[], Mapping[str, ServedColumns]] | None = None) -> CheckRun:
    """The local inputs are read (and refused) first: a typo costs no warehouse call.
    `catalog` (catalog.json) gives the columns and types each relation served, and types
    the columns the manifest leaves untyped; `live` reads what the relations serve now."""
    manifest = load_manifest(manifest_path)
    warn_if_stale(manifest, project_dir)  # a manifest older than its files: one line
    served: dict[str, ServedColumns] = {}
    if catalog:
        raw = read_catalog(catalog)
        manifest = with_catalog_types(manifest, catalog_types(raw))
        served = catalog_columns(raw)
    consumers = [load_manifest(p) for p in consumer_manifests]
    passed: frozenset[str] = frozenset()
    if run_results:
        passed = frozenset(r.unique_id for r in load_run_results(run_results).results
                           if r.status == "pass")
    errors: list[AssetError] = []
    documents = extract_contracts(manifest, consumer_manifests=consumers,
                                  all_assets=all_assets, errors=errors)
    # the hook's check of declared consumer teams, in its words (runtime.teams)
    documents = declared_consumer_errors(manifest, project_dir, documents, errors)
    if live is not None:
        served.update(live())
    documents, yaml_only = served_documents(manifest, documents, served)
    findings = [(d["asset"], f) for d in documents for f in served_findings(d)]
    baseline = read_baseline()
    checks = check(documents, baseline, manifest=manifest, consumer_manifests=consumers,
                   passed_tests=passed, verified_by_run=bool(run_results),
                   declared_versions=_declared_versions(manifest, documents),
                   state_target=target or baseline.state.target,
                   block_unverified=project_setting(project_dir, "block_unverified_guarantees")
                   if block_unverified is None else block_unverified, errors=errors)
    errors.sort(key=lambda e: e.asset)
    return CheckRun(checks, baseline, target or baseline.state.target,
                    locate(project_dir, checks), errors, findings, yaml_only)


def _declared_versions(manifest: Manifest, documents: Sequence[dict[str, Any]]
                       ) -> dict[str, str]:
    out = {}
    for doc in documents:
        uid = (doc.get("x-dbt") or {}).get("unique_id")
        node = manifest.nodes.get(uid) or manifest.sources.get(uid) if uid else None
        version = (tessera_meta(node) or {}).get("version") if node else None
        if version:
            out[uid] = str(version)
    return out
