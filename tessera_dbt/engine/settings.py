"""Every default of `vars.tessera`, in one place for the Python side; the macros mirror it in
`macros/config/default_settings.sql` and tests/project/test_architecture.py holds the two equal.

PROTECTIVE names the settings that guard production: on a target that publishes, they are
read from the project's committed files, and a `--vars` override is refused
(runtime.settings_guard).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ConfigError

DEFAULT_SETTINGS: dict[str, Any] = {
    "schema": "tessera",
    "enabled": True,
    "strict": False,
    "fail_on_unapproved": False,
    "gate": "warn",
    "require_audit_pass": False,
    "block_unverified_guarantees": False,
    "publish_targets": None,
    "state_target": None,
    "state_file_format": None,
    "proposal_expiry_days": 30,
    "require_force_without_consumers": False,
    "teams": None,
    "admins": None,
    "webhooks": None,
    "team_webhooks": None,
    "slack_webhooks": None,
    "team_slack": None,
    "reminder_days_before_expiry": 3,
    "audit_alerts": {
        "failure_rate_24h": 0.5,
        "min_runs_24h": 3,
        "rising_factor": 1.5,
        "min_runs_7d": 5,
        "min_runs_30d": 10,
        "guarantee_failures_7d": 5,
    },
}
GATE_MODES = ("off", "warn", "block")
PROTECTIVE = ("enabled", "gate", "strict", "publish_targets", "fail_on_unapproved",
              "require_audit_pass", "block_unverified_guarantees", "schema")


def normalised(value: Any) -> Any:
    """A setting as the macros resolve it: "true"/"false" strings are booleans, a single
    publish target is a list of one."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def default(key: str) -> Any:
    return DEFAULT_SETTINGS[key]


def with_defaults(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **{k: normalised(v) for k, v in settings.items()}}


def publishes(target: str, publish_targets: Any) -> bool:
    """Whether a target publishes: every target, unless publish_targets lists some."""
    if publish_targets in (None, "", []):
        return True
    if isinstance(publish_targets, str):
        publish_targets = [publish_targets]
    return target in publish_targets


def gate_mode(settings: Mapping[str, Any]) -> str:
    """`vars.tessera.gate` as one of GATE_MODES; anything else is refused."""
    mode = str(settings.get("gate") or default("gate")).lower()
    if mode not in GATE_MODES:
        raise ConfigError(f"vars.tessera.gate is {mode!r}",
                          f"use one of: {', '.join(GATE_MODES)}")
    return mode
