"""`tessera diff` between two published versions of an asset (through dbt, or from an
export), on the files `tessera export` writes, and `--exit-code`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import clone_built, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import BUILD, _proposal_id, op


@pytest.fixture
def published(request, tmp_path):
    tmp = tmp_path
    project = clone_built(request, tmp, "duckdb")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    return project, tmp


@pytest.mark.dbt
def test_diff_of_published_versions(published, capsys, cli):
    project, tmp = published
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(project, capsys, "force_publish", f"{{proposal_id: {pid}, reason: test}}")
    project.run(*BUILD)
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    export = tmp / "export"
    with environment(project.env):
        text = cli("diff", "--asset", "fct_orders", "--from", "1.0.0", "--to", "2.0.0",
                   *where).out
        assert "fct_orders: 1.0.0 → 2.0.0" in text and "COLUMN_REMOVED" in text
        # already shipped: how it was approved, and nothing left to do
        assert "must acknowledge" not in text and "next step" not in text, text
        assert f"2.0.0 was force-published through proposal {pid} by " in text
        breaking = cli("diff", "--asset", "fct_orders", "--exit-code", *where, expect=1)
        assert "COLUMN_REMOVED" in breaking.out, "default: the newest against the one before"
        cli("export", "--out", export, *where)
        missing = cli("diff", "--asset", "fct_orders", "--from", "1.0.1", *where, expect=2)
    assert "no such version (did you mean '1.0.0'?)" in missing.err
    assert len(missing.err.strip().splitlines()) == 1

    from_export = json.loads(cli("diff", "--asset", "fct_orders", "--baseline", export,
                                 "--format", "json").out)
    assert from_export["breaking"] and from_export["from"] == "1.0.0"
    assert from_export["to"] == "2.0.0"
    assert [c["rule"] for c in from_export["changes"] if c["breaking"]] == ["COLUMN_REMOVED"]

    # the files `tessera export` writes are read by `tessera diff OLD NEW`
    history = next((export / "contracts").glob("*fct_orders*.json"))
    files = json.loads(cli("diff", history, history, "--from", "1.0.0", "--format",
                           "json").out)
    assert files["breaking"] and files["suggested_bump"] == "major"
    same = cli("diff", history, history, "--exit-code")
    assert same.code == 0, "the newest version against itself is no change"
    assert cli("diff", history, history, "--from", "1.0.0", "--exit-code", expect=1).code == 1
    unknown = cli("diff", "--asset", "fct_ordrs", "--baseline", export, expect=2)
    assert "did you mean 'fct_orders'?" in unknown.err
