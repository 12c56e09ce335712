"""The team registry: the teams a project declares, so a misspelt or invented team
(`fiannce`) is refused before it is recorded or looked up.

Declared teams are the union of dbt `groups` (names and owners), owners (`meta.tessera.owner`
and exposure owners) and the committed membership (runtime.membership); teams already
recorded in the state (registrations, the teams proposals ask) stay known, so old state
still reads. The registry is strict once the project declares teams at all (it has dbt
groups or membership): an unknown team in declared `consumers`, `register`, `inbox` or
`acknowledge` is refused with "did you mean …". A project with neither only has a typo
guard: a new team is fine unless it is one edit away from a known one.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from typing import Any

from ..artifacts.consumers import exposure_owner
from ..artifacts.meta_config import declared_consumers
from ..artifacts.nodes import owner_of, tessera_meta
from ..engine.asset_errors import AssetError
from ..engine.errors import ConfigError
from ..engine.membership import Membership
from ..engine.suggest import close_to, did_you_mean
from .membership import committed_membership


def _declared_consumers(manifest: Any, unique_id: str | None = None
                        ) -> Iterable[tuple[str, str]]:
    nodes = (*manifest.nodes.items(), *manifest.sources.items()) if unique_id is None else \
        [(unique_id, manifest.nodes.get(unique_id) or manifest.sources.get(unique_id) or {})]
    for uid, node in nodes:
        for consumer in declared_consumers(tessera_meta(node) or {}):
            team = consumer.get("team") if isinstance(consumer, dict) else consumer
            if isinstance(team, str) and team:  # anything else: artifacts.meta_config
                yield uid, team


# id(manifest) -> membership's teams -> the declared teams, dropped with the manifest
_DECLARED: dict[int, dict[frozenset[str], frozenset[str]]] = {}


def declared_teams(manifest: Any, membership: Membership) -> set[str]:
    """Groups, owners and membership: what the project itself says its teams are; one
    scan of the nodes per manifest object and membership (the hook asks once per asset)."""
    key = frozenset(membership.teams)
    cached = _DECLARED.get(id(manifest))
    if cached is None:
        try:
            weakref.finalize(manifest, _DECLARED.pop, id(manifest), None)
        except TypeError:  # not weak-referenceable: never cached
            return set(_scan_teams(manifest, membership))
        cached = _DECLARED[id(manifest)] = {}
    if key not in cached:
        cached[key] = frozenset(_scan_teams(manifest, membership))
    return set(cached[key])


def _scan_teams(manifest: Any, membership: Membership) -> set[str]:
    teams: set[str] = set(membership.teams)
    for group in manifest.groups.values():
        teams.add(str(group.get("name")))
        owner = group.get("owner") or {}
        if owner.get("name"):
            teams.add(str(owner["name"]))
    for node in (*manifest.nodes.values(), *manifest.sources.values()):
        owner = owner_of(node, manifest.groups)
        if owner:
            teams.add(owner)
    for exposure in manifest.exposures.values():
        owner = exposure_owner(exposure)
        if owner:
            teams.add(str(owner))
    return teams


def registry_applies(manifest: Any, membership: Membership) -> bool:
    return bool(manifest.groups) or membership.configured


def manifest_teams(manifest: Any) -> set[str]:
    """Every team the manifest names, declared consumers included."""
    return declared_teams(manifest, Membership()) | {t for _, t in _declared_consumers(manifest)}


def known_teams(manifest: Any, membership: Membership, recorded: Iterable[str]) -> set[str]:
    base = declared_teams(manifest, membership) if registry_applies(manifest, membership) \
        else manifest_teams(manifest)
    return {*base, *(t for t in recorded if t)}


def unknown_team_error(team: str, known: Iterable[str], op: str) -> ConfigError:
    known = sorted(set(known))
    return ConfigError(f"tessera.{op}: team {team!r} is not a team this project knows"
                       f"{did_you_mean(team, known)}",
                       "declare it as a dbt group or in the membership (tessera_teams.yml); "
                       "known teams: " + (", ".join(known) or "none"))


def check_new_team(team: str, known: Iterable[str], op: str, strict: bool = False) -> None:
    """Refuse `team` when the registry is strict and does not know it; otherwise only when
    it is one typo away from a known team (a new consumer is fine)."""
    known = set(known)
    if team in known:
        return
    if strict or close_to(team, known):
        raise unknown_team_error(team, known, op)


def check_declared_consumers(manifest: Any, membership: Membership,
                             unique_id: str) -> None:
    """A consumer team that one asset declares and the registry does not know is that
    asset's configuration error (the hook records it as the asset's error alone)."""
    if not registry_applies(manifest, membership):
        return
    declared = list(_declared_consumers(manifest, unique_id))
    # the registry (a scan of every node) only when the asset declares a consumer at all
    known = declared_teams(manifest, membership) if declared else set()
    for uid, team in declared:
        if team not in known:
            name = uid.rsplit(".", 1)[-1]
            raise ConfigError(f"{name}: meta.tessera.consumers names team {team!r}, which is "
                              f"not a team this project declares{did_you_mean(team, known)}",
                              "declare it as a dbt group or in the membership "
                              "(tessera_teams.yml), or fix the name; known teams: "
                              + ", ".join(sorted(known)))


def declared_consumer_errors(manifest: Any, project_dir: str, documents: list[dict[str, Any]],
                             errors: list[AssetError]) -> list[dict[str, Any]]:
    """`tessera check`'s run of the hook's `check_declared_consumers`, with the membership
    the project at `project_dir` commits: an asset that declares an unknown consumer team
    leaves `documents` for `errors`, in the hook's words; the hook checks the consumers
    before the rest of the asset's config, so that error also replaces the asset's own."""
    root = project_dir if os.path.isfile(os.path.join(project_dir, "dbt_project.yml")) else None
    membership = committed_membership(root)
    if not registry_applies(manifest, membership):
        return documents
    for index, error in enumerate(errors):
        try:
            check_declared_consumers(manifest, membership, error.unique_id)
        except ConfigError as exc:
            errors[index] = AssetError.of(error.unique_id, error.asset, exc)
    kept = []
    for doc in documents:
        uid = (doc.get("x-dbt") or {}).get("unique_id") or ""
        try:
            check_declared_consumers(manifest, membership, uid)
        except ConfigError as exc:
            errors.append(AssetError.of(uid, doc["asset"], exc))
            continue
        kept.append(doc)
    return kept
