"""The edges of `tessera check`: reading the baseline (an export, a production manifest, or
the warehouse through dbt), the project's settings, and where each model's YAML is."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..artifacts.contracts import extract_contracts
from ..artifacts.readers import load_manifest
from ..engine.errors import ArtifactError, ConfigError
from ..engine.verdicts import AssetCheck
from ..runtime.invocation import utc_now
from ..state.export import INDEX, PublishedState, is_export, read_export

_BASELINE_HINT = "pass a production manifest.json or a directory written by `tessera export`"


@dataclass(frozen=True)
class Baseline:
    """Production's side of the comparison."""

    kind: str  # warehouse | export | manifest
    source: str  # where it was read: a path, or the dbt target
    state: PublishedState
    knows_proposals: bool = True  # a manifest knows none: every breaking change is unproposed


def project_settings(project_dir: str) -> dict[str, Any]:
    """`vars.tessera` of the project's dbt_project.yml ({} when there is none)."""
    path = Path(project_dir) / "dbt_project.yml"
    if not path.is_file():
        return {}
    import yaml

    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    settings = (project.get("vars") or {}).get("tessera") if isinstance(project, dict) else None
    return settings if isinstance(settings, dict) else {}


def project_setting(project_dir: str, name: str) -> bool:
    """A boolean setting of `vars.tessera` (a `"true"` string counts, as in dbt)."""
    value = project_settings(project_dir).get(name)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def state_target(project_dir: str, explicit: str | None) -> str | None:
    """The dbt target whose published state counts: --target, else
    vars.tessera.state_target, else None (the profile's default target)."""
    settings = project_settings(project_dir)
    chosen = explicit or settings.get("state_target")
    if chosen is not None and (not isinstance(chosen, str) or "{{" in chosen):
        raise ConfigError(f"vars.tessera.state_target is {chosen!r}, not a target name",
                          "write the name (e.g. state_target: prod) or pass --target")
    publish = settings.get("publish_targets")
    publish = [publish] if isinstance(publish, str) else publish
    if chosen and isinstance(publish, list) and publish and chosen not in publish:
        raise ConfigError(f"target {chosen!r} never publishes (vars.tessera.publish_targets: "
                          f"{', '.join(map(str, publish))}), so it has no state to check against",
                          "pass --target with one of the publish_targets")
    return chosen


def load_baseline(path: str, all_assets: bool) -> Baseline:
    """An export directory (or its index file), else a production manifest.json."""
    if not os.path.exists(path):
        raise ConfigError(f"--baseline {path}: no such file or directory", _BASELINE_HINT)
    if is_export(path):
        return Baseline("export", path, read_export(path, utc_now()))
    if os.path.isdir(path):
        raise ConfigError(f"--baseline {path}: a directory without {INDEX}", _BASELINE_HINT)
    try:
        manifest = load_manifest(path)
    except ArtifactError as exc:
        raise ConfigError(f"--baseline {exc.message}", _BASELINE_HINT) from None
    documents = extract_contracts(manifest, all_assets=all_assets)
    return Baseline("manifest", path, PublishedState({d["asset"]: [d] for d in documents}),
                    knows_proposals=False)


def baseline_from_warehouse(project_dir: str, profiles_dir: str | None,
                            target: str | None) -> Baseline:
    """Production's state read through the user's dbt profile: `tessera.export` run by dbt
    into a temporary directory, then read like any export."""
    from ..runtime.runner import invoke

    with tempfile.TemporaryDirectory(prefix="tessera_check.") as scratch:
        out = os.path.join(scratch, "export")
        # A private target path: the user's target/manifest.json is the one being checked.
        command = ["run-operation", "tessera.export", "--args", json.dumps({"out": out}),
                   "--project-dir", project_dir, "--target-path", os.path.join(scratch, "t"),
                   "--log-path", os.path.join(scratch, "logs"), "--quiet"]
        if profiles_dir:
            command += ["--profiles-dir", profiles_dir]
        if target:
            command += ["--target", target]
        run = invoke(command, capture_stdout=True)
        if not run.success or not os.path.isdir(out):
            detail = run.errors[-1] if run.errors else str(run.exception or "dbt failed")
            raise ConfigError(
                "reading the published state through dbt (target "
                f"{target or 'of the profile'}) failed: {_one_line(detail)}",
                "check the target's credentials, or pass --baseline with an export")
        state = read_export(out, utc_now())
    return Baseline("warehouse", f"target {state.target or target}", state)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:400] + "..."


# --- where a model is declared ---------------------------------------------------------

def _repo_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def locate(project_dir: str, checks: Sequence[AssetCheck]
           ) -> dict[str, tuple[str | None, int | None]]:
    """asset → (file, line) of the `- name:` entry in the model's YAML, else its SQL file
    at line 1; (None, None) when neither exists (a deleted model). The file is relative to
    the repository root (else the project): CI annotations and PR comments point there."""
    project = Path(project_dir).resolve()
    root = _repo_root(project)
    texts: dict[Path, list[str] | None] = {}

    def lines_of(path: Path) -> list[str] | None:
        if path not in texts:
            try:
                texts[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                texts[path] = None
        return texts[path]

    def shown(path: Path) -> str:
        return os.path.relpath(path, root or project)

    out: dict[str, tuple[str | None, int | None]] = {}
    for item in checks:
        dbt = item.document.get("x-dbt") or {}
        found: tuple[str | None, int | None] = (None, None)
        name = str(dbt.get("name") or "")
        for relative, is_yaml in ((dbt.get("yaml_path"), True), (dbt.get("path"), None)):
            if not relative:
                continue
            path = project / str(relative)
            lines = lines_of(path)
            if lines is None:
                continue
            if is_yaml or str(relative).endswith((".yml", ".yaml")):
                line = _name_line(lines, name)
                if line:
                    found = (shown(path), line)
                    break
            else:
                found = (shown(path), 1)
                break
        out[item.asset] = found
    return out


def _name_line(lines: list[str], name: str) -> int | None:
    pattern = re.compile(r"^\s*-\s*name:\s*[\"']?" + re.escape(name) + r"[\"']?\s*(#.*)?$")
    for number, text in enumerate(lines, 1):
        if pattern.match(text):
            return number
    return None
