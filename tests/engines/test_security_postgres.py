"""Issue 16 on PostgreSQL with real database users: the GRANTs of docs/security.md applied
(a writer role for the users who run tessera operations, a reader role for BI), the actor
is the session user, membership is the committed one whatever --vars says, force_publish
needs the owner team, and what GRANTs alone prevent (a reader inserting, a writer editing
rows) is refused by the warehouse; what only `tessera verify` finds (a writer's hand-made
insert) is found."""

from __future__ import annotations

import json
import os
import re

import pytest

from tessera_dbt.state.events import stable_id
from tests.conftest import DbtProject, copy_project, environment, postgres_env
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import _proposal_id, op

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]
SUFFIX = f"{os.getpid()}"
ALICE, BOB, READER = f"alice_{SUFFIX}", f"bob_{SUFFIX}", f"bi_{SUFFIX}"
WRITER_ROLE, READER_ROLE = f"tessera_writer_{SUFFIX}", f"tessera_reader_{SUFFIX}"
PASSWORD = "pw-for-tests"


def _connect(user: str | None = None, password: str | None = None):
    import psycopg2

    pg = postgres_env()
    return psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                            user=user or pg["TESSERA_PG_USER"],
                            password=password or pg["TESSERA_PG_PASSWORD"],
                            dbname=pg["TESSERA_PG_DBNAME"])


def _admin(*statements: str) -> None:
    con = _connect()
    con.autocommit = True
    with con.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    con.close()


def grants(schema: str, owner: str) -> list[str]:
    """docs/security.md's PostgreSQL statements, for this test's role names."""
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "security.md")).read()
    block = re.search(r"```sql\n-- PostgreSQL\n(.*?)```", text, re.S).group(1)
    block = (block.replace("tessera_writer", WRITER_ROLE).replace("tessera_reader", READER_ROLE)
             .replace("<state_schema>", schema).replace("<owner>", owner))
    code = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def _as(project: DbtProject, user: str) -> DbtProject:
    return DbtProject(project.path, "postgres", {**project.env, "TESSERA_PG_USER": user,
                                                  "TESSERA_PG_PASSWORD": PASSWORD})


@pytest.fixture
def project(tmp_path):
    project = copy_project(tmp_path, "postgres", deps=True)
    owner = postgres_env()["TESSERA_PG_USER"]
    (project.path / "tessera_teams.yml").write_text(
        f"teams:\n  finance: [{ALICE}]\n  marketing: [{ALICE}]\n  data_platform: [{ALICE}]\n"
        f"  commerce: [{owner}]\n")
    try:
        project.run("build")
        _admin(*grants(project.state_schema, owner),
               f"create role {ALICE} login password '{PASSWORD}' in role {WRITER_ROLE}",
               f"create role {BOB} login password '{PASSWORD}' in role {WRITER_ROLE}",
               f"create role {READER} login password '{PASSWORD}' in role {READER_ROLE}")
        yield project
    finally:
        con = _connect()
        with con, con.cursor() as cur:
            cur.execute("select rolname from pg_roles where rolname = any(%s)",
                        ([ALICE, BOB, READER, WRITER_ROLE, READER_ROLE],))
            roles = [r[0] for r in cur.fetchall()]
        con.close()
        _admin(*(f"drop owned by {r} cascade" for r in roles),
               *(f"drop role {r}" for r in roles))


