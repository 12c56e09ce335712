"""`tessera inbox`, `status` and `export` answer without running dbt once dbt has located
the state for the project and target (cli.direct), with exactly the answer of the same
operation through dbt, read-only; and they go through dbt whenever only dbt can answer
exactly (a changed profile, no manifest, a write due)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from tessera_dbt.cli import direct
from tessera_dbt.runtime import invocation, runner
from tests.conftest import clone_built, copy_project, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import _proposal_id, op

TARGETS = [pytest.param("duckdb", marks=pytest.mark.dbt),
           pytest.param("postgres", marks=[pytest.mark.dbt, pytest.mark.postgres])]


@pytest.fixture
def through_dbt(monkeypatch):
    """The operations the CLI runs through dbt (the real runs still happen)."""
    calls: list[str] = []
    real = runner.invoke

    def counted(argv, **kwargs):
        if not kwargs.get("private_paths"):  # which calls invoke again with the paths
            calls.append(argv[1].removeprefix("tessera.") if argv[0] == "run-operation"
                         else argv[0])
        return real(argv, **kwargs)

    monkeypatch.setattr(runner, "invoke", counted)
    return calls


@pytest.fixture(params=TARGETS)
def proposed(request, tmp_path, capsys):
    """integration_tests built, fct_orders' is_paid dropped and proposed: three teams wait."""
    project = clone_built(request, tmp_path, request.param)
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    out = op(project, capsys, "propose", "{model: fct_orders, reason: moved to payments}")
    return project, _proposal_id(out)


def _tessera(project, cli, *args, expect=0, target=None, env=None):
    with environment({**project.env, **(env or {})}):
        return cli(*args, "--project-dir", project.path, "--profiles-dir", project.path,
                   "--target", target or project.target, expect=expect)


def _events(project):
    return project.query("select count(*) from {state}.tessera_events")[0][0]


def _export(project, cli, out: Path) -> dict[str, object]:
    _tessera(project, cli, "export", "--out", str(out))
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = json.loads(path.read_text())
            if isinstance(data, dict):
                data.pop("exported_at", None)  # the moment of the export, nothing else
            files[str(path.relative_to(out))] = data
    return files


def test_reads_answer_without_dbt_exactly_as_through_dbt(proposed, cli, through_dbt,
                                                         tmp_path):
    project, pid = proposed
    commands_ = [("status",), ("status", "--model", "fct_orders"),
                 ("inbox", "--team", "marketing"), ("inbox", "--team", "finance")]
    kept = project.path / "target" / direct.LOCATION_FILE

    def via_dbt(*args):  # nothing kept: the read runs the operation through dbt
        kept.unlink(missing_ok=True)
        return _tessera(project, cli, *args)

    first = [via_dbt(*c) for c in commands_]
    assert through_dbt == [c[0] for c in commands_]
    kept.unlink()
    exported_dbt = _export(project, cli, tmp_path / "via_dbt")
    assert kept.is_file(), "dbt located the state; the CLI kept where"
    ran = len(through_dbt)

    events = _events(project)
    again = [_tessera(project, cli, *c) for c in commands_]
    exported_direct = _export(project, cli, tmp_path / "direct")
    assert len(through_dbt) == ran, f"dbt ran again: {through_dbt[ran:]}"
    assert [(r.code, r.out, r.err) for r in again] == [(r.code, r.out, r.err) for r in first]
    assert pid in again[2].out and "COLUMN_REMOVED at `is_paid`" in again[2].out
    assert exported_direct == exported_dbt and exported_direct
    assert _events(project) == events, "a direct read wrote to the state"

    # `tessera check --state-from-warehouse` reads the same state (the export) directly
    kept.unlink()
    check = ("check", "--state-from-warehouse", "--format", "json")
    checked_dbt = _tessera(project, cli, *check, expect=None)
    assert through_dbt[-1] == "export" and kept.is_file()
    ran = len(through_dbt)
    checked = _tessera(project, cli, *check, expect=None)
    assert len(through_dbt) == ran and checked.code == checked_dbt.code == 1
    direct_json, dbt_json = json.loads(checked.out), json.loads(checked_dbt.out)
    for doc in (direct_json, dbt_json):
        doc["baseline"].pop("exported_at")  # the moment each read the state
    assert direct_json == dbt_json and direct_json["assets"]

    # a misspelt team: the same one-line error, exit 2, both ways
    wrong = _tessera(project, cli, "inbox", "--team", "fiannce", expect=2)
    assert "did you mean 'finance'?" in wrong.err and len(through_dbt) == ran
    (project.path / "target" / direct.LOCATION_FILE).unlink()
    assert _tessera(project, cli, "inbox", "--team", "fiannce", expect=2).err == wrong.err
    assert len(through_dbt) == ran + 1


