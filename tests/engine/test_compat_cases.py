"""The rule cases of tests/cases/compat/<RULE>.yml, written from compatibility.md.

Each case is run under each mode it lists; `-k COLUMN_REMOVED` picks one rule file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tessera_dbt.engine.compat import classify, classify_against_history
from tessera_dbt.engine.decider import removal_report
from tessera_dbt.engine.rules import RULES, RULES_BY_ID
from tessera_dbt.engine.served import served_findings, with_served

CASES_DIR = Path(__file__).parents[1] / "cases" / "compat"


def _load(kind: str = "change"):
    for path in sorted(CASES_DIR.glob("*.yml")):
        spec = yaml.safe_load(path.read_text())
        if spec.get("kind", "change") != kind:
            continue
        for case in spec["cases"]:
            if kind == "finding":
                yield pytest.param(case, id=f"{path.stem}-{case['name']}")
                continue
            for mode, expected in case["expect"].items():
                yield pytest.param(case, mode, expected, id=f"{path.stem}-{case['name']}-{mode}")


CASES = list(_load())
FINDING_CASES = list(_load("finding"))


@pytest.mark.parametrize("case,mode,expected", CASES)
def test_rule_case(case, mode, expected):
    passed = [r["test"] for r in case.get("run_results") or () if r["status"] == "pass"]
    by_run = "run_results" in case
    if case["new"] is None:  # the asset itself is gone (ASSET_REMOVED)
        report = removal_report(case["old"], mode)
    elif case.get("history"):
        report = classify_against_history(case["history"], case["new"], mode, passed, by_run)
    else:
        report = classify(case["old"], case["new"], mode, passed, by_run)
    got = sorted({(c.rule, c.path, c.breaks(mode)) for c in report.changes})
    want = sorted({(c["rule"], c["path"], c["breaking"]) for c in expected.get("changes", ())})
    explanation = "\n".join(f"  {c.rule} {c.path}: {c.message} {c.note}" for c in report.changes)
    if "changes" in expected:
        assert got == want, f"{case.get('why', '')}\n{explanation}"
    assert report.breaking == expected["breaking"], explanation
    assert report.suggested_bump == expected["suggested_bump"], explanation
    if "first_failing_version" in expected:
        assert report.first_failing_version == expected["first_failing_version"]


@pytest.mark.parametrize("case", FINDING_CASES)
def test_finding_case(case):
    """A served-schema finding: the YAML's document and what the relation serves in, the
    findings and the contract's columns (with their types) out (engine.served)."""
    declared = case["declared"]
    doc = declared if case["served"] is None else with_served(
        declared, [tuple(c) for c in case["served"]], case["dialect"])
    expected = case["expect"]
    got = sorted((f.rule, f.path) for f in served_findings(doc))
    assert got == sorted((f["rule"], f["path"]) for f in expected["findings"]), case["why"]
    props = doc["schema"]["properties"]
    assert list(props) == expected["columns"]
    for name, data_type in (expected.get("types") or {}).items():
        assert props[name]["x-data-type"] == data_type
    finding_rules = {r.id for r in RULES if r.finding}
    assert {f.rule for f in served_findings(doc)} <= finding_rules


def test_every_rule_has_a_case_file_and_no_case_names_an_unknown_rule():
    files = {p.stem for p in CASES_DIR.glob("*.yml")}
    ids = {rule.id for rule in RULES}
    assert ids <= files, f"rules without cases: {sorted(ids - files)}"
    known = ids | {alias for rule in RULES for alias in rule.aliases}
    for path in CASES_DIR.glob("*.yml"):
        spec = yaml.safe_load(path.read_text())
        if spec.get("kind") == "finding":
            assert RULES_BY_ID[spec["rule"]].finding, path.name
            continue
        for case in spec["cases"]:
            for expected in case["expect"].values():
                for change in expected.get("changes", ()):
                    assert change["rule"] in known, f"{path.name}:{case['name']}: {change['rule']}"
