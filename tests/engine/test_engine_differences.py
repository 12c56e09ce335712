"""What differs per warehouse, without one: constraints Spark does not enforce are not
guarantees, and timestamps read back through pyspark come back as written (UTC)."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from tessera_dbt.artifacts.guarantees import GuaranteeBuilder, enforced_constraints
from tessera_dbt.state.sql import time_zone
from tessera_dbt.state.store import StateStore

CONSTRAINTS = [{"type": "not_null"}, {"type": "unique"}, {"type": "primary_key"},
               {"type": "check", "expression": "amount >= 0"}]


def _guarantees(adapter_type, file_format):
    node = {"config": {"file_format": file_format}}
    enforced = enforced_constraints(adapter_type, node)
    builder = GuaranteeBuilder()
    builder.add_constraints("order_id", CONSTRAINTS, enforced)
    builder.add_constraints(None, [{"type": "check", "expression": "amount >= 0"}], enforced)
    return builder.document(), builder.not_enforced


def test_declared_constraints_are_guarantees_where_they_are_enforced():
    for adapter_type in ("duckdb", "postgres", None):
        guarantees, not_enforced = _guarantees(adapter_type, None)
        assert guarantees["nullability"] == {"order_id": "never"} and not not_enforced
        assert {g["type"] for g in guarantees["custom"]} == {"unique", "primary_key", "check"}


def test_spark_parquet_enforces_no_constraint():
    guarantees, not_enforced = _guarantees("spark", "parquet")
    assert guarantees == {}
    assert [c["type"] for c in not_enforced] == ["not_null", "unique", "primary_key", "check",
                                                 "check"]
    assert not_enforced[0]["column"] == "order_id" and "column" not in not_enforced[-1]


def test_spark_delta_enforces_column_not_null_and_model_checks():
    guarantees, not_enforced = _guarantees("spark", "delta")
    assert guarantees["nullability"] == {"order_id": "never"}
    assert guarantees["custom"] == [{"type": "check", "expression": "amount >= 0"}]
    assert [c["type"] for c in not_enforced] == ["unique", "primary_key", "check"]
    assert enforced_constraints("databricks", {"config": {}}) == \
        enforced_constraints("spark", {"config": {"file_format": "delta"}})


def test_session_time_zones():
    assert time_zone("UTC").utcoffset(None) == dt.timedelta(0)
    assert time_zone("+05:30").utcoffset(None) == dt.timedelta(hours=5, minutes=30)
    assert time_zone("-03:00").utcoffset(None) == dt.timedelta(hours=-3)
    assert str(time_zone("Europe/Paris")) == "Europe/Paris"


class _Rows:
    def __init__(self, names, rows):
        self.column_names, self.rows = names, [_Row(r) for r in rows]


class _Row(tuple):
    def values(self):
        return tuple(self)

    def __getitem__(self, i):
        return tuple.__getitem__(self, i)


@pytest.fixture
def new_york():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Tokyo"])
def test_pyspark_timestamps_come_back_as_written(new_york, session_zone):
    written = dt.datetime(2026, 1, 1, 12, 0, 0, 123456)  # the UTC literal tessera wrote
    # Spark reads the literal in its session zone; pyspark returns the instant in local time
    instant = written.replace(tzinfo=time_zone(session_zone)).timestamp()
    returned = dt.datetime.fromtimestamp(instant)
    assert returned != written

    class Adapter:
        def execute(self, sql, auto_begin=False, fetch=False):
            if "current_timezone" in sql:
                return None, _Rows(["tz"], [(session_zone,)])
            return None, _Rows(["recorded_at", "asset"], [(returned, "a")])

    store = StateStore(Adapter(), {}, {"session_local_timestamps": True})
    assert store.select("select ...") == [{"recorded_at": written, "asset": "a"}]
    assert StateStore(Adapter(), {}, {}).select("select ...")[0]["recorded_at"] == returned
