"""One id rule (issue 26): every event builder gives its rows the id `tessera verify`
recomputes from the stored row (state.events.IDENTITY), whatever text they carry; a clean
log has no `id` finding."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tessera_dbt.engine.asset_errors import AssetError
from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.engine.membership import Membership
from tessera_dbt.engine.publish import Decision
from tessera_dbt.engine.served import Drift
from tessera_dbt.engine.vocabulary import EVENT_TYPES
from tessera_dbt.state.events import (
    IDENTITY,
    acknowledgment_event,
    asset_error_event,
    decision_events,
    drift_event,
    event,
    forced_event,
    guarantee_failed_event,
    guarantee_recovered_event,
    membership_events,
    proposal_events,
    retirement_events,
    withdrawal_event,
)
from tessera_dbt.state.records import EVENT_COLUMNS, invocation_records
from tessera_dbt.state.verify import verify_events

# identified by a value no column keeps: their writers pass it, verify reads their record
RECORD_ONLY = {"consumer_registered", "consumer_unregistered", "notification_failed",
               "notification_sent"}
text = st.text(min_size=1, max_size=30)


def _stored(row: dict) -> dict:
    """The row as the warehouse hands it back: every column, payload as JSON text."""
    out = {c: row.get(c) for c in EVENT_COLUMNS}
    if isinstance(out["payload"], (dict, list)):
        out["payload"] = json.dumps(out["payload"], ensure_ascii=False)
    return out


def _every_builder(asset: str, team: str, comment: str, column: str) -> list[dict]:
    context = {"actor": "alice", "invocation_id": "inv-1", "target_name": "prod",
               "recorded_at": dt.datetime(2026, 1, 2, 3, 4, 5)}
    doc = {"asset": asset, "owner": "commerce", "compatibility": "backward",
           "schema": {"type": "object", "properties": {column: {"type": "integer"}}},
           "consumers": [{"team": team, "source": "declared"}]}
    rows = []
    for action in ("publish", "unapproved", "held"):
        rows += decision_events(Decision(asset, action, "1.1.0", "minor", None, comment, doc,
                                         proposal_id="p_1"), context)
    rows += retirement_events(asset, "1.0.0", "p_1", context)
    rows += retirement_events(asset, "1.0.0", "moved", context, publish_proposal=False)
    rows.append(asset_error_event(AssetError.of("model.p.m", asset, ConfigError(comment)),
                                  context))
    rows.append(drift_event(Drift(asset, (column,), ((column, "int", "varchar"),), (comment,)),
                            "1.0.0", [team], context))
    rows += proposal_events("p_1", asset, "2.0.0", {
        "required_acks": [team], "breaking_changes": [], "expires_at": "2026-02-01"},
        context, owner="commerce", fingerprint="f", reason=comment)
    rows.append(acknowledgment_event("p_1", asset, team, "approved", comment, None, context))
    rows.append(withdrawal_event("p_1", asset, comment, context))
    rows.append(forced_event("p_1", asset, comment, context))
    rows.append(event("proposal_resolved", **context, asset=asset, proposal_id="p_1",
                      status="approved", reason="e1"))
    rows.append(event("proposal_reminder", **context, asset=asset, proposal_id="p_1",
                      payload={"days_before": 3.0}))
    check = {"test_unique_id": "test.p.t", "test_name": comment, "status": "fail",
             "failures": 2, "message": comment}
    rows.append(guarantee_failed_event(asset, f"nullability.{column}", 1, "1.0.0", "commerce",
                                       [team], [check], context))
    rows.append(guarantee_recovered_event(asset, f"nullability.{column}", 1, "1.0.0",
                                          "commerce", [team], "e1", context["recorded_at"],
                                          [{**check, "status": "pass"}], context))
    rows += membership_events(Membership({team: (comment,)}, (column,)), context)
    rows += membership_events(Membership(), context)
    rows += invocation_records(rows, EVENT_COLUMNS, context, "session_user", "build",
                               previous=comment)
    return rows


def test_every_event_type_has_an_id_rule_or_is_checked_by_its_record():
    assert set(EVENT_TYPES) == set(IDENTITY) | RECORD_ONLY


@settings(max_examples=60, deadline=None)
@given(text, text, text, text)
def test_verify_recomputes_every_builders_id(asset, team, comment, column):
    rows = [_stored(r) for r in _every_builder(asset, team, comment, column)]
    kinds = {r["event_type"] for r in rows}
    assert kinds >= set(IDENTITY)  # every rule is exercised by a builder
    findings = verify_events(rows, Membership()).findings
    assert [f for f in findings if f.kind == "id"] == []
    # and an edited identifying field is seen
    ack = next(r for r in rows if r["event_type"] == "proposal_acknowledged")
    ack["status"] = "blocked"
    assert any(f.kind == "id" and f.event_id == ack["event_id"]
               for f in verify_events(rows, Membership()).findings)
