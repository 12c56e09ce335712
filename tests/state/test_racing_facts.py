"""Racing writers without a lock, as facts (tests/state/racing_facts.py), on DuckDB: every
reader (SQL models, `tessera.status`, the Python folds) reports one outcome, without Java.
tests/engines/test_spark.py writes the same facts into a Spark state."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import clone_built
from tests.state.racing_facts import (
    assert_one_outcome,
    assert_the_first_writer_wins,
    racing_rows_on,
    write_rows,
)

pytestmark = pytest.mark.dbt


def test_racing_facts_have_one_outcome_on_duckdb(request, tmp_path, capsys):
    project = clone_built(request, tmp_path, "duckdb")
    race, rows = racing_rows_on(project, "%.fct_orders", "1.1.0")

    def execute(statement):
        with duckdb.connect(project.env["TESSERA_DUCKDB_PATH"]) as con:
            con.execute(statement)

    write_rows(project, execute, rows)
    outcome = assert_one_outcome(project, capsys, race)
    assert_the_first_writer_wins(outcome, race, "1.1.0")
