"""The settings that guard production come from the project's committed files: on a target
that publishes (by the committed `publish_targets`), a `--vars` override of `gate`,
`enabled`, `strict`, `publish_targets`, `fail_on_unapproved` and the rest of
engine.settings.PROTECTIVE is refused in one line, before anything is built or recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.errors import ConfigError
from ..engine.settings import PROTECTIVE, default, normalised, publishes
from .membership import committed_vars, project_root


def overridden(committed: Mapping[str, Any], resolved: Mapping[str, Any]) -> list[str]:
    """The protective settings whose resolved value is not what the files commit."""
    return [key for key in PROTECTIVE
            if normalised(resolved.get(key, default(key)))
            != normalised(committed.get(key, default(key)))]


def check_settings(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`tessera._bridge("settings_check", ...)` from the package's hooks."""
    root = project_root(payload.get("adapter"))
    if not root:
        return {"messages": []}
    committed = committed_vars(root)
    target = str((payload.get("target") or {}).get("name") or "")
    if not publishes(target, committed.get("publish_targets", default("publish_targets"))):
        return {"messages": []}  # a development target: --vars is the user's to set
    changed = overridden(committed, payload.get("settings") or {})
    if changed:
        raise ConfigError(
            f"vars.tessera.{', '.join(changed)} differ(s) from the committed dbt_project.yml "
            f"(a --vars override?) on target {target}, which publishes: the settings that "
            "guard production are read from the project's files only",
            "drop them from --vars (a --vars tessera mapping replaces all of vars.tessera: "
            "repeat the committed values), or change dbt_project.yml; a development target "
            "outside publish_targets takes --vars")
    return {"messages": []}
