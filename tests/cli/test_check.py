"""`tessera check`, the CI gate, with real dbt runs: production (`prod` target) builds and
publishes, a pull request changes the project and parses it on its own target (`duckdb`),
and the check compares it with production through each kind of baseline."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.cli import main
from tessera_dbt.lineage.cache import default_cache
from tessera_dbt.state.export import INDEX, _file_name
from tests.conftest import DbtProject, copy_project, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

SETTINGS = "vars:\n  tessera:\n    publish_targets: [prod]\n    state_target: prod\n"
EXPECTED = {  # the pull request's statuses against production's state
    "fct_orders": "breaking-pending",       # proposed, consumers still to answer
    "dim_products": "breaking-approved",    # proposed, nobody to ask: approved at once
    "dim_customers": "breaking-unproposed",  # a dropped column, no proposal
    "stg_products": "compatible",           # a new nullable column: minor
    "marketing_customer_ltv": "new",        # put under contract in this change
    "hostile_names": "removed",             # deleted; production registered a consumer
    "stg_orders": "unchanged",
}


@dataclass
class Scenario:
    ci: DbtProject
    prod: DbtProject
    tmp: Path

    @property
    def export(self) -> Path:
        return self.tmp / "export"

    @property
    def prod_manifest(self) -> Path:
        return self.tmp / "prod_manifest.json"

    def baseline_args(self, kind: str) -> list[str]:
        return {"warehouse": ["--state-from-warehouse"],
                "export": ["--baseline", str(self.export)],
                "manifest": ["--baseline", str(self.prod_manifest)]}[kind]


def _tessera(project: DbtProject, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with environment(project.env):
        try:
            code = main([*args, "--project-dir", str(project.path)])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def check(scenario: Scenario, capsys, kind: str, *extra: str) -> tuple[int, str, str]:
    ci = scenario.ci
    args = ["check", "--manifest", str(ci.manifest), *scenario.baseline_args(kind), *extra]
    if kind == "warehouse":
        args += ["--profiles-dir", str(ci.path)]
    return _tessera(ci, capsys, *args)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    tmp = tmp_path_factory.mktemp("check")
    ci = copy_project(tmp, "duckdb", deps=True)
    ci.edit("dbt_project.yml", "vars:\n", SETTINGS)
    prod = DbtProject(ci.path, "prod", ci.env)
    prod.run("build")
    shutil.copy(ci.manifest, tmp / "prod_manifest.json")
    prod.run("run-operation", "tessera.register", "--args", "{model: hostile_names, team: ml}")

    # the pull request
    ci.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    ci.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    ci.edit("models/commerce/dim_products.sql", "bigint) as units_sold\n",
            "bigint) as units_sold_total\n")
    ci.edit("models/commerce/dim_products.yml", "name: units_sold", "name: units_sold_total")
    ci.edit("models/commerce/dim_customers.yml",
            "      - name: signed_up_at\n        data_type: timestamp\n", "")
    ci.edit("models/commerce/dim_customers.sql",
            "        cast(customers.signed_up_at as timestamp) as signed_up_at,\n", "")
    ci.edit("models/staging/stg_products.yml", "      - name: updated_at\n",
            "      - name: launched_at\n        data_type: date\n      - name: updated_at\n")
    ci.edit("models/marketing/marketing_customer_ltv.yml", "      group: marketing\n",
            "      group: marketing\n      meta:\n        tessera: {owner: marketing}\n")
    (ci.path / "models/commerce/hostile_names.sql").unlink()
    (ci.path / "models/commerce/hostile_names.yml").unlink()

    # proposals are made against production's state, from the changed project
    prod.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}")
    prod.run("run-operation", "tessera.propose", "--args", "{model: dim_products}")
    ci.run("parse")
    scenario = Scenario(ci, prod, tmp)
    with environment(ci.env):
        assert main(["export", "--out", str(scenario.export), "--project-dir", str(ci.path),
                     "--profiles-dir", str(ci.path), "--target", "prod"]) == 0
    return scenario


def _by_name(payload: dict) -> dict[str, dict]:
    return {a["name"]: a for a in payload["assets"]}


@pytest.mark.dbt
@pytest.mark.parametrize("kind", ["warehouse", "export", "manifest"])
def test_every_status_against_each_baseline(scenario, capsys, kind):
    code, out, err = check(scenario, capsys, kind, "--format", "json")
    assert code == 1, err
    payload = json.loads(out)
    assets = _by_name(payload)
    expected = dict(EXPECTED)
    if kind == "manifest":  # a manifest knows no proposal and no registration
        expected.update(fct_orders="breaking-unproposed", dim_products="breaking-unproposed")
    assert {name: assets[name]["status"] for name in expected} == expected
    assert payload["baseline"]["kind"] == kind
    assert sum(payload["summary"].values()) == len(payload["assets"]) == 13
    assert not payload["passed"]

    customers = assets["dim_customers"]
    assert customers["asset"].endswith(".prod.dim_customers"), "production's name counts"
    assert [c["rule"] for c in customers["changes"]] == ["COLUMN_REMOVED"]
    assert {a["team"] for a in customers["affected_consumers"]} == {"marketing"}
    assert customers["blocking"] and customers["bump"] == "major"
    assert customers["file"] == "models/commerce/dim_customers.yml"
    assert customers["line"] == 4
    compatible = assets["stg_products"]
    assert compatible["bump"] == "minor" and not compatible["blocking"]
    assert assets["marketing_customer_ltv"]["next_version"] == "1.0.0"
    removed = assets["hostile_names"]
    assert removed["reason"].startswith("deleted or disabled") and removed["file"] is None

    if kind == "manifest":
        assert customers["next_commands"] == [
            "dbt run-operation tessera.propose --args '{model: dim_customers}'"]
        assert customers["published_version"] is None
        # a removal is breaking whatever is known of consumers: it waits for a retirement
        assert removed["blocking"] and removed["next_commands"] == [
            "dbt run-operation tessera.propose --args '{model: hostile_names}'"]
        assert payload["blocking"] == ["dim_customers", "dim_products", "fct_orders",
                                       "hostile_names"]
        return
    assert customers["next_commands"] == [
        "dbt run-operation tessera.propose --args '{model: dim_customers}' --target prod"]
    assert customers["published_version"] == "1.0.0" and customers["next_version"] == "2.0.0"
    assert compatible["next_version"] == "1.1.0"
    pending = assets["fct_orders"]
    assert pending["proposal"]["status"] == "pending"
    assert pending["proposal"]["missing"] == pending["proposal"]["required"]
    assert "finance" in pending["proposal"]["required"]
    assert pending["next_commands"] == [
        "dbt run-operation tessera.acknowledge --args '{proposal_id: "
        f"{pending['proposal']['proposal_id']}, team: <team>, response: approved}}' "
        "--target prod"]
    approved = assets["dim_products"]
    assert approved["proposal"]["status"] == "approved" and not approved["blocking"]
    assert removed["blocking"] and removed["affected_consumers"] == [
        {"team": "ml", "source": "registered"}]
    assert payload["blocking"] == ["dim_customers", "fct_orders", "hostile_names"]
    assert payload["state_target"] == "prod"


@pytest.mark.dbt
def test_column_lineage_narrows_the_affected_consumers(scenario, capsys):
    """With compiled SQL, only the consumers that read a changed column are affected;
    after a bare `dbt parse` (no SQL) every consumer counts, as the tests above show."""
    compiled = scenario.tmp / "compiled"
    scenario.ci.run("compile", "--target-path", str(compiled))
    code, out, _ = _tessera(scenario.ci, capsys, "check", "--manifest",
                            str(compiled / "manifest.json"), "--baseline",
                            str(scenario.export), "--format", "json")
    assert code == 1
    assets = _by_name(json.loads(out))
    reasons = [why for a in assets["dim_customers"]["affected_consumers"]
               for why in a.get("reasons") or ()]
    assert reasons and all("exposure customer_ltv_dashboard declares no columns" in why
                           for why in reasons), \
        "marketing is affected through its dashboard, which reads everything; its model " \
        "marketing_customer_ltv selects five columns of dim_customers, not signed_up_at"
    orders = {a["team"]: a for a in assets["fct_orders"]["affected_consumers"]}
    assert "marketing" in orders
    assert any("marketing_customer_ltv reads fct_orders.is_paid in its filter" in why
               for why in orders["marketing"]["reasons"])
    cache = default_cache(load_manifest(str(compiled / "manifest.json"))).path
    assert cache and Path(cache).is_file(), "lineage is cached"
    assert not (compiled / "tessera_lineage_cache.json").exists(), "never beside the manifest"

    # the dashboard declares the columns it uses (as `meta: {tessera: {columns: [...]}}` on
    # the exposure compiles to): then nobody reads the dropped column
    manifest = json.loads((compiled / "manifest.json").read_text())
    dashboard = manifest["exposures"]["exposure.tessera_integration_tests.customer_ltv_dashboard"]
    dashboard["meta"] = {"tessera": {"columns": ["customer_id", "lifetime_value"]}}
    dashboard["config"]["meta"] = dashboard["meta"]
    declared = scenario.tmp / "declared"
    declared.mkdir()
    (declared / "manifest.json").write_text(json.dumps(manifest))
    code, out, _ = _tessera(scenario.ci, capsys, "check", "--manifest",
                            str(declared / "manifest.json"), "--baseline",
                            str(scenario.export), "--format", "json")
    customers = _by_name(json.loads(out))["dim_customers"]
    assert customers["affected_consumers"] == [], "nobody reads signed_up_at"
    assert customers["blocking"], "still breaking: a proposal (approved at once) ships it"

    code, text, _ = _tessera(scenario.ci, capsys, "check", "--manifest",
                             str(compiled / "manifest.json"), "--baseline",
                             str(scenario.export))
    assert "    why: marketing_customer_ltv reads fct_orders.is_paid in its filter" in text


@pytest.mark.dbt
def test_the_manifest_defaults_to_the_projects_target(scenario, capsys, monkeypatch):
    monkeypatch.chdir(scenario.tmp)  # not the project: --project-dir decides
    code, out, err = _tessera(scenario.ci, capsys, "check", "--baseline", str(scenario.export),
                              "--format", "json")
    assert code == 1, err
    assert _by_name(json.loads(out))["dim_customers"]["status"] == "breaking-unproposed"


@pytest.mark.dbt
def test_passes_when_nothing_unapproved_breaks(scenario, capsys):
    code, out, _ = _tessera(scenario.ci, capsys, "check", "--manifest",
                            str(scenario.prod_manifest), "--baseline", str(scenario.export))
    assert code == 0
    assert out.startswith("tessera check: PASS: nothing unapproved breaks\n")
    assert "12 asset(s): 12 unchanged" in out


@pytest.mark.dbt
def test_text_names_the_changes_and_the_next_step(scenario, capsys):
    code, out, _ = check(scenario, capsys, "export")
    assert code == 1
    assert out.splitlines()[0] == ("tessera check: FAIL: 3 asset(s) block this change: "
                                   "dim_customers, fct_orders, hostile_names")
    assert "✗ COLUMN_REMOVED at `signed_up_at`" in out
    assert "acknowledgments: data_platform (waiting), finance (waiting)" in out
    assert "\n    dbt run-operation tessera.propose --args '{model: dim_customers}' " \
           "--target prod\n" in out


_ROW = re.compile(r"^\|.*\|$")


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


@pytest.mark.dbt
def test_markdown_is_a_pr_comment_with_a_table_per_asset(scenario, capsys):
    code, out, _ = check(scenario, capsys, "warehouse", "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("### ❌ tessera check: FAIL: 3 asset(s) block this change")
    tables, current = [], None
    for line in lines:
        if _ROW.match(line):
            if current is None:
                current = []
                tables.append(current)
            current.append(line)
        else:
            current = None
    for table in tables:  # GitHub-flavoured tables: header, delimiter, same width rows
        width = len(_cells(table[0]))
        assert re.fullmatch(r"\|(---\|)+", table[1]) and len(_cells(table[1])) == width
        assert all(len(_cells(row)) == width for row in table[2:]), table
    summary = tables[0]
    assert _cells(summary[0]) == [" asset ", " status ", " bump ", " version ",
                                  " affected consumers "]
    assert len(summary) == 2 + 6, "every asset but the unchanged ones"
    headings = [line for line in lines if line.startswith("#### ")]
    assert len(headings) == 5  # changed, breaking or removed; `new` has nothing to show
    assert "dbt run-operation tessera.propose --args '{model: dim_customers}' --target prod" \
        in lines
    command = lines.index(
        "dbt run-operation tessera.propose --args '{model: dim_customers}' --target prod")
    assert lines[command - 1] == "```sh" and lines[command + 1] == "```"
    assert lines[command - 3].startswith("**Next step:** propose the change")
    ack_table = next(t for t in tables if _cells(t[0]) == [" team ", " answer "])
    assert [" finance ", " waiting "] in [_cells(r) for r in ack_table[2:]]


_COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


@pytest.mark.dbt
def test_github_annotations_point_at_the_yaml_line(scenario, capsys):
    code, out, _ = check(scenario, capsys, "export", "--format", "github")
    assert code == 1
    commands = {}
    served_notes: list[str] = []
    lines = out.splitlines()
    for line in lines[:-1]:
        match = _COMMAND.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        assert "\n" not in match["msg"] and "\r" not in match["msg"]
        assert not re.search(r"%(?!25|0A|0D)", match["msg"]), "escaped as GitHub reads it"
        if props["title"] == "tessera%3A served schema":  # the YAML-only note, one line
            served_notes.append(match["msg"])
            continue
        name = re.match(r"tessera%3A (\S+) is", props["title"]).group(1)
        commands[name] = (match["level"], props, match["msg"])
    assert lines[-1].startswith("tessera check: FAIL")
    # no catalog.json after `dbt parse`: the un-enforced assets were judged on their YAML
    assert len(served_notes) == 1 and "judged on their YAML only" in served_notes[0]
    assert {n: c[0] for n, c in commands.items()} == {
        "fct_orders": "error", "dim_customers": "error", "hostile_names": "error",
        "dim_products": "notice", "stg_products": "notice", "marketing_customer_ltv": "notice"}
    level, props, msg = commands["dim_customers"]
    yml = scenario.ci.path / "models/commerce/dim_customers.yml"
    assert props["file"] == "models/commerce/dim_customers.yml"
    assert yml.read_text().splitlines()[int(props["line"]) - 1] == "  - name: dim_customers"
    assert msg.endswith("%0Adbt run-operation tessera.propose --args '{model: dim_customers}' "
                        "--target prod")
    assert "file" not in commands["hostile_names"][1], "a deleted model has no file"
    line = int(commands["fct_orders"][1]["line"])
    fct = (scenario.ci.path / "models/commerce/fct_orders.yml").read_text().splitlines()
    assert fct[line - 1] == "  - name: fct_orders"


@pytest.mark.dbt
def test_junit_has_a_testcase_per_asset_and_a_failure_per_blocking_one(scenario, capsys):
    import xml.etree.ElementTree as ET

    code, out, _ = check(scenario, capsys, "export", "--format", "junit")
    assert code == 1
    suite = ET.fromstring(out.encode("utf-8")).find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(EXPECTED) <= set(cases) and int(suite.get("tests")) == len(cases)
    failed = {n for n, c in cases.items() if c.find("failure") is not None}
    assert failed == {"fct_orders", "dim_customers", "hostile_names"}
    assert suite.get("failures") == "3"
    failure = cases["dim_customers"].find("failure")
    assert "COLUMN_REMOVED" in failure.get("message") and "signed_up_at" in failure.text
    assert cases["dim_customers"].get("file") == "models/commerce/dim_customers.yml"
    assert cases["stg_orders"].get("classname") == "tessera.unchanged"


@pytest.mark.dbt
def test_state_target_and_publish_targets(scenario, capsys):
    ci = scenario.ci
    # a developer's build on their own target publishes nothing to any state
    before = ci.query("select count(*) from prod_tessera.tessera_events")
    ci.run("build", "--select", "+stg_orders", "--indirect-selection", "cautious")
    assert ci.query("select count(*) from prod_tessera.tessera_events") == before
    assert ci.query("select count(*) from main_tessera.tessera_events "
                    "where event_type = 'contract_published'") == [(0,)]
    # checking against a target that never publishes is a configuration error
    code, _, err = check(scenario, capsys, "warehouse", "--target", "duckdb")
    assert code == 2
    assert "target 'duckdb' never publishes (vars.tessera.publish_targets: prod)" in err


def _export_files(scenario) -> dict[str, object]:
    root = scenario.export
    return {str(p.relative_to(root)): json.loads(p.read_text())
            for p in root.rglob("*.json")}


@pytest.mark.dbt
def test_export_format(scenario):
    files = _export_files(scenario)
    index = files[INDEX]
    assert index["format"] == "tessera-export" and index["format_version"] == 1
    assert index["target"] == "prod" and index["assets"] == 12 and index["proposals"] == 2
    histories = [v for k, v in files.items() if k.startswith("contracts/")]
    assert len(histories) == 12
    assert all(h["versions"][-1]["version"] == "1.0.0" for h in histories)
    assert "contracts/warehouse.prod.fct_orders.json" in files
    assert _file_name('db.sch."Ordres Zoë"') == "db.sch._ordres_zo__-7ad4a22c.json", \
        "an asset name that is no safe file name is made one, with a hash against clashes"
    proposals = files["proposals.json"]
    assert {p["status"] for p in proposals["proposals"]} == {"pending", "approved"}
    assert proposals["registrations"] == {"warehouse.prod.hostile_names": {"ml": None}}


@pytest.mark.dbt
@pytest.mark.parametrize("args,expected", [
    (["--manifest", "nope/manifest.json", "--baseline", "{export}"],
     "nope/manifest.json: no such file"),
    (["--baseline", "{corrupt}"], "--baseline {corrupt}: not valid JSON"),
    (["--baseline", "{tmp}"], "a directory without tessera_export.json"),
    (["--baseline", "{broken_export}"], "so not a tessera export file"),
    (["--baseline", "{export}", "--state-from-warehouse"], "not allowed with argument"),
    ([], "one of the arguments --baseline --state-from-warehouse is required"),
    (["--baseline", "{export}", "--target", "prod"], "--baseline PATH has none"),
    (["--state-from-warehouse", "--target", "prod", "--profiles-dir", "{tmp}"],
     "reading the published state through dbt (target prod) failed"),
])
def test_bad_input_is_one_line_and_exit_2(scenario, capsys, tmp_path, args, expected):
    (tmp_path / "corrupt.json").write_text("{not json")
    broken = tmp_path / "broken_export"
    shutil.copytree(scenario.export, broken)
    next((broken / "contracts").glob("*.json")).write_text("[")
    values = {"export": str(scenario.export), "corrupt": str(tmp_path / "corrupt.json"),
              "tmp": str(tmp_path), "broken_export": str(broken)}
    args = [a.format(**values) for a in args]
    if "--manifest" not in args:
        args = ["--manifest", str(scenario.ci.manifest), *args]
    code, out, err = _tessera(scenario.ci, capsys, "check", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected.format(**values) in err, err


@pytest.mark.dbt
@pytest.mark.postgres
def test_state_from_warehouse_on_postgres(tmp_path, capsys):
    project = copy_project(tmp_path, "postgres", deps=True)
    project.run("build", "--select", "+fct_orders", "tessera", "--indirect-selection",
                "cautious")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    project.run("parse")
    code, out, err = _tessera(project, capsys, "check", "--manifest", str(project.manifest),
                              "--state-from-warehouse", "--target", "postgres",
                              "--profiles-dir", str(project.path), "--format", "json")
    assert code == 1, err
    assets = _by_name(json.loads(out))
    assert assets["fct_orders"]["status"] == "breaking-unproposed"
    assert assets["fct_orders"]["published_version"] == "1.0.0"
    assert assets["stg_orders"]["status"] == "unchanged"
