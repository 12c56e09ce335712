"""The plugin-free path (docs/dbt-v2.md): dbt runs without the tessera plugin, as dbt Core v2
does, and the `tessera` CLI does the hooks' jobs from the run's artifacts through the dbt
1.x beside it. Real dbt builds in subprocesses whose plugin discovery finds nothing (the
v2 experience; v2 itself cannot be installed here), the CLI in subprocesses too (DuckDB
allows one writing process at a time), real DuckDB files and a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DbtProject, copy_project
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_without_python import RUN_DBT

pytestmark = pytest.mark.dbt
TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def dbt(project: DbtProject, *args: str, plugin: bool = False,
        expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-c", RUN_DBT, "installed" if plugin else "not-installed", *args,
         "--project-dir", str(project.path), "--profiles-dir", str(project.path),
         "--target", project.target],
        capture_output=True, text=True, env={**os.environ, **project.env}, timeout=900,
        check=False)
    assert done.returncode == expect, done.stdout[-3000:]
    return done


def tessera(project: DbtProject, *args: str, expect: int | None = 0
            ) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "tessera_dbt.cli", *args, "--project-dir", str(project.path),
         "--profiles-dir", str(project.path), "--target", project.target],
        capture_output=True, text=True, env={**os.environ, **project.env}, timeout=900,
        check=False)
    if expect is not None:
        assert done.returncode == expect, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def counts(project: DbtProject) -> tuple[int, int]:
    return (project.query("select count(*) from {state}.tessera_events")[0][0],
            project.query("select count(*) from {state}.tessera_audit_log")[0][0])


def audit(project: DbtProject) -> list[tuple]:
    return sorted(project.query(
        "select asset, guarantee, test_unique_id, test_name, status, failures, "
        "contract_version, message from {state}.tessera_audit_log"), key=repr)


def published(project: DbtProject) -> list[tuple]:
    return sorted(project.query("select asset, version, compatibility, owner, contract "
                                "from {state}.tessera_contracts"))


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> tuple[DbtProject, DbtProject]:
    """integration_tests built twice, in twin warehouses (same file names, so the same
    asset names): with the plugin (the hook records), and without it, then
    `tessera record`."""
    hooked = copy_project(tmp_path_factory.mktemp("with_plugin"), "duckdb", deps=True)
    bare = copy_project(tmp_path_factory.mktemp("without_plugin"), "duckdb", deps=True)
    dbt(hooked, "build", plugin=True)
    built = dbt(bare, "build")
    assert "tessera: WARNING: nothing recorded or published" in built.stdout
    assert counts(bare)[1] == 0, "the plugin-free build recorded nothing itself"
    return hooked, bare


def test_record_writes_what_the_hook_would_have_row_by_row(twins):
    hooked, bare = twins
    done = tessera(bare, "record")
    assert re.search(r"recorded run \S+ \(build, \d+ result\(s\)\): \d+ new audit row\(s\), "
                     r"12 contract\(s\) published", done.stdout), done.stdout
    assert audit(bare) == audit(hooked) and len(audit(bare)) > 50
    assert published(bare) == published(hooked) and len(published(bare)) == 12


def test_recording_again_or_after_the_hook_writes_nothing(twins):
    hooked, bare = twins
    for project in (bare, hooked):
        before = counts(project)
        done = tessera(project, "record")
        assert "0 new audit row(s), 0 contract(s) published" in done.stdout, done.stdout
        assert counts(project) == before


def test_v2_shaped_run_results_record_with_one_line_per_degradation(twins, tmp_path):
    """As dbt 2.x writes them: no message, failures or compiled_code, nanosecond
    timestamps, errored nodes left out (docs/dbt-v2.md)."""
    _, bare = twins
    run = json.loads(bare.run_results.read_text())
    run["metadata"].update({"dbt_version": "2.0.0-rc9",
                            "invocation_id": "01a01f6c-fe2a-7c61-96fc-75fb49790e5c"})
    for result in run["results"]:
        for key in ("message", "failures", "compiled_code", "compiled"):
            result.pop(key, None)
        for step in result.get("timing") or ():
            step["completed_at"] = step["completed_at"][:19] + ".123456789Z"
    shaped = tmp_path / "run_results.json"
    shaped.write_text(json.dumps(run))
    manifest = json.loads(bare.manifest.read_text())
    for node in manifest["nodes"].values():
        for key in ("compiled_code", "group", "docs", "created_at", "build_path"):
            node.pop(key, None)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))

    done = tessera(bare, "record", "--run-results", str(shaped),
                   "--manifest", str(tmp_path / "manifest.json"))
    degraded = [line for line in done.stdout.splitlines() if "degraded:" in line]
    assert [line.split("degraded: ")[1].split(":")[0] for line in degraded] == [
        "test messages unavailable", "failure counts unavailable",
        "errored nodes unavailable", "column lineage unavailable"], done.stdout
    tests = sum(1 for r in run["results"] if r["unique_id"].startswith("test."))
    assert f"{tests} new audit row(s), 0 contract(s) published" in done.stdout
    rows = bare.query("select message, failures, executed_at from {state}.tessera_audit_log "
                      "where invocation_id = '01a01f6c-fe2a-7c61-96fc-75fb49790e5c'")
    assert len(rows) == tests and all(r[0] is None and r[1] is None for r in rows)
    assert all(r[2] is not None for r in rows), "nanosecond timestamps are read"


def test_bad_artifacts_are_one_line(twins, tmp_path):
    _, bare = twins
    missing = tessera(bare, "record", "--run-results", str(tmp_path / "nope.json"), expect=2)
    assert "no such file" in missing.stderr and len(missing.stderr.splitlines()) == 1
    corrupt = tmp_path / "run_results.json"
    corrupt.write_text('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/'
                       'dbt/run-results/v6.json"}, "results": [')
    bad = tessera(bare, "record", "--run-results", str(corrupt), expect=2)
    assert "not valid JSON" in bad.stderr and len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize("target", TARGETS)
def test_the_breaking_change_workflow_through_the_cli_alone(target, tmp_path):
    """gate → build → record → propose → acknowledge → gate → build → record: 2.0.0."""
    project = copy_project(tmp_path, target, deps=True)
    dbt(project, "build")
    tessera(project, "record")
    assert tessera(project, "gate").stdout.strip().endswith("0 that cannot be judged")

    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    blocked = tessera(project, "gate", "--select", "fct_orders", expect=1)
    assert "BLOCKED" in blocked.stdout and "COLUMN_REMOVED at is_paid" in blocked.stdout
    as_json = json.loads(tessera(project, "gate", "--format", "json", expect=1).stdout)
    assert [b["rules"] for b in as_json["blocked"]] == [["COLUMN_REMOVED"]]
    assert as_json["exit_code"] == 1
    # another model selected: nothing breaking in it
    tessera(project, "gate", "--select", "dim_products")

    proposed = tessera(project, "propose", "--model", "fct_orders")
    pid = re.search(r"\b(p_[0-9a-f]{16})\b", proposed.stdout).group(1)
    for team in ("data_platform", "finance", "marketing"):
        tessera(project, "acknowledge", "--proposal-id", pid, "--team", team,
                "--response", "approved")
    tessera(project, "gate", "--select", "fct_orders")
    dbt(project, "build", "--select", "fct_orders")
    done = tessera(project, "record")
    assert "published" in done.stdout and "fct_orders 2.0.0" in done.stdout, done.stdout
    assert project.query("select version from {state}.tessera_contracts where is_current "
                         "and asset like '%.fct_orders'") == [("2.0.0",)]


def test_doctor_names_the_path(tmp_path):
    beside = Path(sys.executable).parent
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dbt").write_text("#!/bin/sh\necho 'dbt-fusion 2.0.0-rc9'\n")
    (fake / "dbt").chmod(0o755)
    for path, expected in ((str(beside), "plugin"), (str(fake), "plugin-free")):
        done = subprocess.run(
            [sys.executable, "-m", "tessera_dbt.cli", "doctor", "--format", "json",
             "--project-dir", str(Path(__file__).parents[2] / "integration_tests")],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "PATH": f"{path}{os.pathsep}/usr/bin:/bin"})
        report = json.loads(done.stdout)
        assert report["path"] == expected, done.stdout
        assert report["dbt_beside_cli"].startswith("1.")
        assert report["can"] and (expected == "plugin" or report["cannot"])


def test_an_asset_that_cannot_be_recorded_exits_1_saying_why(twins):
    _, bare = twins
    bare.edit("models/commerce/fct_orders.yml", "- team: finance", "- team: fiannce")
    dbt(bare, "build", "--select", "fct_orders")
    done = tessera(bare, "record", expect=1)
    lines = done.stdout.splitlines()
    assert any("names team 'fiannce'" in line and "did you mean 'finance'" in line
               for line in lines), done.stdout
    assert lines[-1].startswith("tessera: record failed: 1 asset(s)") and \
        "fct_orders" in lines[-1], done.stdout
    assert "Compilation Error" not in done.stdout
