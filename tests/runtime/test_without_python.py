"""The dbt package never breaks a user's dbt: without the Python brain (the package is not
installed where dbt runs, or dbt did not load its plugin, or the plugin could not import
it), every dbt command keeps its own result and the hook prints one warning with the
install line; only `strict: true` fails the run. Real dbt runs, in subprocesses whose
interpreter is made to lack the brain."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DbtProject, copy_project

pytestmark = pytest.mark.dbt

# dbt in a fresh interpreter where plugin discovery finds nothing (as when tessera-dbt is
# not installed), or where the plugin's import of the brain fails.
RUN_DBT = """
import sys
case, argv = sys.argv[1], sys.argv[2:]
if case == "not-installed":
    import dbt.plugins.manager as manager
    manager.PluginManager.get_prefixed_modules = classmethod(lambda cls: {})
elif case == "broken":
    sys.modules["tessera_dbt.runtime.bridge"] = None  # `import` of it raises ImportError
from dbt.cli.main import dbtRunner
result = dbtRunner().invoke(argv)
sys.exit(0 if result.success else 1)
"""


def _dbt(project: DbtProject, case: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **project.env}
    return subprocess.run(
        [sys.executable, "-c", RUN_DBT, case, *args, "--project-dir", str(project.path),
         "--profiles-dir", str(project.path), "--target", project.target],
        capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> DbtProject:
    project = copy_project(tmp_path_factory.mktemp("without_python"), "duckdb", deps=True)
    # in a subprocess too: dbt-duckdb keeps this process's connection (and its lock) open
    seeded = _dbt(project, "installed", "seed")
    assert seeded.returncode == 0, seeded.stdout[-2000:]
    return project


@pytest.mark.parametrize("command", [("seed",), ("run", "--select", "stg_orders"),
                                     ("build", "--select", "stg_customers"),
                                     ("docs", "generate")])
def test_dbt_commands_keep_their_result_and_warn_once(project, command):
    done = _dbt(project, "not-installed", *command)
    assert done.returncode == 0, done.stdout[-2000:]
    warnings = [line for line in done.stdout.splitlines()
                if "tessera: WARNING: nothing recorded or published" in line]
    assert len(warnings) == 1, done.stdout[-2000:]
    assert "python -m pip install ./dbt_packages/tessera" in warnings[0]
    assert "keyboard interrupt" not in done.stdout.lower()


def test_strict_fails_the_run_with_the_same_line(project):
    done = _dbt(project, "not-installed", "run", "--select", "stg_orders",
                "--vars", json.dumps({"tessera": {"strict": True}}))
    assert done.returncode == 1
    assert "the tessera-dbt Python package is not installed" in done.stdout


def test_an_operation_fails_at_once_naming_the_fix(project):
    done = _dbt(project, "not-installed", "run-operation", "tessera.status")
    assert done.returncode == 1
    assert "python -m pip install ./dbt_packages/tessera" in done.stdout


def test_a_plugin_that_cannot_import_the_brain_says_what_failed(project):
    done = _dbt(project, "broken", "run", "--select", "stg_orders")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "installed but its dbt plugin could not load it (ModuleNotFoundError" in done.stdout