def test_session_user_membership_and_grants(project, capsys, cli):
    import psycopg2

    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    ack = f"{{proposal_id: {pid}, team: finance, response: approved}}"
    bob, alice = _as(project, BOB), _as(project, ALICE)

    capsys.readouterr()
    listed = bob.run("run-operation", "tessera.acknowledge", "--args", ack, "--vars",
                     f"{{tessera: {{teams: {{finance: [{BOB}]}}}}}}", expect_success=False)
    assert not listed.success and "vars.tessera.teams differs from the committed" in \
        capsys.readouterr().out, "--vars does not grant membership"
    assert f"warehouse user {BOB!r} may not answer for team 'finance'" in op(
        bob, capsys, "acknowledge", ack, ok=False)
    forced = op(bob, capsys, "force_publish", f"{{proposal_id: {pid}, reason: hurry}}",
                ok=False)
    assert f"warehouse user {BOB!r} may not force_publish" in forced and "commerce" in forced

    assert "finance answered approved" in op(alice, capsys, "acknowledge", ack)
    rows = project.query("select actor, invocation_id from {state}.tessera_events "
                         "where event_type = 'proposal_acknowledged'")
    assert [r[0] for r in rows] == [ALICE], "the session user is the actor"
    assert project.query("select actor, status from {state}.tessera_events where "
                         "event_type = 'invocation_recorded' and invocation_id = "
                         f"'{rows[0][1]}'") == [(ALICE, "session")]

    # what only the GRANTs prevent: a reader writes nothing, a writer edits nothing
    table = f"{project.state_schema}.tessera_events"
    for user, sql in ((READER, f"insert into {table} (event_id) values ('x')"),
                      (ALICE, f"update {table} set actor = 'someone'"),
                      (ALICE, f"delete from {table}")):
        con = _connect(user, PASSWORD)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), con.cursor() as cur:
            cur.execute(sql)
        con.close()

    # what a writer can do by hand, `tessera verify` finds
    con = _connect(BOB, PASSWORD)
    with con, con.cursor() as cur:
        cur.execute(f"insert into {table} (event_id, event_type, proposal_id, team, status, "
                    f"actor, invocation_id, recorded_at, payload) values ('forged', "
                    f"'proposal_acknowledged', '{pid}', 'marketing', 'approved', '{BOB}', "
                    "'by-hand', now(), '{}')")
    con.close()
    with environment(project.env):
        found = cli("verify", "--format", "json", "--project-dir", project.path,
                    "--profiles-dir", project.path, "--target", "postgres", expect=1)
    report = json.loads(found.out)
    assert sorted(f["kind"] for f in report["findings"]) == ["id", "unrecorded"]
    assert all(f["event_id"] == "forged" for f in report["findings"])
    assert [(f["kind"], f["event_id"]) for f in report["ignored"]] == [("not_member", "forged")]


def test_a_self_granted_approval_is_ignored_by_the_run_that_publishes(project, capsys, cli):
    """Issue 26: a writer in no team lists itself in a copy of the project and approves
    from there; the production build, reading the committed membership, counts no such
    answer: under `gate: block` it builds nothing, and tessera.status says why. The
    committed member's approval then ships 2.0.0."""
    import shutil

    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    copy = project.path.parent / "bobs_copy"
    shutil.copytree(project.path, copy)
    (copy / "tessera_teams.yml").write_text(
        f"teams:\n  finance: [{BOB}]\n  marketing: [{BOB}]\n  data_platform: [{BOB}]\n"
        f"  commerce: [{postgres_env()['TESSERA_PG_USER']}]\n")
    bob = DbtProject(copy, "postgres", {**project.env, "TESSERA_PG_USER": BOB,
                                        "TESSERA_PG_PASSWORD": PASSWORD})
    for team in ("finance", "marketing", "data_platform"):
        assert "answered approved" in op(
            bob, capsys, "acknowledge", f"{{proposal_id: {pid}, team: {team}, "
                                        "response: approved}")

    def has_is_paid() -> bool:
        return ("is_paid",) in project.query(
            "select column_name from information_schema.columns where table_schema = "
            f"'{project.env['TESSERA_PG_SCHEMA']}' and table_name = 'fct_orders'")

    # the BI models count no such answer either (by the membership the last publishing
    # run recorded), and say why
    assert project.query("select status, received_acks from {state}.tessera_proposals "
                         f"where proposal_id = '{pid}'") == [("pending", 0)]
    ignored = project.query("select team, response, ignored_answers, ignored_why from "
                            f"{{state}}.tessera_acknowledgments where proposal_id = '{pid}' "
                            "order by team")
    assert [r[:3] for r in ignored] == [(t, "waiting", 1) for t in
                                        ("data_platform", "finance", "marketing")]
    assert f"warehouse user {BOB} was no member of team finance" in ignored[1][3]

    with project.settings(gate="block"):
        blocked = project.run("build", "--select", "fct_orders", expect_success=False)
        assert "the gate stopped this run" in " ".join(str(blocked.exception).split())
        assert has_is_paid()
        status = op(project, capsys, "status", "{model: fct_orders}")
        assert "pending" in status and f"ignored: acknowledged for finance by {BOB!r}" in \
            status and "may not answer for team 'finance'" in status
        alice = _as(project, ALICE)
        for team in ("finance", "marketing", "data_platform"):
            op(alice, capsys, "acknowledge",
               f"{{proposal_id: {pid}, team: {team}, response: approved}}")
        project.run("build", "--select", "fct_orders")
    assert not has_is_paid()
    assert project.query("select version from {state}.tessera_contracts where is_current "
                         "and asset like '%.fct_orders'") == [("2.0.0",)]
    assert project.query("select status from {state}.tessera_proposals "
                         f"where proposal_id = '{pid}'") == [("published",)]
    # the whole workflow as tessera wrote it: no finding; bob's answers listed as ignored
    capsys.readouterr()
    with environment(project.env):
        verified = cli("verify", "--format", "json", "--project-dir", project.path,
                       "--profiles-dir", project.path, "--target", "postgres")
    report = json.loads(verified.out)
    assert report["findings"] == []
    assert sorted(f["kind"] for f in report["ignored"]) == ["not_member"] * 3


