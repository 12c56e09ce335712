"""`tessera doctor`: which path a project is on, and what that path can and cannot do.

The plugin path: the `dbt` that builds is dbt-core 1.x running in a Python that imports
tessera-dbt, so the package's hooks call the brain in-run (gate, guard, record, publish).
The plugin-free path: that `dbt` loads no plugin (dbt Core v2, or another Python); the
package's models and hooks still run, and `tessera gate` / `tessera record`, through the
dbt 1.x and adapter installed beside this CLI, do the hooks' jobs (docs/dbt-v2.md).
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import __version__
from .parser import EXIT_FAIL, EXIT_OK, write

CAN = {
    "plugin": ["the on-run-start gate and the guard stop a breaking build in-run",
               "the on-run-end hook records every test and publishes what was built",
               "operations through `dbt run-operation tessera.<op>` or the tessera CLI"],
    "plugin-free": ["`tessera gate` before the build: the same verdict as the in-run gate",
                    "`tessera record` after it: the audit rows and publications the hook "
                    "would have written",
                    "operations through the tessera CLI (propose, acknowledge, ...)",
                    "the package's models build and its hooks never fail the run"],
}
CANNOT = {
    "plugin": [],
    "plugin-free": ["no gate inside the run: a build started without `tessera gate` is "
                    "not stopped, and `{{ tessera.guard() }}` does nothing",
                    "nothing is recorded until `tessera record` runs",
                    "dbt 2.x run_results.json omit errored nodes and may lack messages and "
                    "failure counts: those audit details are missing"],
}


@dataclass
class Diagnosis:
    tessera: str
    python: str
    dbt_beside_cli: str | None
    adapters_beside_cli: list[str]
    plugin_importable: bool
    dbt_on_path: str | None
    dbt_on_path_version: str | None
    path: str
    project: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _adapters() -> list[str]:
    names = {d.metadata["Name"].lower() for d in metadata.distributions()
             if d.metadata["Name"]}
    return sorted(n for n in names if n.startswith("dbt-") and n not in
                  ("dbt-core", "dbt-adapters", "dbt-common", "dbt-extractor",
                   "dbt-semantic-interfaces", "dbt-protos", "dbt-tessera"))


def _dbt_on_path() -> tuple[str | None, str | None]:
    """The `dbt` a shell would run, and the version it reports (`dbt --version`)."""
    # the shell's PATH first, then the dbt installed beside this CLI's Python
    found = shutil.which("dbt", path=os.pathsep.join(
        [os.environ.get("PATH", ""), os.path.dirname(sys.executable)]))
    if not found:
        return None, None
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return found, None
    match = re.search(r"(\d+\.\d+\.\d+(?:[-.]?[a-z]+[.\d]*)?)", done.stdout + done.stderr)
    return found, match.group(1) if match else None


def _same_python(executable: str) -> bool:
    """Is this `dbt` the console script of the Python running this CLI?"""
    return os.path.realpath(os.path.dirname(executable)) == \
        os.path.realpath(os.path.dirname(sys.executable))


def _project(project_dir: str) -> dict[str, Any]:
    import yaml

    path = os.path.join(project_dir, "dbt_project.yml")
    if not os.path.isfile(path):
        return {"dir": os.path.abspath(project_dir), "found": False}
    with open(path, encoding="utf-8") as handle:
        project = yaml.safe_load(handle) or {}
    installed = os.path.isfile(os.path.join(project_dir, "dbt_packages", "tessera",
                                            "dbt_project.yml"))
    return {"dir": os.path.abspath(project_dir), "found": True,
            "name": project.get("name"), "profile": project.get("profile"),
            "tessera_package_installed": installed}


def diagnose(project_dir: str) -> Diagnosis:
    dbt_path, dbt_version = _dbt_on_path()
    beside = _version("dbt-core")
    plugin = importlib.util.find_spec("dbt_tessera") is not None
    on_plugin = bool(dbt_path and dbt_version and dbt_version.startswith("1.")
                     and _same_python(dbt_path) and plugin)
    diagnosis = Diagnosis(__version__, sys.version.split()[0], beside, _adapters(), plugin,
                          dbt_path, dbt_version, "plugin" if on_plugin else "plugin-free",
                          _project(project_dir))
    if beside is None or not beside.startswith("1."):
        diagnosis.problems.append(
            "no dbt-core 1.x beside this CLI: `tessera gate`, `record` and the operations "
            "need it (pip install tessera-dbt installs one)")
    if not diagnosis.adapters_beside_cli:
        diagnosis.problems.append("no dbt adapter beside this CLI: install the one your "
                                  "profile uses, e.g. pip install dbt-duckdb")
    if diagnosis.project.get("found") and not diagnosis.project.get(
            "tessera_package_installed"):
        diagnosis.problems.append("the tessera package is not in dbt_packages/: add it to "
                                  "packages.yml and run `dbt deps`")
    if dbt_path is None:
        diagnosis.problems.append("no `dbt` on PATH or beside this CLI: install the dbt "
                                  "your builds run with")
    return diagnosis


def cmd_doctor(args: argparse.Namespace) -> int:
    diagnosis = diagnose(args.project_dir)
    code = EXIT_FAIL if diagnosis.problems else EXIT_OK
    if args.format == "json":
        write(json.dumps({**asdict(diagnosis), "can": CAN[diagnosis.path],
                          "cannot": CANNOT[diagnosis.path]}, indent=2, sort_keys=True))
        return code
    d = diagnosis
    write(f"tessera-dbt {d.tessera} on Python {d.python}")
    write(f"beside this CLI: dbt-core {d.dbt_beside_cli or 'missing'}; adapters: "
          f"{', '.join(d.adapters_beside_cli) or 'none'}; plugin dbt_tessera "
          f"{'importable' if d.plugin_importable else 'missing'}")
    write(f"dbt on PATH: {d.dbt_on_path or 'none'}"
          + (f" (version {d.dbt_on_path_version})" if d.dbt_on_path_version else ""))
    if d.project.get("found"):
        write(f"project {d.project['name']} in {d.project['dir']}: tessera package "
              + ("installed" if d.project["tessera_package_installed"] else "missing"))
    write(f"path: {d.path}")
    for line in CAN[d.path]:
        write(f"  can: {line}")
    for line in CANNOT[d.path]:
        write(f"  cannot: {line}")
    if d.path == "plugin-free":
        write("  run: tessera gate && dbt build; tessera record   (docs/dbt-v2.md)")
    for line in d.problems:
        write(f"PROBLEM {line}")
    return code
