"""Audit analytics with real dbt runs of integration_tests: the hook's audit runs, a history
seeded by ingesting real run_results (failing tests switched on and off) shifted into the
past, every trend figure, each alert rule at its boundary, ingest idempotence, source
freshness, the require_audit_pass gate, `tessera audit` and bad input."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

import pytest

from tessera_dbt.artifacts.readers import FreshnessResult
from tessera_dbt.cli import main
from tessera_dbt.runtime.audit_report import sparkline
from tessera_dbt.state.audit import from_freshness_result
from tests.conftest import copy_project, environment

pytestmark = pytest.mark.dbt

FAILING = "{tessera_it_failing: true}"
PRODUCTS = "%.dim_products"
CATEGORY = "accepted_values.category"
DAY = 24
# The history of dim_products, step by step: (hours ago, run). P passes, F is partial (the
# category test fails, the others pass), X failed (only the category test ran, and failed).
OLD = [(240 + DAY * i, "P") for i in range(7)] + [(480, "F"), (504, "F"), (528, "F"),
                                                    (31 * DAY, "F")]
STEPS = [
    (OLD, set()),                                    # 30 d: 10 runs, 3 failed; nothing recent
    ([(1, "F"), (2, "F")], {"latest_run_failed"}),   # 24 h: 2 runs < 3, rate 100 %
    ([(0.5, "P")], {"failure_rate_24h"}),            # 24 h: 3 runs (at min), 67 %
    ([(3, "P")], set()),                             # 24 h: 4 runs, 50 % (at the rate)
    ([(48, "F")], set()),                            # 7 d 3/5 = 1.5 x 30 d 6/15 (at)
    ([(72, "X")], {"failure_rate_rising"}),          # 7 d 4/6 > 1.5 x 7/16; category 4 x
    ([(96, "F")], {"failure_rate_rising", "guarantee_failing"}),  # category 5 x (at)
    ([(0.1, "X")], {"latest_run_failed", "failure_rate_24h", "guarantee_failing"}),
]                                                    # 7 d 6/8 = 1.5 x 9/18 (at again)


def _stamp(text: str, delta: dt.timedelta) -> str:
    moved = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) + delta
    return moved.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def shifted(template: Path, dest: Path, hours_ago: float, key: str) -> Path:
    """A copy of a real run_results.json as if the run had finished `hours_ago` hours ago,
    under its own invocation id."""
    doc = json.loads(template.read_text())
    ends = [dt.datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00"))
            for r in doc["results"] for t in r.get("timing") or ()]
    delta = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago) - max(ends)
    for result in doc["results"]:
        for step in result.get("timing") or ():
            step["started_at"] = _stamp(step["started_at"], delta)
            step["completed_at"] = _stamp(step["completed_at"], delta)
    doc["metadata"]["generated_at"] = _stamp(doc["metadata"]["generated_at"], delta)
    doc["metadata"]["invocation_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
    dest.write_text(json.dumps(doc))
    return dest


def expected_trends(timeline: list[tuple[float, str]]) -> dict:
    """What tessera_audit_trends must say about dim_products, counted from the timeline."""
    out: dict = {}
    for name, hours in (("24h", 24), ("7d", 7 * DAY), ("30d", 30 * DAY)):
        kinds = [k for h, k in timeline if h < hours]
        failing = kinds.count("X") + kinds.count("F")
        out.update({f"runs_{name}": len(kinds), f"passed_{name}": kinds.count("P"),
                    f"failed_{name}": kinds.count("X"), f"partial_{name}": kinds.count("F"),
                    f"failure_rate_{name}": pytest.approx(failing / len(kinds))
                    if kinds else None})
    in_7d = [k for h, k in timeline if h < 7 * DAY and k != "P"]
    out.update(runs_total=len(timeline),
               last_run_status={"P": "passed", "F": "partial", "X": "failed"}[
                   min(timeline)[1]],
               top_guarantee_failures_7d=len(in_7d),
               most_failing_guarantees_7d=CATEGORY if in_7d else None)
    return out


def trends_of(project, like: str = PRODUCTS) -> dict:
    names = [*expected_trends([(1, "P")])]
    row = project.query(f"select {', '.join(names)} from {{state}}.tessera_audit_trends "
                        f"where asset like '{like}'")
    return dict(zip(names, row[0], strict=True)) if row else {}


def alerts_of(project) -> set[str]:
    rows = project.query("select asset, alert from {state}.tessera_audit_alerts")
    assert all(asset.endswith(".dim_products") for asset, _ in rows), rows
    return {alert for _, alert in rows}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """integration_tests on DuckDB after three real runs: a passing build (P), a build with
    the failing tests switched on (F) and the failing test alone (X). Their run_results and
    the manifest are kept as the templates of the history."""
    tmp = tmp_path_factory.mktemp("audit_real")
    project = copy_project(tmp, "duckdb", deps=True)
    keep = tmp / "artifacts"
    keep.mkdir()
    runs = [("P", ("build",)), ("F", ("build", "--vars", FAILING)),
            ("X", ("test", "--select", "dim_products_category_is_known"))]
    for kind, args in runs:
        project.run(*args, expect_success=kind == "P")
        shutil.copy(project.run_results, keep / f"{kind}.json")
    shutil.copy(project.manifest, keep / "manifest.json")
    project.templates = {kind: keep / f"{kind}.json" for kind, _ in runs}
    project.keep = keep
    return project


def ingest(cli, project, *files: Path, manifest: Path, sources: tuple[Path, ...] = ()):
    args = ["audit", "ingest", "--manifest", manifest, "--project-dir", project.path,
            "--profiles-dir", project.path, "--target", project.target]
    for path in files:
        args += ["--run-results", path]
    for path in sources:
        args += ["--sources", path]
    return cli(*args).out


@pytest.fixture
def env(monkeypatch):
    def use(project):
        for key, value in project.env.items():
            monkeypatch.setenv(key, value)
        return ("--project-dir", project.path, "--profiles-dir", project.path,
                "--target", project.target)
    return use


def test_the_hook_records_one_audit_run_per_asset_and_invocation(real):
    rows = real.query("select status, has_warnings, tests_total, tests_passed, tests_failed, "
                      "guarantees_failed, contract_version from {state}.tessera_audit_runs "
                      "where asset like '%.dim_products' order by executed_at")
    assert [r[0] for r in rows] == ["passed", "partial", "failed"]
    assert rows[1][2:6] == (5, 4, 1, 1) and rows[2][2:6] == (1, 0, 1, 1)
    assert {r[6] for r in rows} == {"1.0.0"}, "the contract version in force"
    warned = real.query("select status, has_warnings, tests_warned "
                        "from {state}.tessera_audit_runs where asset like '%.dim_customers' "
                        "order by executed_at")
    assert warned == [("passed", False, 0), ("passed", True, 1)], \
        "a warning is a pass with a warning, never dropped"
    assert real.query("select last_audit_status, audit_pass_rate_30d from "
                      "{state}.tessera_contract_status where asset like '%.dim_customers'") \
        == [("warn", 1.0)]
    [(status, rate)] = real.query("select last_audit_status, audit_pass_rate_30d from "
                                  "{state}.tessera_contract_status where asset like "
                                  f"'{PRODUCTS}'")
    assert status == "fail" and rate == pytest.approx(1 / 3)


def test_ingesting_a_run_the_hook_recorded_records_nothing(real, cli, env):
    env(real)
    before = real.query("select count(*) from {state}.tessera_audit_log")
    out = ingest(cli, real, real.templates["F"], real.templates["X"],
                 manifest=real.keep / "manifest.json")
    assert "0 audit row(s) recorded" in out and "already recorded" in out
    assert real.query("select count(*) from {state}.tessera_audit_log") == before


def _ingest_quietly(project, files: list[Path], manifest: Path) -> None:
    """`tessera audit ingest` from a module fixture (no `cli` fixture there)."""
    args = ["audit", "ingest", "--manifest", str(manifest), "--project-dir", str(project.path),
            "--profiles-dir", str(project.path), "--target", project.target]
    for path in files:
        args += ["--run-results", str(path)]
    with environment(project.env):
        assert main(args) == 0


@pytest.fixture(scope="module")
def history(real, tmp_path_factory):
    """A fresh warehouse with only the tessera models built, the history ingested step by
    step; after each step the trends and alerts of dim_products are kept."""
    tmp = tmp_path_factory.mktemp("audit_history")
    project = copy_project(tmp, "duckdb", deps=True)
    project.run("run", "--select", "tessera")
    project.files = tmp / "runs"
    project.files.mkdir()
    project.timeline, project.snapshots = [], []
    for number, (runs, _) in enumerate(STEPS, 1):
        files = [shifted(real.templates[kind], project.files / f"{number}_{i}.json", hours,
                         f"history-{number}-{i}") for i, (hours, kind) in enumerate(runs)]
        _ingest_quietly(project, files, real.keep / "manifest.json")
        project.timeline = [*project.timeline, *runs]
        project.snapshots.append((project.timeline, trends_of(project), alerts_of(project)))
    return project


@pytest.mark.parametrize("step", range(1, len(STEPS) + 1))
def test_trends_and_alerts_at_every_boundary(history, step):
    timeline, trends, alerts = history.snapshots[step - 1]
    assert trends == expected_trends(timeline)
    assert alerts == STEPS[step - 1][1]


def test_guarantee_figures_and_alert_messages(history):
    [(failures, checks, failures_30d)] = history.query(
        "select failures_7d, checks_7d, failures_30d from {state}.tessera_audit_guarantees "
        f"where asset like '{PRODUCTS}' and guarantee = '{CATEGORY}'")
    assert (failures, checks, failures_30d) == (6, 8, 9)
    messages = dict(history.query("select alert, message from {state}.tessera_audit_alerts"))
    assert messages["failure_rate_24h"].startswith("failure rate 60% over 5 runs in 24 h")
    assert messages["guarantee_failing"].startswith(f"guarantee {CATEGORY} failed in 6 of 8")
    assert messages["latest_run_failed"].startswith("the latest run failed (status failed")


def test_alert_thresholds_come_from_vars(history):
    """The final history against thresholds moved across its figures: 24 h rate 60 % (3/5),
    7 d 75 % against 50 % over 30 d, the category guarantee failing 6 times in 7 d."""
    history.run("run", "--select", "tessera_audit_alerts", "--vars",
                "{tessera: {audit_alerts: {failure_rate_24h: 0.6, rising_factor: 1.49, "
                "guarantee_failures_7d: 7}}}")
    assert alerts_of(history) == {"latest_run_failed", "failure_rate_rising"}
    bad = history.run("run", "--select", "tessera_audit_alerts", "--vars",
                      "{tessera: {audit_alerts: {min_runs: 3}}}", expect_success=False)
    assert not bad.success
    history.run("run", "--select", "tessera_audit_alerts")
    assert alerts_of(history) == STEPS[-1][1]


def test_ingesting_the_same_files_again_records_nothing(real, history, cli, env):
    env(history)
    before = history.query("select count(*) from {state}.tessera_audit_log")
    again = ingest(cli, history, *sorted(history.files.glob("*.json")),
                   manifest=real.keep / "manifest.json")
    assert "0 audit row(s) recorded" in again
    assert history.query("select count(*) from {state}.tessera_audit_log") == before
    assert trends_of(history) == expected_trends(history.timeline)


def test_the_cli_shows_history_trends_alerts_and_a_sparkline(history, cli, env):
    where = env(history)
    report = json.loads(cli("audit", "dim_products", "--days", "7", "--format", "json",
                            *where).out)
    [entry] = report["assets"]
    expected = expected_trends(history.timeline)
    for window in ("24h", "7d", "30d"):
        got = entry["windows"][window]
        assert (got["runs"], got["passed"], got["failed"], got["partial"]) == (
            expected[f"runs_{window}"], expected[f"passed_{window}"],
            expected[f"failed_{window}"], expected[f"partial_{window}"])
    assert {a["alert"] for a in entry["alerts"]} == STEPS[-1][1]
    assert entry["most_failing_guarantees"][0] == {
        "guarantee": CATEGORY, "failures_7d": 6, "checks_7d": 8, "failures_30d": 9,
        "last_failed_at": entry["most_failing_guarantees"][0]["last_failed_at"]}
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    days = {(today - dt.timedelta(days=i)).isoformat(): [0, 0] for i in range(7)}
    for hours, kind in history.timeline:
        day = (now - dt.timedelta(hours=hours)).date().isoformat()
        if day in days:
            days[day][0] += 1
            days[day][1] += kind == "P"
    assert [(d["date"], d["runs"], d["passed"]) for d in entry["daily"]] == \
        [(day, *counts) for day, counts in sorted(days.items())]
    assert entry["sparkline"] == sparkline([p / r if r else None
                                            for r, p in (days[d] for d in sorted(days))])
    assert len(entry["sparkline"]) == 7 and "·" in entry["sparkline"]
    assert [h["status"] for h in entry["history"]][:2] == ["failed", "passed"]
    assert entry["history"][0]["failed_guarantees"] == [CATEGORY]

    text = cli("audit", "dim_products", "--days", "7", *where).out
    assert entry["sparkline"] in text and "ALERT latest_run_failed" in text
    assert "history (newest first)" in text and "failed guarantees" in text
    everything = cli("audit", *where).out
    assert everything.startswith("tessera audit: ") and "3 alert(s)" in everything
    assert "dim_customers" in everything


def test_source_freshness_is_a_guarantee_outcome(real, history, cli, env, tmp_path):
    env(real)
    real.run("source", "freshness", expect_success=False)  # the seed data is from 2024
    stale = shutil.copy(real.path / "target" / "sources.json", tmp_path / "stale.json")
    real.edit("models/staging/_sources.yml", "error_after: {count: 24, period: hour}",
              "error_after: {count: 100000, period: day}")
    real.run("source", "freshness")
    rows = real.query("select status, guarantee, test_name, message from "
                      "{state}.tessera_audit_results where asset like '%.raw_orders' "
                      "order by executed_at")
    assert [(r[0], r[1], r[2]) for r in rows] == [("fail", "freshness", "source_freshness"),
                                                  ("warn", "freshness", "source_freshness")]
    assert rows[0][3].startswith("max_loaded_at 2024-")
    runs = real.query("select status, has_warnings from {state}.tessera_audit_runs "
                      "where asset like '%.raw_orders' order by executed_at")
    assert runs == [("failed", False), ("passed", True)]
    # the hook recorded them: ingesting the same sources.json records nothing
    out = ingest(cli, real, sources=(real.path / "target" / "sources.json", stale),
                 manifest=real.keep / "manifest.json")
    assert "0 audit row(s) recorded, 2 already recorded" in out
    # a run made without the hook
    env(history)
    assert "1 audit row(s) recorded" in ingest(cli, history, sources=(stale,),
                                               manifest=real.keep / "manifest.json")
    assert history.query("select status, guarantee from {state}.tessera_audit_results "
                         "where asset like '%.raw_orders'") == [("fail", "freshness")]


def test_freshness_verdicts_map_to_guarantee_statuses():
    def status(verdict):
        result = FreshnessResult("source.p.raw.t", verdict, None, None, 0.0, "boom", None)
        return from_freshness_result(result, None).status
    assert [status(v) for v in ("pass", "warn", "error", "runtime error")] == \
        ["pass", "warn", "fail", "error"]


def test_require_audit_pass_refuses_any_new_version_whose_guarantees_failed(real):
    real.edit("models/commerce/dim_products.yml", "Catalogue category (no data_type",
              "Catalogue category as sold (no data_type")
    real.edit("models/commerce/dim_customers.yml", "Null for customers who never ordered.",
              "Null for customers without orders.")
    select = ("--select", "stg_orders", "stg_products", "dim_products", "stg_customers",
              "dim_customers", "--indirect-selection", "cautious")
    with real.settings(require_audit_pass=True):
        held = real.run("build", *select, "--vars", "{tessera_it_failing: true}",
                        expect_success=False)
    versions = dict(real.query("select asset, version from {state}.tessera_contracts "
                               "where is_current and (asset like '%.dim_products' "
                               "or asset like '%.dim_customers')"))
    assert sorted(versions.values()) == ["1.0.0", "1.0.1"], "the warning blocks nothing"
    assert next(v for a, v in versions.items() if a.endswith("dim_products")) == "1.0.0"
    note = [m for m in held.messages if "not published" in m]
    assert len(note) == 1 and "dim_products" in note[0]
    assert "require_audit_pass: guarantee(s) failed in this run: accepted_values.category" \
        in note[0]
    [(reason,)] = real.query("select reason from {state}.tessera_events where "
                             f"event_type = 'publish_held' and asset like '{PRODUCTS}'")
    assert "accepted_values.category" in reason
    with real.settings(require_audit_pass=True):
        real.run("build", *select)
    assert real.query("select version from {state}.tessera_contracts where is_current "
                      f"and asset like '{PRODUCTS}'") == [("1.0.1",)]


def test_bad_input_is_one_line_and_exit_2(real, history, cli, env, tmp_path):
    where = env(history)
    corrupt = tmp_path / "run_results.json"
    corrupt.write_text('{"metadata": {')
    before = history.query("select count(*) from {state}.tessera_audit_log")
    cases = [
        (("audit", "ingest", "--run-results", tmp_path / "missing.json"), "no such file"),
        (("audit", "ingest", "--run-results", real.templates["P"], "--run-results", corrupt),
         "not valid JSON"),
        (("audit", "ingest", "--run-results", real.keep / "manifest.json"),
         "not a run-results"),
        (("audit", "ingest"), "nothing to ingest"),
        (("audit", "nope"), "model 'nope': no such model"),
        (("audit", "--days", "0"), "--days must be between 1 and 366"),
        (("audit", "--run-results", real.templates["P"]), "belong to `tessera audit ingest`"),
    ]
    for args, message in cases:
        result = cli(*args, *where, expect=2)
        assert message in result.err and result.err.count("\n") == 1, (args, result.err)
        assert "Traceback" not in result.err + result.out
    assert history.query("select count(*) from {state}.tessera_audit_log") == before, \
        "nothing written half-way"


def test_sparkline_blocks():
    assert sparkline([None, 0.0, 0.5, 1.0, None]) == "·▁▅█·"


@pytest.mark.postgres
def test_the_models_give_the_same_figures_on_postgresql(real, cli, env, tmp_path):
    project = copy_project(tmp_path, "postgres", deps=True)
    where = env(project)
    project.run("run", "--select", "tessera")
    timeline = [run for runs, _ in STEPS for run in runs]
    files = [shifted(real.templates[kind], tmp_path / f"{i}.json", hours, f"pg-{i}")
             for i, (hours, kind) in enumerate(timeline)]
    ingest(cli, project, *files, manifest=real.keep / "manifest.json")
    assert trends_of(project) == expected_trends(timeline)
    assert alerts_of(project) == STEPS[-1][1]
    report = json.loads(cli("audit", "--format", "json", *where).out)
    assert report["alert_count"] == len(STEPS[-1][1])
