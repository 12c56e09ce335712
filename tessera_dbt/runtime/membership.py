"""Team membership and admins as the project commits them, never as the caller says.

Read from the root project's files (the project dbt runs, from the adapter's own config,
not from the payload a macro hands over): `vars.tessera.teams` / `vars.tessera.admins` in
`dbt_project.yml`, and an optional `tessera_teams.yml` beside it (`teams:`, `admins:`).
A `--vars` that changes them, or wipes them (`--vars '{tessera: {}}'` replaces the whole
mapping), is refused in one line: rights are not a command-line option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..engine.errors import ConfigError
from ..engine.membership import Membership, merge, parse_membership

TEAMS_FILE = "tessera_teams.yml"
GRANTING = ("teams", "admins")


def project_root(adapter: Any) -> str | None:
    """The root project's directory, as dbt's runtime config knows it."""
    real = getattr(adapter, "_adapter", adapter)
    root = getattr(getattr(real, "config", None), "project_root", None)
    return str(root) if root else None


def _yaml(path: str) -> Any:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read ({type(exc).__name__})",
                          "fix the YAML") from None


def committed_vars(root: str) -> dict[str, Any]:
    """vars.tessera of the root project's dbt_project.yml, as written in the file."""
    project = _yaml(os.path.join(root, "dbt_project.yml")) or {}
    tessera = ((project.get("vars") or {}) if isinstance(project, Mapping) else {}).get(
        "tessera") or {}
    return dict(tessera) if isinstance(tessera, Mapping) else {}


def committed_membership(root: str | None) -> Membership:
    if not root:
        return Membership()
    tessera = committed_vars(root)
    parts = [parse_membership(tessera.get("teams"), tessera.get("admins"),
                              "dbt_project.yml vars.tessera")]
    path = os.path.join(root, TEAMS_FILE)
    if os.path.isfile(path):
        data = _yaml(path) or {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{TEAMS_FILE} must be a mapping with `teams:` and `admins:`",
                              "e.g. teams: {finance: [alice]}")
        unknown = sorted(set(data) - set(GRANTING))
        if unknown:
            raise ConfigError(f"{TEAMS_FILE}: unknown key {unknown[0]!r}",
                              "it holds only teams: and admins:")
        parts.append(parse_membership(data.get("teams"), data.get("admins"), TEAMS_FILE))
    return merge(*parts)


def refuse_overrides(root: str | None, settings: Mapping[str, Any]) -> None:
    """The resolved vars.tessera.teams/admins must be what dbt_project.yml commits."""
    if not root:
        return
    committed = committed_vars(root)
    for key in GRANTING:
        if settings.get(key) != committed.get(key):
            raise ConfigError(
                f"vars.tessera.{key} differs from the committed dbt_project.yml (a --vars "
                f"override?): who may act for a team is read from the project's files only",
                f"leave {key} out of --vars (a --vars tessera mapping replaces all of "
                f"vars.tessera: repeat the committed {key}, or edit dbt_project.yml or "
                f"{TEAMS_FILE})")


def project_membership(adapter: Any, settings: Mapping[str, Any]) -> Membership:
    root = project_root(adapter)
    membership = committed_membership(root)
    refuse_overrides(root, settings)
    return membership
