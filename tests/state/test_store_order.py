"""The state writer on a warehouse without transactions (Spark): audit rows first, the
contract_published events last, so a failure part-way never publishes without its audit
rows; what was kept is said; a retry writes only what is missing."""

from __future__ import annotations

import pytest

from tessera_dbt.runtime.hook import on_run_end
from tessera_dbt.state.store import PartialWrite, StateStore

NO_TRANSACTIONS = {"backslash_escapes": True, "transactions": False, "max_rows": 2}


class _Table:
    column_names = ("x",)
    rows = ()


class FakeAdapter:
    """Records every statement; fails the statements containing `fail_on`."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.statements: list[str] = []
        self.fail_on = fail_on

    def execute(self, sql, auto_begin=False, fetch=False):
        if self.fail_on and self.fail_on in sql:
            raise RuntimeError(f"cannot write {self.fail_on}")
        self.statements.append(sql)
        return None, _Table()


def _store(adapter):
    relations = {
        name: {"relation": f"s.{name}", "exists": True, "columns": columns,
               "existing_columns": columns}
        for name, columns in (("tessera_events", ["event_id", "event_type", "asset", "version"]),
                              ("tessera_audit_log", ["audit_id", "asset"]))}
    return StateStore(adapter, relations, NO_TRANSACTIONS)


EVENTS = [{"event_id": "e1", "event_type": "contract_published", "asset": "a", "version": "2.0.0"},
          {"event_id": "e2", "event_type": "consumer_observed", "asset": "a", "version": "2.0.0"},
          {"event_id": "e3", "event_type": "contract_published", "asset": "b", "version": "1.1.0"}]
AUDIT = [{"audit_id": f"u{i}", "asset": "a"} for i in range(3)]


def _inserts(adapter):
    return [s for s in adapter.statements if s.startswith("insert")]


def test_audit_rows_first_published_contracts_last_no_begin():
    adapter = FakeAdapter()
    written, audit = _store(adapter).write(EVENTS, AUDIT, "inv")
    assert audit == 3 and len(written) == 3
    inserts = _inserts(adapter)
    assert not any(s.strip() in ("begin", "commit") for s in adapter.statements)
    assert [s.split()[2] for s in inserts] == ["s.tessera_audit_log"] * 2 + \
        ["s.tessera_events"] * 2
    assert "'e2'" in inserts[2] and "'e1'" in inserts[3] and "'e3'" in inserts[3]


def test_an_audit_failure_records_and_publishes_nothing():
    adapter = FakeAdapter(fail_on="tessera_audit_log (")
    with pytest.raises(RuntimeError, match="cannot write"):
        _store(adapter).write(EVENTS, AUDIT, "inv")
    assert _inserts(adapter) == []


def test_a_failure_after_the_audit_rows_says_what_was_kept():
    adapter = FakeAdapter(fail_on="'contract_published'")
    with pytest.raises(PartialWrite) as caught:
        _store(adapter).write(EVENTS, AUDIT, "inv")
    assert caught.value.kept == {"audit rows": 3, "events": 1}
    assert caught.value.what_was_kept() == \
        "kept 3 audit rows, 1 events; not published: a 2.0.0, b 1.1.0"


def test_the_hook_message_says_partly_recorded(monkeypatch):
    def fail(self):
        raise PartialWrite(RuntimeError("boom"), {"audit rows": 3, "events": 0}, ["a 2.0.0"])

    monkeypatch.setattr("tessera_dbt.runtime.hook.Hook.run", fail)
    monkeypatch.setattr("tessera_dbt.runtime.hook.Hook.__init__", lambda self, payload: None)
    [message] = on_run_end({"invocation_id": "x1", "settings": {}})["messages"]
    assert "nothing was recorded" not in message
    assert "partly recorded" in message and "kept 3 audit rows; not published: a 2.0.0" \
        in message
    strict = on_run_end({"invocation_id": "x2", "settings": {"strict": True}})["error"]
    assert strict.startswith("tessera: on-run-end failed (strict): RuntimeError: boom; partly")


def test_stored_audit_rows_are_found_by_invocation_in_one_query():
    """A retried write skips the audit rows already stored, found by their invocation (an
    audit id hashes it): one query however many rows the run has, not one per 500."""

    class Stored(FakeAdapter):
        def execute(self, sql, auto_begin=False, fetch=False):
            super().execute(sql)
            table = _Table()
            if "tessera_audit_log where invocation_id in ('inv')" in sql:
                table = type("T", (), {"column_names": ("audit_id",),
                                       "rows": [{"audit_id": "u0"}, {"audit_id": "u1"}]})()
            return None, table

    adapter = Stored()
    audit = [{"audit_id": f"u{i}", "invocation_id": "inv", "asset": "a"} for i in range(1200)]
    _, written = _store(adapter).write([], audit, "inv")
    assert written == 1198
    assert [s for s in adapter.statements if s.startswith("select")] == [
        "select audit_id from s.tessera_audit_log where invocation_id in ('inv')"]
