"""`tessera diff` as users script it: the JSON keys of interfaces.md, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

OLD = {
    "asset": "analytics.core.fct_orders", "version": "1.2.0", "compatibility": "backward",
    "owner": "commerce", "dialect": "postgres",
    "schema": {"type": "object", "properties": {
        "order_id": {"type": "integer", "x-data-type": "bigint"},
        "status": {"type": ["string", "null"], "x-data-type": "varchar(20)"},
        "note": {"type": ["string", "null"], "x-data-type": "text"}},
        "required": ["order_id"]},
    "guarantees": {"nullability": {"order_id": "never"},
                   "accepted_values": {"status": ["placed", "shipped"]},
                   "custom": [{"type": "unique", "column": "order_id"}]},
    "consumers": [{"team": "finance", "source": "declared"}],
    "x-tests": {"accepted_values.status": ["test.shop.av_status"]},
}


def _write(tmp_path, name, doc, as_yaml=False):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc) if as_yaml else json.dumps(doc))
    return path


def _edited(**changes):
    doc = json.loads(json.dumps(OLD))
    for key, value in changes.items():
        doc[key] = value
    return doc


def test_json_output_has_the_promised_keys(tmp_path, cli):
    new = _edited()
    del new["schema"]["properties"]["note"]
    new["schema"]["properties"]["order_id"]["x-data-type"] = "int8"
    old_path = _write(tmp_path, "old.yml", OLD, as_yaml=True)
    new_path = _write(tmp_path, "new.json", new)
    payload = json.loads(cli("diff", old_path, new_path, "--format", "json").out)
    assert payload["breaking"] is True and payload["mode"] == "backward"
    assert payload["suggested_bump"] == "major"
    changes = {(c["rule"], c["path"], c["breaking"]) for c in payload["changes"]}
    assert changes == {("COLUMN_REMOVED", "note", True), ("TYPE_SYNONYM", "order_id", False)}
    for change in payload["changes"]:
        assert {"rule", "path", "breaking", "message", "old", "new", "breaks_under",
                "fix"} <= set(change)
        assert change["message"]


def test_mode_flag_overrides_the_stored_mode_and_exit_is_0(tmp_path, cli):
    new = _edited()
    del new["schema"]["properties"]["note"]
    old_path, new_path = _write(tmp_path, "a.json", OLD), _write(tmp_path, "b.json", new)
    payload = json.loads(cli("diff", old_path, new_path, "--mode", "forward",
                             "--format", "json").out)
    assert payload == {**payload, "breaking": False, "mode": "forward", "suggested_bump": "minor"}
    none = json.loads(cli("diff", old_path, new_path, "--mode", "none", "--format", "json").out)
    assert none["breaking"] is False and none["suggested_bump"] == "major"


def test_identical_documents(tmp_path, cli):
    path = _write(tmp_path, "a.json", OLD)
    payload = json.loads(cli("diff", path, path, "--format", "json").out)
    assert payload["changes"] == [] and payload["suggested_bump"] == "none"
    assert "no change" in cli("diff", path, path).out


def test_run_results_verify_a_tightening(tmp_path, cli):
    new = _edited()
    new["guarantees"] = {**OLD["guarantees"], "accepted_values": {"status": ["placed"]}}
    old_path, new_path = _write(tmp_path, "a.json", OLD), _write(tmp_path, "b.json", new)
    unverified = json.loads(cli("diff", old_path, new_path, "--format", "json").out)
    assert unverified["breaking"] is True
    results = {"metadata": {"dbt_schema_version":
                            "https://schemas.getdbt.com/dbt/run-results/v6.json"},
               "results": [{"unique_id": "test.shop.av_status", "status": "pass"}]}
    rr = _write(tmp_path, "run_results.json", results)
    verified = json.loads(cli("diff", old_path, new_path, "--run-results", rr,
                              "--format", "json").out)
    assert verified["breaking"] is False and verified["suggested_bump"] == "minor"
    assert "passed" in verified["changes"][0]["note"]


def test_text_output_reads_like_a_review(tmp_path, cli):
    new = _edited()
    del new["schema"]["properties"]["note"]
    out = cli("diff", _write(tmp_path, "a.json", OLD), _write(tmp_path, "b.json", new)).out
    assert "BREAKING under backward" in out and "COLUMN_REMOVED at `note`" in out
    assert "why it breaks:" in out and "how to ship it:" in out
    assert "who is hit: finance" in out and "tessera.propose" in out


@pytest.mark.parametrize("content,expected", [
    ("", "the file is empty"),
    ("{not json", "not valid JSON"),
    ("a: [1, 2", "not valid YAML"),
    ("- 1\n- 2\n", "not a contract document"),
    ('{"asset": "x"}', "not a contract document: <root>: 'schema' is a required property"),
    ('{"asset": "x", "schema": {"type": "object", "properties": {}}, "compatibility": "sideways"}',
     "not a contract document: compatibility"),
])
def test_bad_documents_are_one_line_exit_2(tmp_path, cli, content, expected):
    bad = tmp_path / "bad.yml"
    bad.write_text(content)
    good = _write(tmp_path, "good.json", OLD)
    result = cli("diff", good, bad, expect=2)
    assert len(result.err.strip().splitlines()) == 1 and expected in result.err, result.err
    assert result.out == ""


def test_bad_mode_and_usage_are_exit_2(tmp_path, cli):
    good = _write(tmp_path, "good.json", OLD)
    result = cli("diff", good, good, "--mode", "sideways", expect=2)
    assert "unknown compatibility mode 'sideways'" in result.err
    assert "Traceback" not in cli("diff", good, expect=2).err
    assert "no such file" in cli("diff", good, tmp_path / "missing.yml", expect=2).err


def test_console_script_runs(tmp_path):
    """The installed `tessera` entry point, as CI scripts call it."""
    path = _write(tmp_path, "a.json", OLD)
    exe = ROOT / ".venv" / "bin" / "tessera"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tessera_dbt.cli"]
    done = subprocess.run([*command, "diff", str(path), str(path), "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["suggested_bump"] == "none"
