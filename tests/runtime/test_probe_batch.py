"""The gate's probes on DuckDB in one statement (runtime.served._duckdb_described) read
exactly what one dbt-duckdb `get_column_schema_from_query` per query reads: the same
columns in the same order, struct columns as the installed dbt-duckdb flattens them, and a
query that fails is that asset's alone. A real DuckDB database and dbt-duckdb's own method,
behind the two adapter calls the probes make."""

from __future__ import annotations

import duckdb
import pytest

from tessera_dbt.runtime.served import probe_compiled, probe_query

DuckDBAdapter = pytest.importorskip("dbt.adapters.duckdb.impl").DuckDBAdapter


class _Row(tuple):
    def values(self):  # agate's Row
        return tuple(self)


class _Table:
    def __init__(self, rows):
        self.rows = [_Row(r) for r in rows]


class Adapter:
    """What served.py asks of dbt's adapter, on a real DuckDB connection; the probe of one
    query is dbt-duckdb's own get_column_schema_from_query."""

    get_column_schema_from_query = DuckDBAdapter.get_column_schema_from_query

    def __init__(self, con):
        self.con = con
        self.connections = self
        self.sent: list[str] = []

    def type(self):
        return "duckdb"

    def add_select_query(self, sql):
        self.sent.append(sql)
        return None, self.con.execute(sql)

    def execute(self, sql, auto_begin=False, fetch=False):
        self.sent.append(sql)
        return None, _Table(self.con.execute(sql).fetchall() if fetch else [])

    def rollback_if_open(self):
        pass


@pytest.fixture
def adapter():
    con = duckdb.connect(":memory:")
    # what lets DuckDB reorder results without ORDER BY, and run union branches in parallel
    con.execute("set preserve_insertion_order = false")
    con.execute("set threads = 4")
    wide = ", ".join(f'cast({i} as {"integer" if i % 2 else "varchar"}) as "c {i:03d}"'
                     for i in range(300, 0, -1))
    con.execute(f"create table wide as select {wide}")
    con.execute('create table odd ("Zoë ; col" decimal(12,2), "x""y" integer[], '
                '"s" struct(a integer, "b c" varchar), m map(varchar, integer))')
    return Adapter(con)


def test_one_statement_reads_what_one_describe_per_query_reads(adapter):
    compiled = {f"model.p.m{i}": f"select * from wide where {i} = {i}" for i in range(120)}
    compiled["model.p.odd"] = 'select "Zoë ; col", "x""y", m from odd;  '
    compiled["model.p.struct"] = "select * from odd"  # a struct column: probed on its own
    compiled["model.p.broken"] = "select no_such_column from wide"
    compiled["model.p.literal"] = "select 1 as one, 'a' as \"Two\", now() as ts -- a comment"
    served, failed = probe_compiled(adapter, compiled)
    batched = [s for s in adapter.sent if "union all" in s]
    assert len(batched) == 1  # the first attempt fails on the broken query ...
    adapter.sent.clear()
    # ... so the same queries without it go in one statement, and read the same
    del compiled["model.p.broken"]
    served, failed = probe_compiled(adapter, compiled)
    assert not failed
    assert [s for s in adapter.sent if "union all" in s] and len(adapter.sent) == 2
    for uid, sql in compiled.items():
        assert served[uid] == probe_query(adapter, sql), uid
    assert [c for c, _ in served["model.p.m7"]] == [f"c {i:03d}" for i in range(300, 0, -1)]
    assert served["model.p.struct"] == probe_query(adapter, "select * from odd")


def test_a_failing_query_is_that_assets_alone(adapter):
    served, failed = probe_compiled(adapter, {"model.p.ok": "select 1 as a",
                                              "model.p.bad": "select nope from wide"})
    assert served == {"model.p.ok": [("a", "INTEGER")]}
    assert set(failed) == {"model.p.bad"} and "nope" in failed["model.p.bad"]
