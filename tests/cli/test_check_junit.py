"""`tessera check --format junit`: valid JUnit XML, one testcase per asset judged, a failure
per blocking asset naming its rule ids, whatever the names hold (the verdicts are the
engine's, on real documents; `tests/cli/test_check.py` renders a real dbt pull request)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tessera_dbt.cli.baseline import Baseline
from tessera_dbt.cli.check import CheckRun
from tessera_dbt.cli.check_junit import junit
from tessera_dbt.engine.asset_errors import AssetError
from tessera_dbt.engine.verdicts import compare
from tessera_dbt.state.export import PublishedState

HOSTILE = "x<]]>&\"'\x1b\x00é"  # markup, a CDATA end, quotes, control characters


def _doc(name, columns):
    return {"asset": f"db.s.{name}", "version": "1.0.0", "compatibility": "backward",
            "owner": "o", "x-dbt": {"name": name, "unique_id": f"model.p.{name}"},
            "schema": {"type": "object", "properties": {
                c: {"type": ["string", "null"], "x-data-type": "varchar"} for c in columns}}}


def _run():
    def reach(head, changes):
        return ({"team": f"team {HOSTILE}", "source": "declared"},)

    checks = []
    for name, before, after in [
        (f"drops_{HOSTILE}", ["id", f"col {HOSTILE}"], ["id"]),    # breaking, unproposed
        ("adds", ["id"], ["id", "extra"]),                          # compatible
        ("same", ["id"], ["id"]),                                   # unchanged
    ]:
        published = _doc(name, before)
        current = {k: v for k, v in _doc(name, after).items() if k != "version"}
        checks.append(compare(current, published["asset"], [published], [], reach))
    errors = [AssetError(f"db.s.bad_{HOSTILE}", "model.p.bad", f"broken {HOSTILE}")]
    baseline = Baseline("export", f"dir {HOSTILE}", PublishedState({}))
    return CheckRun(checks, baseline, None, errors=errors)


def test_junit_is_valid_xml_with_one_testcase_per_asset():
    run = _run()
    assert [c.status for c in run.checks] == ["breaking-unproposed", "compatible",
                                              "unchanged"]
    out = junit(run)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert len(cases) == 4
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1
    failure = failed[0].find("failure")
    assert failed[0].get("name") == "drops_x<]]>&\"'\\x1b\\x00é", "escaped, never dropped"
    assert "COLUMN_REMOVED" in failure.get("message")
    assert failure.get("type") == "breaking-unproposed"
    assert "✗ COLUMN_REMOVED at `col x<]]>&" in failure.text
    assert "team x<]]>&" in failure.text and "tessera.propose" in failure.text
    errored = [c for c in cases if c.find("error") is not None]
    assert len(errored) == 1 and "broken x<]]>&" in errored[0].find("error").get("message")
    passed = {c.get("name"): c.get("classname") for c in cases
              if c.find("failure") is None and c.find("error") is None}
    assert passed == {"adds": "tessera.compatible", "same": "tessera.unchanged"}


def test_junit_of_a_passing_check_has_no_failure():
    run = _run()
    run = CheckRun(run.checks[1:], run.baseline, None)
    root = ET.fromstring(junit(run))
    assert root.get("failures") == "0" and root.get("tests") == "2"
    assert root.find(".//failure") is None
