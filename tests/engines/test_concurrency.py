"""Concurrent writers on PostgreSQL: N real `dbt` processes (each its own log and target
path, one profile and state schema) released together at a barrier, counting rows and
asking every reader (the SQL models, `tessera.status`, the Python fold the hook uses).

The barrier is the test project's own: a macro that waits on an advisory lock the test
holds until every process waits on it, so all of them read the state at the same moment.
The slowed races add a 5 s `pg_sleep` trigger on inserts into the event table (a slow
warehouse), the window in which a second writer used to decide on a stale state.
TESSERA_CONCURRENCY_TRIES (default 2) repeats the propose race.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tessera_dbt.runtime.invocation import utc_now
from tessera_dbt.state.folds import fold_heads, fold_proposals
from tests.conftest import ROOT, copy_project, postgres_env
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]

BARRIER = 4242
TRIES = int(os.environ.get("TESSERA_CONCURRENCY_TRIES", "2"))
DBT = str(Path(sys.executable).parent / "dbt")
RACE_MACROS = """
{% macro tessera_barrier() %}
  {% if execute and env_var("TESSERA_BARRIER", "") %}
    {% do run_query("select pg_advisory_lock_shared(" ~ env_var("TESSERA_BARRIER") ~ ")") %}
    {% do run_query("select pg_advisory_unlock_shared(" ~ env_var("TESSERA_BARRIER") ~ ")") %}
  {% endif %}
  {{ return("") }}
{% endmacro %}

