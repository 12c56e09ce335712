"""The on-run-end step that turns failing guarantees into alerts: this run's audit rows
against the failure episodes the log holds (state.episodes), recorded as
`guarantee_failed` (an episode starts: told to the owner team and the consumer teams that
rely on the guarantee) and `guarantee_recovered` (it held again: told to the same teams),
in the hook's one write. They are delivered after the commit, one message per team and
run (runtime.delivery.alert_and_record); a guarantee that keeps failing records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..artifacts.nodes import asset_name, iter_assets
from ..engine.vocabulary import REGISTRATION_EVENTS
from ..state.episodes import (
    EPISODE_EVENTS,
    Verdict,
    fold_episodes,
    relying_teams,
    run_verdicts,
    transitions,
)
from ..state.events import guarantee_failed_event, guarantee_recovered_event
from ..state.folds import fold_registrations
from .compile import compile_nodes
from .invocation import Invocation


def guarantee_events(inv: Invocation, audit: Sequence[Mapping[str, Any]],
                     versions: Mapping[str, str]) -> list[dict[str, Any]]:
    """The episode events of this run's audit rows, for assets under contract in the
    manifest or published (`versions`: asset → the version in force after this run)."""
    assets = {asset_name(node): uid for uid, node in iter_assets(inv.manifest)}
    verdicts = {key: v for key, v in run_verdicts(audit).items()
                if key[0] in assets or key[0] in versions}
    if not verdicts:
        return []
    change = transitions(fold_episodes(inv.store.events(EPISODE_EVENTS)), verdicts)
    out = [guarantee_recovered_event(e.asset, e.guarantee, e.number, versions.get(e.asset),
                                     e.owner, e.teams, e.failed_event_id, e.failed_at,
                                     v.checks, inv.event_context)
           for e, v in change.ended]
    started: dict[str, list[tuple[Verdict, int]]] = {}
    for verdict, number in change.started:
        started.setdefault(verdict.asset, []).append((verdict, number))
    # read once for every asset an episode starts on, not two queries per asset
    histories = inv.store.contract_histories(sorted(started)) if started else {}
    registrations = fold_registrations(inv.store.events(REGISTRATION_EVENTS)) if started \
        else {}
    compile_sql = _compiler(inv)
    for asset, items in sorted(started.items()):
        owner, teams = _relying(inv, asset, assets.get(asset),
                                [v.guarantee for v, _ in items], histories.get(asset) or [],
                                registrations.get(asset, {}), compile_sql)
        out += [guarantee_failed_event(asset, v.guarantee, number, versions.get(asset),
                                       owner, teams.get(v.guarantee, []), v.checks,
                                       inv.event_context)
                for v, number in items]
    return out


def _relying(inv: Invocation, asset: str, unique_id: str | None, guarantees: Sequence[str],
             history: Sequence[Mapping[str, Any]], registered: Mapping[str, str | None],
             compile_sql: Callable[[list[str]], dict[str, str]]
             ) -> tuple[str | None, dict[str, list[str]]]:
    """The owner team of `asset` and, per guarantee, the consumer teams that rely on it:
    of the contract in force and of the manifest's contract, and registered teams. Should
    column lineage fail, every consumer is told (the run's audit rows are never lost to
    it)."""
    published = history[-1] if history else None
    document: Mapping[str, Any] = published or {"asset": asset}
    if unique_id is not None:
        try:
            document = inv.extractor.document(unique_id, inv.extractor.node(unique_id) or {})
        except Exception:  # noqa: BLE001 (an invalid contract is the hook's asset_error)
            pass

    try:
        teams = relying_teams(inv.manifest, unique_id, document, guarantees, registered,
                              published, compile_sql)
    except Exception:  # noqa: BLE001 (lineage never costs the run its audit: tell everyone)
        teams = relying_teams(None, None, document, guarantees, registered, published)
    owner = document.get("owner") or (published or {}).get("owner")
    return (str(owner) if owner else None), teams


def _compiler(inv: Invocation) -> Callable[[list[str]], dict[str, str]]:
    """`compile_nodes` for the lineage of every asset an episode starts on, each node
    compiled once per run (assets that fail together often share their readers)."""
    compiled: dict[str, str] = {}
    asked: set[str] = set()

    def compile_sql(ids: list[str]) -> dict[str, str]:
        missing = [u for u in ids if u not in asked]
        if missing:
            compiled.update(compile_nodes(inv.payload.get("adapter"), missing)[0])
            asked.update(missing)
        return {u: compiled[u] for u in ids if u in compiled}

    return compile_sql
