"""A value holding quotes, backslashes, control characters and SQL round-trips verbatim
through the event log on every adapter CI runs (DuckDB, PostgreSQL, and PostgreSQL with
standard_conforming_strings off, where a backslash escapes in a plain string; Spark has its
own in tests/engines/test_spark.py): it is stored as given and nothing it says is executed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import copy_project, environment

HOSTILE = ("it's \\' a test\\\\; x', null, null); drop table {events}; --\n"
           "second line\tafter a tab \x01 \u00e9\u4e2d \"quoted\" `tick` $$dollar$$")
TARGETS = ["duckdb",
           pytest.param("postgres", marks=pytest.mark.postgres),
           pytest.param("postgres-scs-off", marks=pytest.mark.postgres)]

pytestmark = pytest.mark.dbt


@pytest.mark.parametrize("target", TARGETS)
def test_a_hostile_purpose_round_trips_and_runs_nothing(tmp_path, target):
    project = copy_project(tmp_path, target.removesuffix("-scs-off"), deps=True)
    # libpq reads PGOPTIONS when dbt connects: the session reads '\' as an escape
    extra = {"PGOPTIONS": "-c standard_conforming_strings=off"} \
        if target.endswith("scs-off") else {}
    events = f"{project.state_schema}.tessera_events"
    value = HOSTILE.format(events=events)
    with environment(extra):
        project.run("run-operation", "tessera.register", "--args", json.dumps(
            {"model": "fct_orders", "team": "finance", "purpose": value}))
        if extra:  # libpq (dbt-postgres' driver) really opens such sessions here
            import psycopg2

            from tests.conftest import postgres_env

            pg = postgres_env()
            with psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                                  user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                                  dbname=pg["TESSERA_PG_DBNAME"]) as con, con.cursor() as cur:
                cur.execute("show standard_conforming_strings")
                assert cur.fetchone() == ("off",)
    rows = project.query("select reason from {state}.tessera_events "
                         "where event_type = 'consumer_registered'")
    assert rows == [(value,)], "stored verbatim, one row, the table still there"


def test_cli_arguments_pass_any_unicode_through(tmp_path, cli):
    """An emoji in a CLI argument reaches the warehouse as given (the `--args` handed to
    dbt is JSON with the characters themselves, which dbt's YAML reader takes)."""
    project = copy_project(tmp_path, "duckdb", deps=True)
    purpose = "reporting 💥 ✓ é中 \U0001f600"
    with environment(project.env):
        cli("register", "--model", "fct_orders", "--team", "finance", "--purpose", purpose,
            "--project-dir", project.path, "--profiles-dir", project.path, "--target",
            "duckdb")
    assert project.query("select reason from {state}.tessera_events "
                         "where event_type = 'consumer_registered'") == [(purpose,)]


def test_names_with_control_characters_are_escaped_in_every_line():
    """What a macro logs or raises is one line: a column named with a newline or a
    terminal escape is printed escaped (runtime.bridge, engine.errors.printable)."""
    from tessera_dbt.runtime.bridge import _printable

    out = _printable({"messages": ["tessera: WARNING: COLUMN_REMOVED at `a\nb`"],
                      "error": "tessera: the gate stopped \x1b[2Jthis run",
                      "lines": ["x\ry"], "published": ["keep\nas data"]})
    assert out["messages"] == ["tessera: WARNING: COLUMN_REMOVED at `a\\nb`"]
    assert out["error"] == "tessera: the gate stopped \\x1b[2Jthis run"
    assert out["lines"] == ["x\\ry"]
    assert out["published"] == ["keep\nas data"], "data handed back to macros is not text"