def test_attribution_is_the_databases_word(project, capsys, cli):
    """Issue 26: on PostgreSQL the database records who inserted each event
    (tessera_events.written_by, default session_user) and writers may not set it (the
    column-level INSERT of docs/security.md). An approval a writer inserts by hand in a
    member's name, with the id tessera would give it, is counted by no reader, and verify
    names it."""
    import psycopg2

    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(_as(project, ALICE), capsys, "acknowledge",
       f"{{proposal_id: {pid}, team: marketing, response: approved}}")
    assert project.query("select actor, written_by from {state}.tessera_events "
                         "where event_type = 'proposal_acknowledged'") == [(ALICE, ALICE)]

    table = f"{project.state_schema}.tessera_events"
    con = _connect(BOB, PASSWORD)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), con.cursor() as cur:
        cur.execute(f"insert into {table} (event_id, written_by) values ('x', '{ALICE}')")
    con.close()
    forged = stable_id("proposal_acknowledged", pid, "finance", "approved", None, ALICE)
    asset = project.query("select asset from {state}.tessera_events where event_type = "
                          f"'proposal_created' and proposal_id = '{pid}'")[0][0]
    con = _connect(BOB, PASSWORD)
    with con, con.cursor() as cur:
        cur.execute(f"insert into {table} (event_id, event_type, asset, proposal_id, team, "
                    "status, actor, invocation_id, recorded_at, payload) values (%s, "
                    "'proposal_acknowledged', %s, %s, 'finance', 'approved', %s, 'by-hand', "
                    "now(), '{}')", (forged, asset, pid, ALICE))
    con.close()
    assert project.query("select written_by from {state}.tessera_events "
                         f"where event_id = '{forged}'") == [(BOB,)]

    assert project.query("select response, ignored_answers from {state}.tessera_acknowledgments "
                         f"where proposal_id = '{pid}' and team = 'finance'") == [("waiting", 1)]
    status = op(project, capsys, "status", "{model: fct_orders}")
    assert "pending" in status and f"ignored: acknowledged for finance by {BOB!r}" in status
    capsys.readouterr()
    with environment(project.env):
        found = cli("verify", "--format", "json", "--project-dir", project.path,
                    "--profiles-dir", project.path, "--target", "postgres", expect=1)
    report = json.loads(found.out)
    assert sorted((f["kind"], f["event_id"]) for f in report["findings"]) == [
        ("attribution", forged), ("unrecorded", forged)]
    assert f"the warehouse recorded {BOB!r} as its writer" in " ".join(
        f["detail"] for f in report["findings"])
