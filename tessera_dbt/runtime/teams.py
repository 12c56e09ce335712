"""The teams an invocation knows of, to catch a misspelt team (`fiannce`) before it is
recorded or looked up: owners and declared consumers in the manifest, exposure owners,
`vars.tessera.teams`, registrations and the teams proposals ask."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..artifacts.consumers import exposure_owner
from ..artifacts.nodes import owner_of, tessera_meta
from ..engine.errors import ConfigError
from ..engine.suggest import close_to, did_you_mean


def manifest_teams(manifest: Any) -> set[str]:
    teams: set[str] = set()
    for node in (*manifest.nodes.values(), *manifest.sources.values()):
        owner = owner_of(node, manifest.groups)
        if owner:
            teams.add(owner)
        for consumer in (tessera_meta(node) or {}).get("consumers") or ():
            team = consumer.get("team") if isinstance(consumer, dict) else consumer
            if team:
                teams.add(str(team))
    for exposure in manifest.exposures.values():
        owner = exposure_owner(exposure)
        if owner:
            teams.add(str(owner))
    return teams


def known_teams(manifest: Any, settings: dict[str, Any], recorded: Iterable[str]) -> set[str]:
    return {*manifest_teams(manifest), *((settings.get("teams") or {}).keys()),
            *(t for t in recorded if t)}


def unknown_team_error(team: str, known: Iterable[str], op: str) -> ConfigError:
    known = sorted(set(known))
    return ConfigError(f"tessera.{op}: team {team!r} is not a team this project knows"
                       f"{did_you_mean(team, known)}",
                       "known teams: " + (", ".join(known) or "none"))


def check_new_team(team: str, known: Iterable[str], op: str) -> None:
    """A team nobody knows yet is fine (a new consumer), unless it is one typo away from a
    known one: then it is refused with the likely name."""
    known = set(known)
    if team not in known and close_to(team, known):
        raise unknown_team_error(team, known, op)
