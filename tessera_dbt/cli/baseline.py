"""The edges of `tessera check`: reading the baseline (an export, a production manifest, or
the warehouse through dbt), the project's settings, and where each model's YAML is."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..artifacts.contracts import extract_contracts
from ..artifacts.nodes import iter_assets
from ..artifacts.readers import Manifest, load_manifest
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
    """Production's state read through the user's dbt profile: `tessera.export` into a
    temporary directory (read directly when dbt located the state before, cli.direct; else
    run by dbt), then read like any export."""
    from . import direct

    with tempfile.TemporaryDirectory(prefix="tessera_check.") as scratch:
        out = os.path.join(scratch, "export")
        direct.answer(project_dir, profiles_dir, target, "export", {"out": out},
                      lambda: _export_through_dbt(project_dir, profiles_dir, target, scratch,
                                                  out))
        state = read_export(out, utc_now())
    return Baseline("warehouse", f"target {state.target or target}", state)


def _export_through_dbt(project_dir: str, profiles_dir: str | None, target: str | None,
                        scratch: str, out: str) -> list[str]:
    from ..runtime.runner import invoke

    # A private target path: the user's target/manifest.json is the one being checked.
    command = ["run-operation", "tessera.export", "--args",
               json.dumps({"out": out}, ensure_ascii=False), "--project-dir", project_dir,
               "--target-path", os.path.join(scratch, "t"),
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
    return run.printed


def live_served(project_dir: str, profiles_dir: str | None, target: str | None
                ) -> dict[str, list[tuple[str, str]]]:
    """What the relations of the project's assets serve now, read through the user's dbt
    profile (`tessera.served_columns`): the CI target's, for `tessera check --live`."""
    from ..runtime.runner import invoke

    with tempfile.TemporaryDirectory(prefix="tessera_check.") as scratch:
        out = os.path.join(scratch, "served.json")
        command = ["run-operation", "tessera.served_columns", "--args",
                   json.dumps({"out": out}, ensure_ascii=False), "--project-dir", project_dir,
                   "--log-level", "none"]
        if profiles_dir:
            command += ["--profiles-dir", profiles_dir]
        if target:
            command += ["--target", target]
        # a private target path: the user's target/manifest.json is the one being checked
        run = invoke(command, capture_stdout=True, private_paths=True)
        if not run.success or not os.path.isfile(out):
            detail = run.operation_error("dbt failed")
            raise ConfigError(f"--live: reading the relations through dbt (target "
                              f"{target or 'of the profile'}) failed: {_one_line(detail)}",
                              "check the target's credentials, or pass --catalog instead")
        with open(out, encoding="utf-8") as handle:
            raw = json.load(handle)
    return {uid: [(str(n), str(t)) for n, t in cols] for uid, cols in raw.items() if cols}


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:400] + "..."


# --- a manifest older than its files ---------------------------------------------------

def _project_root(manifest: Manifest, project_dir: str) -> Path | None:
    """Where the nodes' paths start: dbt's `root_path` (manifests before dbt 1.5), else the
    directory holding dbt_project.yml that holds the manifest's target directory, else
    --project-dir."""
    for node in manifest.nodes.values():
        if node.get("root_path"):
            return Path(str(node["root_path"]))
    for folder in Path(manifest.path).resolve().parents[:2]:
        if (folder / "dbt_project.yml").is_file():
            return folder
    project = Path(project_dir)
    return project if (project / "dbt_project.yml").is_file() else None


def stale_manifest(manifest: Manifest, project_dir: str) -> str | None:
    """One warning when the manifest is older than a file it was parsed from: the SQL and
    YAML of the project's own assets under contract (one stat each; a missing file is
    skipped), else None."""
    root = _project_root(manifest, project_dir)
    try:
        parsed = os.stat(manifest.path).st_mtime
    except OSError:
        return None
    if root is None:
        return None
    relative: set[str] = set()
    for _, node in iter_assets(manifest):
        if manifest.project_name and node.get("package_name") not in (None,
                                                                       manifest.project_name):
            continue  # an installed package's paths start at the package, not here
        for key in ("original_file_path", "patch_path"):
            if isinstance(node.get(key), str) and node[key]:
                relative.add(node[key].split("://", 1)[-1])
    newer = []
    for path in sorted(relative):
        try:
            if os.stat(root / path).st_mtime > parsed:
                newer.append(path)
        except OSError:
            continue
    if not newer:
        return None
    more = f" and {len(newer) - 1} other file(s)" if len(newer) > 1 else ""
    return (f"warning: {manifest.path} is older than {newer[0]}{more} it was parsed from; "
            "the check may not see your latest changes (run `dbt parse` again)")


def warn_if_stale(manifest: Manifest, project_dir: str) -> None:
    """`stale_manifest`'s warning on stderr, as `tessera check` prints its other lines."""
    line = stale_manifest(manifest, project_dir)
    if line:
        sys.stderr.write(f"tessera check: {line}\n")


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
