"""The user's dbt profile target as dbt would render it, without importing dbt: the
profiles.yml dbt would read, the profile dbt_project.yml names, the target chosen
(--target, DBT_TARGET, the profile's `target:`), each value rendered with the Jinja a
profile may use (env_var, flags.PROFILES_DIR, as_number/as_bool/as_text/as_native).

Anything else (another Jinja function, a missing file or env var) is None: the caller then
asks dbt itself, which gives the real error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PROFILES = "profiles.yml"


@dataclass(frozen=True)
class ProfileTarget:
    profile: str
    name: str
    values: dict[str, Any]  # the rendered output: type, path/host, schema, password, ...


class _Unrenderable(Exception):
    pass


def _yaml(path: str) -> Any:
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def profiles_dir(given: str | None) -> str:
    """dbt's rule: --profiles-dir, DBT_PROFILES_DIR, the working directory when it holds
    profiles.yml, else ~/.dbt."""
    if given:
        return given
    if os.environ.get("DBT_PROFILES_DIR"):
        return os.environ["DBT_PROFILES_DIR"]
    if os.path.isfile(os.path.join(os.getcwd(), _PROFILES)):
        return os.getcwd()
    return os.path.join(os.path.expanduser("~"), ".dbt")


def _renderer(profiles: str) -> Any:
    import jinja2

    def env_var(name: str, default: Any = None) -> Any:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise _Unrenderable(name)
        return default

    def as_number(value: Any) -> Any:
        text = str(value)
        try:
            return int(text)
        except ValueError:
            return float(text)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals.update(env_var=env_var, flags={"PROFILES_DIR": profiles})
    env.filters.update(as_number=as_number, as_text=str, as_native=lambda v: v,
                       as_bool=lambda v: str(v).lower() == "true")
    return env


def _render(env: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _render(env, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(env, v) for v in value]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        try:
            return env.from_string(value).render()
        except _Unrenderable:
            raise
        except Exception as exc:  # an unknown function or filter: dbt's own renderer
            raise _Unrenderable(str(exc)) from None
    return value


def profile_target(profile: Any, given_profiles_dir: str | None,
                   target: str | None) -> ProfileTarget | None:
    """The rendered target dbt would connect with for `profile` (dbt_project.yml's
    `profile:`), or None when tessera cannot tell."""
    if not isinstance(profile, str) or "{" in profile:
        return None
    directory = profiles_dir(given_profiles_dir)
    try:
        profiles = _yaml(os.path.join(directory, _PROFILES)) or {}
    except Exception:  # no file, bad YAML: dbt itself says which, in one line
        return None
    entry = profiles.get(profile) if isinstance(profiles, Mapping) else None
    if not isinstance(entry, Mapping) or not isinstance(entry.get("outputs"), Mapping):
        return None
    env = _renderer(directory)
    try:
        name = target or os.environ.get("DBT_TARGET") or _render(env, entry.get("target")) \
            or "default"
        output = entry["outputs"].get(name)
        if not isinstance(output, Mapping):
            return None
        return ProfileTarget(profile, str(name), _render(env, output))
    except _Unrenderable:
        return None
