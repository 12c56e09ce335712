"""The bound array insert (state.sql.array_insert) stores exactly what the escaped VALUES
statements store, through the drivers dbt uses (duckdb, psycopg2), hostile text included;
where it cannot (no dialect setting, mixed kinds in a column) it steps aside."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tessera_dbt.state.sql import array_insert, insert_statements
from tests.conftest import postgres_env

COLUMNS = ["audit_id", "failures", "execution_time", "executed_at", "message", "flag", "empty"]
HOSTILE = ["O'Brien; drop table x; --", "back\\slash \\' \\\\", "%s %(x)s %% ? $1 :name",
           "two\nlines\r\ttab \x01 \x7f", "nul\x00byte", "Zoë 日本 🚀", "", " ", "'", "\\"]
NOW = dt.datetime(2026, 12, 7, 22, 1, 2, 345678)
ROWS = [{"audit_id": text, "failures": [0, None, 2 ** 62, -7][i % 4],
         "execution_time": [0.1, float("nan"), 6.5, float("inf")][i % 4],
         "executed_at": None if i % 3 == 0 else NOW + dt.timedelta(seconds=i),
         "message": {"k": text, "n": i} if i % 2 else [text, None],
         "flag": bool(i % 2), "empty": None} for i, text in enumerate(HOSTILE)]
DUCKDB = {"backslash_escapes": False, "timestamp_type": "timestamp",
          "array_insert": {"paramstyle": "qmark", "types": {
              "string": "varchar", "integer": "bigint", "float": "double",
              "boolean": "boolean"}}}
POSTGRES = {"backslash_escapes": False, "timestamp_type": "timestamp without time zone",
            "array_insert": {"paramstyle": "format", "types": {
                "string": "text", "integer": "bigint", "float": "double precision",
                "boolean": "boolean"}}}
DDL = ("create table {t} (audit_id varchar, failures bigint, execution_time {float}, "
       "executed_at timestamp, message {text}, flag boolean, empty {text})")


def _store_both(cursor, table: str, dialect: dict) -> tuple[list, list]:
    """The rows as the VALUES statements store them, and as the array insert does."""
    out = []
    for bound in (False, True):
        cursor.execute(f"delete from {table}")
        if bound:
            sql, params = array_insert(table, COLUMNS, ROWS, dialect)
            assert "unnest" in sql and "empty" not in sql  # an all-null column is left out
            cursor.execute(sql, params)
        else:
            for statement in insert_statements(table, COLUMNS, ROWS, dialect):
                cursor.execute(statement)
        cursor.execute(f"select {', '.join(COLUMNS)} from {table} order by audit_id")
        out.append([tuple(r) for r in cursor.fetchall()])
    return out[0], out[1]


def test_duckdb_stores_what_values_store():
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute('create schema "odd?schema"')
    table = '"odd?schema"."audit ? log"'
    con.execute(DDL.format(t=table, float="double", text="varchar"))
    values, bound = _store_both(con, table, DUCKDB)
    assert len(bound) == len(HOSTILE) and bound == values
    assert {r[0] for r in bound} == {t.replace("\x00", "") for t in HOSTILE}


@pytest.mark.postgres
@pytest.mark.parametrize("scs", ["on", "off"])
def test_postgres_stores_what_values_store(scs):
    import psycopg2

    env = postgres_env()
    con = psycopg2.connect(host=env["TESSERA_PG_HOST"], port=int(env["TESSERA_PG_PORT"]),
                           user=env["TESSERA_PG_USER"], password=env["TESSERA_PG_PASSWORD"],
                           dbname=env["TESSERA_PG_DBNAME"],
                           options=f"-c standard_conforming_strings={scs}")
    schema = f"array % insert {uuid.uuid4().hex[:8]}"  # a `%` psycopg2 must not read
    try:
        with con.cursor() as cur:
            cur.execute("show standard_conforming_strings")
            assert cur.fetchone()[0] == scs
            cur.execute(f'create schema "{schema}"')
            table = f'"{schema}"."audit log"'
            cur.execute(DDL.format(t=table, float="float", text="text"))
            dialect = {**POSTGRES, "backslash_escapes": scs == "off"}
            values, bound = _store_both(cur, table, dialect)
            assert len(bound) == len(HOSTILE) and bound == values
            cur.execute(f'drop schema "{schema}" cascade')
    finally:
        con.rollback()
        con.close()


def test_it_steps_aside_where_it_cannot_bind():
    assert array_insert("t", COLUMNS, ROWS, {"backslash_escapes": True}) is None  # Spark
    assert array_insert("t", COLUMNS, [], DUCKDB) is None
    mixed = [{**ROWS[0], "failures": 1}, {**ROWS[1], "failures": "1"}]
    assert array_insert("t", COLUMNS, mixed, DUCKDB) is None
    sql, params = array_insert("t", ["a", "b"], [{"a": 1, "b": None}, {"a": 2, "b": None}],
                               DUCKDB)
    assert sql == "insert into t (a)\nselect unnest(cast(? as bigint[]))"
    assert params == [[1, 2]]