@pytest.mark.parametrize("target", TARGETS)
def test_reads_go_through_dbt_when_only_dbt_can_answer(target, request, tmp_path, cli, capsys,
                                                       through_dbt, monkeypatch):
    project = clone_built(request, tmp_path, target)
    _tessera(project, cli, "status")
    assert through_dbt == ["status"]
    _tessera(project, cli, "status")
    assert through_dbt == ["status"], "the kept location answers"

    # another target of the same profile: its own state, located by dbt
    if target == "duckdb":
        prod = _tessera(project, cli, "status", target="prod")
        assert "No published contract yet." in prod.out
        assert through_dbt[-1] == "status" and len(through_dbt) == 2
    # the profile renders differently (another schema, another file): dbt locates again
    moved = {"duckdb": {"TESSERA_DUCKDB_PATH": str(tmp_path / "elsewhere.duckdb")},
             "postgres": {"TESSERA_PG_SCHEMA": project.env.get("TESSERA_PG_SCHEMA", "") + "_b"}}
    count = len(through_dbt)
    out = _tessera(project, cli, "status", env=moved[target]).out
    assert "No published contract yet." in out and len(through_dbt) == count + 1
    out = _tessera(project, cli, "status").out  # back: each state's location is kept
    assert "No published contract yet." not in out and len(through_dbt) == count + 1
    if target == "duckdb":
        assert "No published contract yet." in _tessera(project, cli, "status",
                                                         target="prod").out
        assert len(through_dbt) == count + 1

    # no manifest.json: only dbt knows the project's assets
    manifest = project.manifest.read_text()
    project.manifest.unlink()
    _tessera(project, cli, "status")
    assert len(through_dbt) == count + 2
    project.manifest.write_text(manifest)

    # a macro edited (generate_schema_name may have moved the state): dbt locates again
    macro = project.path / "macros" / "tessera_direct_reads_probe.sql"
    macro.write_text("{% macro tessera_direct_reads_probe() %}{% endmacro %}\n")
    _tessera(project, cli, "status")
    assert len(through_dbt) == count + 3
    _tessera(project, cli, "status")
    assert len(through_dbt) == count + 3

    # 31 days later the proposal has expired, a settlement nobody recorded yet: the read
    # that first sees it records it, so it goes through dbt; the next read is direct again
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    settled = ("select count(*) from {state}.tessera_events where "
               f"event_type = 'proposal_resolved' and proposal_id = '{pid}'")
    assert project.query(settled)[0][0] == 0
    later = invocation.utc_now() + dt.timedelta(days=31)
    monkeypatch.setattr(invocation, "utc_now", lambda: later)
    count = len(through_dbt)
    out = _tessera(project, cli, "status", "--model", "fct_orders").out
    assert f"proposal {pid}" in out and "expired" in out
    assert len(through_dbt) == count + 1 and project.query(settled)[0][0] == 1
    assert _tessera(project, cli, "status", "--model", "fct_orders").out == out
    assert len(through_dbt) == count + 1 and project.query(settled)[0][0] == 1


def test_profile_rendering_matches_what_dbt_connects_with(tmp_path):
    """The profile values a direct read connects with, for integration_tests' profile."""
    project = copy_project(tmp_path, "duckdb")
    with environment({**project.env, "TESSERA_PG_PORT": "6543"}):
        read = direct.Project.read(str(project.path))
        duck = read.target(str(project.path), None)
        pg = read.target(str(project.path), "postgres")
    assert duck is not None and duck.name == "duckdb" and duck.profile == \
        "tessera_integration_tests"
    assert duck.values["path"] == project.env["TESSERA_DUCKDB_PATH"]
    assert pg is not None and str(pg.values["port"]) == "6543" and pg.values["type"] == "postgres"
    with environment({"DBT_TARGET": "prod", **project.env}):
        assert read.target(str(project.path), None).name == "prod"
    # a function dbt's renderer has and this one does not: dbt answers instead
    profiles = project.path / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(
        "schema: main", "schema: \"{{ return('main') }}\"", 1))
    with environment(project.env):
        assert read.target(str(project.path), None) is None
    assert os.path.isfile(profiles)


def test_the_kept_location_holds_no_delivery_address():
    """Webhook URLs may carry tokens: the location kept on disk never holds them."""
    from tessera_dbt.runtime import location

    secret = "https://hooks.example.invalid/T000/B000/token"
    location.remember({"settings": {"schema": "tessera", "webhooks": [{"url": secret}],
                                    "team_slack": {"finance": secret}},
                       "relations": {}, "target": {"name": "dev"}}, {})
    kept = location.last()
    assert kept is not None and secret not in json.dumps(kept)
    assert kept["settings"]["schema"] == "tessera" and location.last() is None
