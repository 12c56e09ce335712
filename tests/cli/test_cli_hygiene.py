"""The CLI's operation commands leave the user's target/ alone, fail with one plain line
on stderr, document every flag and suggest the model a typo meant."""

from __future__ import annotations

import hashlib
import re

import pytest

from tessera_dbt.cli.parser import build_parser
from tests.conftest import clone_built, environment


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_flag_has_help_text():
    parser = build_parser()
    missing = []
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                missing += [f"tessera {name} {'/'.join(x.option_strings) or x.dest}"
                            for x in sub._actions if not x.help]
    assert not missing, missing


@pytest.mark.dbt
def test_operations_never_touch_target_and_fail_in_one_line(request, tmp_path, cli):
    project = clone_built(request, tmp_path, "duckdb")
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    target = project.path / "target"
    before = {name: _digest(target / name) for name in ("manifest.json", "run_results.json")}
    with environment(project.env):
        status = cli("status", *where)
        assert "fct_orders: 1.0.0" in status.out
        assert status.out.count("fct_orders: 1.0.0") == 1, "printed once"
        cli("propose", "--model", "fct_orders", *where)
        cli("audit", "fct_orders", *where)
        cli("export", "--out", tmp_path / "export", *where)
        bad = cli("propose", "--model", "fct_ordrs", *where, expect=2)
    after = {name: _digest(target / name) for name in before}
    assert after == before, "an operation rewrote the user's target/"
    assert bad.out == ""
    lines = bad.err.strip().splitlines()
    assert len(lines) == 1, bad.err
    assert "\x1b[" not in bad.err and not re.match(r"\d\d:\d\d:\d\d", lines[0])
    assert lines[0].startswith("tessera propose: error: ")
    assert "did you mean 'fct_orders'?" in lines[0], lines[0]
