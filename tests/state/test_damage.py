"""A damaged state is refused, not papered over: a state table that lost a column, became
a view, was truncated or dropped stops the next `dbt build` with one line naming the
damage and how to restore it, and nothing is written (DuckDB and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import clone_built

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
pytestmark = pytest.mark.dbt

DAMAGES = [
    ("drop_event_id", "alter table {t} drop column event_id{cascade}",
     "lost its column(s) event_id"),
    ("drop_payload", "alter table {t} drop column payload{cascade}", "lost its column(s) payload"),
    ("view", "alter table {t} rename to tessera_events_moved; "
             "create view {t} as select * from {s}.tessera_events_moved",
     "is a view, not a table"),
    ("retype_recorded_at", "drop view if exists {s}.stg_tessera__events{cascade}; "
                           "alter table {t} alter column recorded_at type varchar",
     "column recorded_at is"),
    ("truncate", "delete from {t}", "lost its history"),
    ("drop", "drop table {t}{cascade}", "tessera_events\" is missing while"),
]


@pytest.fixture(scope="module", params=TARGETS)
def built(request, tmp_path_factory):
    return clone_built(request, tmp_path_factory.mktemp(f"damage_{request.param}"),
                       request.param)


def _counts(project):
    audit = project.query("select count(*) from {state}.tessera_audit_log")[0][0]
    return audit


@pytest.mark.parametrize("name,damage,expected", DAMAGES, ids=[d[0] for d in DAMAGES])
def test_damage_stops_the_build_and_writes_nothing(built, capsys, name, damage, expected):
    s = built.state_schema
    t = f"{s}.tessera_events"
    _exec(built, f"create table {s}.events_backup as select * from {t}")
    try:
        cascade = " cascade" if built.target == "postgres" else ""
        for statement in damage.format(t=t, s=s, cascade=cascade).split("; "):
            _exec(built, statement)
        audit = _counts(built)
        result = built.run("build", expect_success=False)
        assert not result.success
        text = str(result.exception) + str(result.result)
        assert "tessera: the state is damaged" in text and expected in text, text[-1500:]
        assert "restore it from a backup" in text
        assert _counts(built) == audit, "nothing was written"
        # a run of one asset under contract: the gate never judges a damaged state, and
        # nothing is built
        one = built.run("build", "--select", "fct_orders", expect_success=False)
        text = str(one.exception) + str(one.result)
        assert not one.success and "tessera: the state is damaged" in text, text[-1500:]
        assert not getattr(one.result, "results", None), "no node ran"
        if name in ("drop_event_id", "drop_payload"):  # not re-added by the build
            columns = [c[0] for c in built.query(
                "select column_name from information_schema.columns where "
                f"table_schema = '{s}' and table_name = 'tessera_events'")]
            assert name.split("_", 1)[1] not in columns
        # an operation refuses too
        capsys.readouterr()
        op = built.run("run-operation", "tessera.status", expect_success=False)
        out = capsys.readouterr().out
        assert not op.success and "the state is damaged" in out and expected in out, out
        # and so does ingesting audit rows from files
        ingest = built.run("run-operation", "tessera.audit_ingest", "--args",
                           f"{{run_results: [{built.path / 'target' / 'run_results.json'}]}}",
                           expect_success=False)
        out = capsys.readouterr().out
        assert not ingest.success and "the state is damaged" in out, out
        assert _counts(built) == audit, "nothing was ingested"
    finally:
        restore_events(lambda statement: _exec(built, statement), s,
                       cascade=" cascade" if built.target == "postgres" else "")
    assert built.run("build").success  # restored: the next build runs


def restore_events(execute, s, using="", cascade=""):
    """Put the events table back from `events_backup`, whichever damage was done (the
    views on it go too, with `cascade`: the next build re-creates them)."""
    t = f"{s}.tessera_events"
    for statement in (f"drop view if exists {t}{cascade}", f"drop table if exists {t}{cascade}",
                      f"drop table if exists {s}.tessera_events_moved",
                      f"create table {t}{using} as select * from {s}.events_backup",
                      f"drop table {s}.events_backup"):
        try:
            execute(statement)
        except Exception:  # `drop view` on a table is refused (PostgreSQL, Spark), and the like
            pass


def _exec(project, statement):
    project.execute(statement)


def test_an_assets_deleted_history_is_found_and_never_republished(built, cli, capsys):
    """Issue 26: deleting one asset's rows from the event log is seen: `tessera verify`
    names the events its invocation recorded and the log lost, and the next build stops in
    one line instead of publishing the asset again as 1.0.0."""
    from tests.conftest import environment

    s = built.state_schema
    t = f"{s}.tessera_events"
    _exec(built, f"create table {s}.events_backup as select * from {t}")
    try:
        _exec(built, f"delete from {t} where asset like '%.fct_orders'")
        with environment(built.env):
            found = cli("verify", "--format", "json", "--project-dir", built.path,
                        "--profiles-dir", built.path, "--target", built.target, expect=1)
        deleted = [f for f in json.loads(found.out[found.out.index("{"):])["findings"]
                   if f["kind"] == "deleted"]
        assert deleted and "missing from the log (deleted?)" in deleted[0]["detail"]
        capsys.readouterr()
        result = built.run("build", "--select", "fct_orders", expect_success=False)
        text = " ".join((str(result.exception) + str(result.result) + " ".join(
            result.messages) + capsys.readouterr().out).split())
        assert "the state is damaged" in text and "lost the history of" in text
        assert "fct_orders" in text and "recorded its publication" in text
        assert built.query(f"select count(*) from {t} where asset like '%.fct_orders' and "
                           "event_type = 'contract_published'") == [(0,)], "nothing published"
    finally:
        restore_events(lambda statement: _exec(built, statement), s,
                       cascade=" cascade" if built.target == "postgres" else "")
    assert built.run("build").success