{% macro race(op, args) %}
  {% do tessera_barrier() %}
  {{ return(tessera._operation(op, args)) }}
{% endmacro %}
"""
SLOW = """
create or replace function {state}.tessera_slow() returns trigger language plpgsql as
$$ begin perform pg_sleep(5); return null; end $$;
drop trigger if exists tessera_slow on {state}.tessera_events;
create trigger tessera_slow after insert on {state}.tessera_events
for each statement execute function {state}.tessera_slow();
"""
FAST = "drop trigger if exists tessera_slow on {state}.tessera_events"


def _connect():
    import psycopg2

    pg = postgres_env()
    con = psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                           user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                           dbname=pg["TESSERA_PG_DBNAME"])
    con.autocommit = True
    return con


def _racing(project, extra_env=None):
    """Make `project` a racer: the barrier macros and an on-run-start barrier for builds."""
    (project.path / "macros" / "race.sql").write_text(RACE_MACROS)
    project.edit("dbt_project.yml", "profile: tessera_integration_tests\n",
                 "profile: tessera_integration_tests\n"
                 "on-run-start:\n  - \"{{ tessera_barrier() }}\"\n")
    project.env.update({"TESSERA_BARRIER": str(BARRIER), **(extra_env or {})})


def failures(outs) -> str:
    """What each failed racer said went wrong: its error lines and the three after each
    (where dbt prints the database's message), not only its closing summary."""
    said = []
    for code, out in outs:
        if code:
            lines = out.splitlines()
            wrong = [i for i, line in enumerate(lines) if "error" in line.lower()]
            said.append("\n".join("\n".join(lines[i:i + 4]) for i in wrong[:8]) or out[-2500:])
    return "\n----\n".join(said)


def race(tmp: Path, runs):
    """Start every (project, dbt args) at once behind the barrier; (returncode, output)."""
    con = _connect()
    cur = con.cursor()
    cur.execute(f"select pg_advisory_lock({BARRIER})")
    procs = []
    try:
        for i, (project, args) in enumerate(runs):
            own = tmp / f"run{time.monotonic_ns()}_{i}"
            (own / "target").mkdir(parents=True)
            parsed = project.path / "target" / "partial_parse.msgpack"
            if parsed.exists():  # each process its own target path, parsed once
                shutil.copy(parsed, own / "target" / parsed.name)
            env = {**os.environ, **project.env, "PYTHONPATH": str(ROOT)}
            procs.append(subprocess.Popen(
                [DBT, *args, "--project-dir", str(project.path), "--profiles-dir",
                 str(project.path), "--target", "postgres", "--log-path", str(own / "logs"),
                 "--target-path", str(own / "target")],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        deadline = time.monotonic() + 240
        while True:
            cur.execute("select count(*) from pg_locks where locktype = 'advisory' and "
                        f"objid = {BARRIER} and not granted")
            if cur.fetchone()[0] >= len(procs):
                break
            assert time.monotonic() < deadline, "the racers never reached the barrier"
            assert all(p.poll() is None for p in procs), \
                [p.communicate()[0][-2000:] for p in procs if p.poll() is not None]
            time.sleep(0.2)
    finally:
        cur.execute(f"select pg_advisory_unlock({BARRIER})")
        con.close()
    return [(p.wait(timeout=300), p.communicate()[0]) for p in procs]


def op(name, args):
    return ["run-operation", "race", "--args", f"{{op: {name}, args: {args}}}"]


def _events(project, where="true"):
    return project.query(
        "select event_id, event_type, asset, version, fingerprint, proposal_id, team, status, "
        f"reason, actor, recorded_at, payload from {{state}}.tessera_events where {where}")


def _rows(project, where="true"):
    cols = ("event_id", "event_type", "asset", "version", "fingerprint", "proposal_id", "team",
            "status", "reason", "actor", "recorded_at", "payload")
    return [dict(zip(cols, r, strict=True)) for r in _events(project, where)]


def _pid(text):
    return re.search(r"\b(p_[0-9a-f]{16})\b", text).group(1)


def _status_lines(project, capsys):
    capsys.readouterr()
    project.run("run-operation", "tessera.status", "--args", "{model: fct_orders}")
    return capsys.readouterr().out


def _readers_agree(project, capsys, pid):
    """The proposal's status as the SQL model, the Python fold and tessera.status say it;
    asserts they agree and returns it."""
    [(sql,)] = project.query("select status from {state}.tessera_proposals "
                             f"where proposal_id = '{pid}'")
    folded = fold_proposals(_rows(project, "proposal_id is not null"), utc_now())[pid].status
    text = _status_lines(project, capsys)
    assert f"proposal {pid} → " in text and text.split(f"proposal {pid} → ")[1] \
        .splitlines()[0].endswith(f": {folded}"), text
    assert sql == folded, (sql, folded)
    return folded


def _head(project, like):
    sql = project.query("select version from {state}.tessera_contracts "
                        f"where is_current and asset like '{like}'")
    heads = fold_heads(_rows(project, "event_type in ('contract_published', "
                                      "'contract_retired')"))
    [folded] = [h["version"] for a, h in heads.items() if re.fullmatch(
        like.replace("%", ".*"), a)]
    assert sql == [(folded,)], (sql, folded)
    return folded


@pytest.fixture(scope="module")
def racers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("race")
    started = time.monotonic()
    main = copy_project(tmp / "a", "postgres", deps=True)
    _racing(main)
    main.run("build")
    # a second copy on the same warehouse schema: the other of two racing builds
    other = copy_project(tmp / "b", "postgres", {"TESSERA_PG_SCHEMA":
                                                 main.env["TESSERA_PG_SCHEMA"]}, deps=True)
    _racing(other)
    main.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    main.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    main.run("parse")
    state = {"main": main, "other": other, "tmp": tmp}
    yield state
    print(f"\nconcurrency module: {time.monotonic() - started:.0f}s")


def test_concurrent_proposes_leave_one_open_proposal(racers, capsys):
    main, tmp = racers["main"], racers["tmp"]
    for attempt in range(TRIES):
        outs = race(tmp, [(main, op("propose", f"{{model: fct_orders, reason: r{i}, "
                                                f"version: {i + 2}.0.0}}"))
                          for i in range(8)])
        assert all(code == 0 for code, _ in outs), failures(outs)
        proposed = [o for _, o in outs if "Proposed " in o]
        assert len(proposed) == 1, f"try {attempt}: {len(proposed)} processes proposed"
        pid = _pid(proposed[0])
        assert all(pid in o for _, o in outs), "the losers name the winner"
        [(open_,)] = main.query("select count(*) from {state}.tessera_proposals where "
                                "asset like '%fct_orders' and status in ('pending', 'approved')")
        [(created,)] = main.query("select count(*) from {state}.tessera_events where "
                                  f"event_type = 'proposal_created' and proposal_id = '{pid}'")
        assert (open_, created) == (1, 1), f"try {attempt}"
        assert _readers_agree(main, capsys, pid) == "pending"
        main.run("run-operation", "tessera.withdraw", "--args", f"{{proposal_id: {pid}}}")


def test_concurrent_acknowledgments_settle_once(racers, capsys):
    main, tmp = racers["main"], racers["tmp"]
    capsys.readouterr()
    main.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}")
    text = capsys.readouterr().out
    pid = _pid(text)
    teams = re.search(r"required acknowledgments: (.*)", text).group(1)
    teams = [t.split(" (")[0] for t in teams.split(", ")]
    outs = race(tmp, [(main, op("acknowledge", f"{{proposal_id: {pid}, "
                                               f"team: {teams[i % len(teams)]}, "
                                               "response: approved}"))
                      for i in range(8)])
    assert all(code == 0 for code, _ in outs), failures(outs)
    [(resolved,)] = main.query("select count(*) from {state}.tessera_events where "
                               f"event_type = 'proposal_resolved' and proposal_id = '{pid}'")
    [(acks,)] = main.query("select count(*) from {state}.tessera_events where "
                           f"event_type = 'proposal_acknowledged' and proposal_id = '{pid}'")
    assert (resolved, acks) == (1, len(teams))
    assert _readers_agree(main, capsys, pid) == "approved"
    racers["approved"] = pid


@pytest.fixture
def slow(racers):
    main = racers["main"]
    with _connect() as con:
        con.cursor().execute(SLOW.replace("{state}", main.state_schema))
    yield
    with _connect() as con:
        con.cursor().execute(FAST.replace("{state}", main.state_schema))


def test_withdraw_racing_a_publishing_build(racers, capsys, slow):
    main, tmp, pid = racers["main"], racers["tmp"], racers["approved"]
    (build, built), (_, withdrew) = race(tmp, [
        (main, ["run", "--select", "fct_orders"]),
        (main, op("withdraw", f"{{proposal_id: {pid}}}"))])
    assert build == 0, built[-2000:]
    status = _readers_agree(main, capsys, pid)
    version = _head(main, "%fct_orders")
    if status == "published":  # the build won: the withdrawal was refused
        assert version == "2.0.0" and "is published" in withdrew, withdrew[-1500:]
    else:  # the withdrawal won: the build published nothing
        assert (status, version) == ("withdrawn", "1.0.0") and "Withdrew" in withdrew
        assert "without an approved proposal" in built


def test_approved_racing_blocked_by_one_team(racers, capsys, slow):
    main, tmp = racers["main"], racers["tmp"]
    main.edit("models/commerce/fct_orders.yml", "      - name: item_count\n",
              "      - name: item_count_gone\n")
    main.edit("models/commerce/fct_orders.sql", "as integer) as item_count,",
              "as integer) as item_count_gone,")
    capsys.readouterr()
    main.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}")
    text = capsys.readouterr().out
    pid = _pid(text)
    team = re.search(r"required acknowledgments: (\w+)", text).group(1)
    outs = race(tmp, [(main, op("acknowledge", f"{{proposal_id: {pid}, team: {team}, "
                                               f"response: {answer}}}"))
                      for answer in ("approved", "blocked")])
    accepted = [answer for answer, (code, out) in zip(("approved", "blocked"), outs,
                                                      strict=True) if code == 0]
    assert accepted, [o[-1500:] for _, o in outs]
    status = _readers_agree(main, capsys, pid)
    [(shown,)] = main.query("select response from {state}.tessera_acknowledgments "
                            f"where proposal_id = '{pid}' and team = '{team}'")
    folded = fold_proposals(_rows(main, "proposal_id is not null"), utc_now())[pid]
    assert shown == folded.acks[team]["response"]
    assert status == ("rejected" if "blocked" in accepted else folded.status)
    racers["contested"] = pid


def test_force_racing_withdraw_then_the_hook_agrees(racers, capsys, slow):
    main, tmp, pid = racers["main"], racers["tmp"], racers["contested"]
    race(tmp, [(main, op("force_publish", f"{{proposal_id: {pid}, reason: urgent}}")),
               (main, op("withdraw", f"{{proposal_id: {pid}}}"))])
    status = _readers_agree(main, capsys, pid)
    before = _head(main, "%fct_orders")
    result = main.run("run", "--select", "fct_orders")
    after = _head(main, "%fct_orders")
    published = any("tessera: published" in m and "fct_orders" in m for m in result.messages)
    assert published == (status == "approved") == (after != before), (status, before, after)


def test_two_compatible_builds_publish_one_version_each(racers, capsys, slow):
    """Two builds race, each with its own compatible change of the source raw_orders (its
    description: a source is judged on what its table serves, so a change must be one the
    YAML makes). Under the writer lock the second judges its change against the version the
    first published: 1.0.1 then 1.0.2, never two 1.0.1."""
    main, other, tmp = racers["main"], racers["other"], racers["tmp"]
    for project, job in ((main, "nightly"), (other, "hourly")):
        project.edit("models/staging/_sources.yml",
                     "description: Shop orders as ingested;",
                     f"description: Shop orders as the {job} job ingests them;")
        project.run("parse")
    outs = race(tmp, [(p, ["run", "--select", "tessera_contracts"]) for p in (main, other)])
    assert all(code == 0 for code, _ in outs), failures(outs)
    rows = main.query("select version, fingerprint from {state}.tessera_events where "
                      "event_type = 'contract_published' and asset like '%raw_orders'")
    assert sorted(v for v, _ in rows) == ["1.0.0", "1.0.1", "1.0.2"], rows
    assert _head(main, "%raw_orders") == "1.0.2"
    assert sum("published" in o and "raw_orders 1.0.1" in o for _, o in outs) == 1
    assert sum("published" in o and "raw_orders 1.0.2" in o for _, o in outs) == 1


def test_concurrent_first_builds_keep_every_audit_row(racers):
    """Four builds on a fresh state schema at once: the package's state tables and views
    are created once without a collision, and every build's audit rows are stored."""
    tmp = racers["tmp"]
    for attempt in range(3):
        schema = f"fresh_{os.getpid()}_{attempt}_{time.monotonic_ns() % 10**6}"
        project = copy_project(tmp / f"fresh{attempt}", "postgres",
                               {"TESSERA_PG_SCHEMA": schema}, deps=True)
        _racing(project)
        # the project's models, without tessera: its state schema stays fresh
        with project.settings(enabled=False):
            project.run("build", "--exclude", "package:tessera", "resource_type:test")
        project.run("parse")
        # an empty state schema: dbt's own `create schema if not exists`, run before any
        # hook, is not safe against itself on PostgreSQL (docs/architecture.md)
        _connect().cursor().execute(f"create schema {project.state_schema}")
        outs = race(tmp, [(project, ["build", "--select", "package:tessera",
                                     "resource_type:test"]) for _ in range(4)])
        assert all(code == 0 for code, _ in outs), failures(outs)
        executed = [int(re.search(r"Finished running .*?(\d+) data tests?", o).group(1))
                    for _, o in outs]
        per_run = project.query("select invocation_id, count(*) from {state}.tessera_audit_log "
                                "group by invocation_id")
        assert sorted(n for _, n in per_run) == sorted(executed), (attempt, per_run, executed)
        assert not any("ERROR in on-run-end" in o for _, o in outs)


def test_a_writer_that_waited_for_the_lock_records_after_the_one_it_waited_for(racers):
    """The log is ordered by `recorded_at`: an operation that started while another writer
    held the state's lock records its events at the time it got the lock, never before
    what the holder committed (RecordingStore.exclusive)."""
    main = racers["main"]
    database = main.env.get("TESSERA_PG_DBNAME") or postgres_env()["TESSERA_PG_DBNAME"]
    key = f"tessera:{database}.{main.state_schema}"
    con = _connect()
    cur = con.cursor()
    cur.execute("select pg_advisory_lock(hashtext(%s))", (key,))
    try:
        writer = subprocess.Popen(
            [DBT, "run-operation", "tessera.register", "--args",
             "{model: dim_products, team: data_platform, purpose: waited for the lock}",
             "--project-dir", str(main.path), "--profiles-dir", str(main.path),
             "--target", "postgres"],
            env={**os.environ, **main.env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 240
        while True:  # the writer has started its invocation and waits for the lock
            cur.execute("select count(*) from pg_locks where locktype = 'advisory' and "
                        "not granted and pid <> pg_backend_pid()")
            if cur.fetchone()[0]:
                break
            assert writer.poll() is None, writer.communicate()[0][-2000:]
            assert time.monotonic() < deadline, "the writer never waited for the lock"
            time.sleep(0.2)
        time.sleep(1)
        released = utc_now()
    finally:
        cur.execute("select pg_advisory_unlock(hashtext(%s))", (key,))
        con.close()
    out = writer.communicate(timeout=300)[0]
    assert writer.returncode == 0, out[-2000:]
    [(recorded,)] = main.query("select recorded_at from {state}.tessera_events where "
                               "event_type = 'consumer_registered' and "
                               "reason = 'waited for the lock'")
    assert recorded >= released, (recorded, released)
