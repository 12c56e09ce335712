"""`tessera verify` over logs tessera wrote (pure, state.verify): the chain of invocation
records finds a deleted record, and answers are judged by the membership in force when
they were given; answers every reader ignores are listed, never a finding."""

from __future__ import annotations

import datetime as dt

from tessera_dbt.engine.membership import Membership
from tessera_dbt.state.events import acknowledgment_event, membership_events, proposal_events
from tessera_dbt.state.records import EVENT_COLUMNS, RECORD, invocation_records
from tessera_dbt.state.verify import verify_events
from tests.state.test_event_ids import _stored


class Log:
    """A log written as tessera writes it: each write chained to the newest record."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.minute = 0

    def write(self, build, actor: str = "deployer") -> list[dict]:
        self.minute += 1
        context = {"actor": actor, "invocation_id": f"inv-{self.minute}", "target_name": "prod",
                   "recorded_at": dt.datetime(2026, 1, 1, 0, self.minute)}
        events = build(context)
        newest = [r for r in self.rows if r["event_type"] == RECORD]
        records = invocation_records(events, EVENT_COLUMNS, context, "session", "build",
                                     newest[-1]["event_id"] if newest else None)
        written = [_stored(r) for r in (*events, *records)]
        self.rows += written
        return written


def _proposal(context: dict) -> list[dict]:
    return proposal_events("p_1", "db.s.orders", "2.0.0", {
        "required_acks": ["bi"], "breaking_changes": [], "expires_at": "2027-01-01"},
        context, owner="commerce", fingerprint="f", reason="drop a column")


def _ack(actor: str):
    return lambda context: [acknowledgment_event("p_1", "db.s.orders", "bi", "approved",
                                                 None, None, {**context, "actor": actor})]


def test_a_clean_chained_log_has_no_finding():
    log = Log()
    log.write(lambda c: membership_events(Membership({"bi": ("alice",)}), c))
    log.write(_proposal)
    log.write(_ack("alice"))
    found = verify_events(log.rows, Membership({"bi": ("alice",)}))
    assert found.findings == [] and found.ignored == []


def test_a_record_deleted_with_its_events_leaves_a_gap():
    log = Log()
    log.write(_proposal)
    middle = log.write(_ack("alice"))
    log.write(_ack("bob"))
    gone = {r["event_id"] for r in middle}
    rows = [r for r in log.rows if r["event_id"] not in gone]
    found = verify_events(rows, Membership())
    assert [f.kind for f in found.findings] == ["gap"]
    assert "inv-3" in found.findings[0].detail
    # without the deletion: nothing
    assert verify_events(log.rows, Membership()).findings == []


def test_answers_are_judged_by_the_membership_in_force_when_given():
    log = Log()
    log.write(lambda c: membership_events(Membership({"bi": ("alice",)}), c))
    log.write(_proposal)
    before = log.write(_ack("bob"))[0]["event_id"]  # bob was no member then
    log.write(lambda c: membership_events(Membership({"bi": ("alice", "bob")}), c))
    log.write(_ack("bob"))  # and is one now
    # the committed membership today lists neither: past answers are not judged by it
    found = verify_events(log.rows, Membership({"bi": ("carol",)}))
    assert found.findings == []
    assert [(f.kind, f.event_id) for f in found.ignored] == [("not_member", before)]
    assert "may not answer for team 'bi'" in found.ignored[0].detail
    assert "membership recorded at 2026-01-01 00:01:00" in found.ignored[0].detail


def test_without_a_recorded_membership_the_committed_one_judges():
    log = Log()
    log.write(_proposal)
    log.write(_ack("bob"))
    found = verify_events(log.rows, Membership({"bi": ("alice",)}))
    assert found.findings == [] and [f.kind for f in found.ignored] == ["not_member"]
    assert verify_events(log.rows, Membership()).ignored == []
