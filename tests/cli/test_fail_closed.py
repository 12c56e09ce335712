"""The CI gate fails closed: a damaged baseline or a hostile manifest is exit 2 with one
short line, never a pass (exit 0), a traceback, a hang or the rejected value echoed back."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.runtime.operation_args import check_args
from tessera_dbt.state.export import PublishedState, write_export
from tests.conftest import corpus_path

JAFFLE = "generated/jaffle_shop_duckdb_dbt1.11/manifest_failing.json"
MAX_LINE = 700  # the message (400) plus its hint and prefix


@pytest.fixture
def manifest_path():
    return corpus_path(JAFFLE)


@pytest.fixture
def export(manifest_path, tmp_path):
    """Production's published state as `tessera export` writes it: every contract of the
    real manifest, published as 1.0.0."""
    documents = extract_contracts(load_manifest(str(manifest_path)))
    assert len(documents) >= 2
    out = tmp_path / "prod_state"
    write_export(str(out), PublishedState(
        {d["asset"]: [{**d, "version": "1.0.0"}] for d in documents}, {}, {}, "jaffle_shop",
        "prod", "2026-01-01T00:00:00"))
    return out


def _one_short_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < MAX_LINE, result.err[:2000]
    assert "Traceback" not in result.err
    return lines[0]


def test_the_intact_export_passes(cli, export, manifest_path):
    result = cli("check", "--manifest", manifest_path, "--baseline", export, expect=None)
    assert result.code == 0, result.err


@pytest.mark.parametrize("damage", ["missing", "a file", "one asset lost"])
def test_a_damaged_export_is_exit_2(cli, export, manifest_path, damage):
    folder = export / "contracts"
    if damage == "missing":
        shutil.rmtree(folder)
    elif damage == "a file":
        shutil.rmtree(folder)
        folder.write_text("{}")
    else:
        next(iter(sorted(folder.glob("*.json")))).unlink()
    result = cli("check", "--manifest", manifest_path, "--baseline", export, expect=2)
    assert "contracts" in _one_short_line(result)


def test_an_export_whose_index_was_edited_is_exit_2(cli, export, manifest_path):
    index = json.loads((export / "tessera_export.json").read_text())
    index.pop("contracts")  # an older export: the count still guards it
    index["assets"] += 1
    (export / "tessera_export.json").write_text(json.dumps(index))
    result = cli("check", "--manifest", manifest_path, "--baseline", export, expect=2)
    assert "the index says" in _one_short_line(result)


def _hostile(tmp_path, manifest_path, edit) -> str:
    doc = json.loads(manifest_path.read_text())
    edit(doc)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _first_model(doc):
    return next(n for n in doc["nodes"].values() if n["resource_type"] == "model")


@pytest.mark.parametrize("case,edit,says", [
    ("node not a mapping", lambda d: d["nodes"].update({"model.x.y": 7}), "is a int"),
    ("columns a list", lambda d: _first_model(d).update(columns=[1]), ".columns is a list"),
    ("a column a string", lambda d: _first_model(d)["columns"].update(id="x"), "is a str"),
    ("constraints a mapping", lambda d: _first_model(d).update(constraints={}),
     ".constraints is a dict"),
    ("meta a string", lambda d: _first_model(d).update(meta="x"), ".meta is a str"),
    ("config.meta a list", lambda d: _first_model(d)["config"].update(meta=[]),
     ".config.meta is a list"),
])
def test_a_hostile_manifest_is_one_line_and_exit_2(cli, tmp_path, manifest_path, export, case,
                                                   edit, says):
    path = _hostile(tmp_path, manifest_path, edit)
    result = cli("check", "--manifest", path, "--baseline", export, expect=2)
    assert says in _one_short_line(result)


def test_json_nested_100k_deep_is_one_line(cli, tmp_path, export):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = cli("check", "--manifest", path, "--baseline", export, expect=2)
    assert "nested too deeply" in _one_short_line(result)


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_device_or_fifo_is_refused_without_reading_it(cli, tmp_path, export, kind):
    path = "/dev/zero" if kind == "device" else str(tmp_path / "fifo")
    if kind == "fifo":
        os.mkfifo(path)
    result = cli("check", "--manifest", path, "--baseline", export, expect=2)
    assert "not a regular file" in _one_short_line(result)


def test_a_huge_rejected_value_is_not_echoed(cli, tmp_path, manifest_path, export):
    huge = "x" * 15_000_000

    def edit(doc):
        model = next(n for n in doc["nodes"].values()
                     if (n.get("config") or {}).get("contract", {}).get("enforced"))
        model["config"].setdefault("meta", {})["tessera"] = {"compatibility": huge}

    path = _hostile(tmp_path, manifest_path, edit)
    result = cli("check", "--manifest", path, "--baseline", export, expect=2)
    line = _one_short_line(result)
    assert "compatibility" in line and "more characters" in line


def test_a_nul_byte_in_args_is_refused_not_stripped():
    with pytest.raises(ConfigError, match="NUL byte"):
        check_args("propose", {"model": "fct_orders\x00; drop table x"})
    assert check_args("propose", {"model": "fct_orders"}) == {"model": "fct_orders"}


def test_args_that_are_not_a_mapping_are_one_short_line():
    from tessera_dbt.runtime.operation_args import raw_args

    with pytest.raises(ConfigError, match=r"tessera.propose: --args must be a mapping, got "
                                          r"\[0, 0, 0"):
        raw_args("propose", {"args": [0] * 1_000_000})
    with pytest.raises(ConfigError) as refused:
        raw_args("report", {"args": "x" * 1_000_000})
    assert len(refused.value.one_line()) < 200
    assert raw_args("status", {}) == {} and raw_args("status", {"args": {"a": 1}}) == {"a": 1}


def _contract_file(export):
    return next((export / "contracts").glob("*.json"))


@pytest.mark.parametrize("case", ["nested 200k deep", "a version of 5,000 digits",
                                  "a number of 5,000 digits", "a symlink to /dev/zero",
                                  "a FIFO"])
def test_a_hostile_baseline_file_is_one_line_and_exit_2(cli, export, manifest_path, case):
    """Each file of a baseline is read as a hostile input (issue 26): deep nesting, huge
    numbers, device files and FIFOs (and symlinks to them) are refused, unread where they
    are not regular files."""
    target = _contract_file(export)
    body = json.loads(target.read_text())
    if case == "nested 200k deep":
        target.write_text("[" * 200_000 + "]" * 200_000)
    elif case == "a version of 5,000 digits":
        body["versions"][-1]["version"] = "1.0." + "9" * 5000
        target.write_text(json.dumps(body))
    elif case == "a number of 5,000 digits":
        target.write_text(json.dumps(body)[:-1] + ', "n": ' + "9" * 5000 + "}")
    elif case == "a symlink to /dev/zero":
        target.unlink()
        target.symlink_to("/dev/zero")
    else:
        target.unlink()
        os.mkfifo(target)
    result = cli("check", "--manifest", manifest_path, "--baseline", export, expect=2)
    line = _one_short_line(result)
    assert target.name in line or "version" in line, line
