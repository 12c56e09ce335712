"""What people read of the past (state.history, render.changelog), pure: each version's
changes, who published it and why, the guarantees failing now, each team's view."""

from __future__ import annotations

import copy
import datetime as dt

from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.render.changelog import changelog_markdown, changelog_text
from tessera_dbt.state.history import changelog, failing_guarantees, team_views, when

V1 = {"asset": "db.core.orders", "version": "1.0.0", "compatibility": "backward",
      "owner": "commerce",
      "schema": {"type": "object", "required": ["id"],
                 "properties": {"id": {"type": "integer", "x-data-type": "integer"},
                                "paid|flag": {"type": ["boolean", "null"],
                                              "x-data-type": "boolean"}}}}


def _v2() -> dict:
    doc = copy.deepcopy(V1)
    doc["version"] = "2.0.0"
    del doc["schema"]["properties"]["paid|flag"]
    return doc


def _proposal(**kw) -> Proposal:
    base = {"proposal_id": "p_1", "asset": V1["asset"], "status": "published",
            "proposed_version": "2.0.0", "fingerprint": None, "required": ["finance"],
            "created_at": None, "expires_at": None, "reason": "moved to payments",
            "breaking_changes": [], "contract": {}}
    return Proposal(**{**base, **kw})


def test_each_version_says_how_it_shipped_and_what_changed():
    events = [{"version": "1.0.0", "recorded_at": dt.datetime(2026, 1, 1, 9, 0, 0, 123456),
               "actor": "ci", "status": "major", "reason": "first publication",
               "proposal_id": None, "event_id": "e1"},
              {"version": "2.0.0", "recorded_at": "2026-02-01T10:11:12.5", "actor": "alice",
               "status": "major", "reason": "breaking change force-published",
               "proposal_id": "p_1", "event_id": "e2"}]
    proposal = _proposal(forced=True, acks={"finance": {"response": "blocked"}})
    log = changelog([V1, _v2()], events, {"p_1": proposal})
    assert [v["version"] for v in log] == ["2.0.0", "1.0.0"]
    newest, first = log
    assert newest["published_at"] == "2026-02-01 10:11:12" and newest["published_by"] == "alice"
    assert newest["proposal"] == {"proposal_id": "p_1", "status": "published",
                                  "reason": "moved to payments", "forced": True,
                                  "forced_by": None, "forced_reason": None,
                                  "answers": {"finance": "blocked"}}
    assert [(c["rule"], c["path"], c["breaking"]) for c in newest["changes"]] == [
        ("COLUMN_REMOVED", "paid|flag", True)]
    assert first["changes"] == [] and first["published_at"] == "2026-01-01 09:00:00"

    text = changelog_text(V1["asset"], log)
    assert "✗ COLUMN_REMOVED at paid|flag" in text and "force-published" in text
    assert text.index("2.0.0") < text.index("1.0.0") and "first publication" in text
    markdown = changelog_markdown(V1["asset"], log)
    assert "| `COLUMN_REMOVED` | `paid\\|flag` | yes |" in markdown, "a pipe is escaped"


def test_an_export_without_publications_still_lists_changes():
    log = changelog([V1, _v2()], [], {})
    assert log[0]["published_at"] is None and log[0]["proposal"] is None
    assert log[0]["changes"][0]["rule"] == "COLUMN_REMOVED"


def test_a_guarantee_fails_until_its_latest_test_passes():
    def row(test, status, day, failures=None):
        return {"asset": "a", "guarantee": f"g_{test}", "test_unique_id": test,
                "test_name": test, "status": status, "failures": failures,
                "message": None, "executed_at": dt.datetime(2026, 1, day)}

    rows = [row("t1", "fail", 1, 3), row("t1", "pass", 2),  # recovered
            row("t2", "pass", 1), row("t2", "fail", 3, 7),  # failing now
            row("t3", "error", 2), row("t4", "warn", 2)]
    failing = failing_guarantees(rows)
    assert [(f["test"], f["status"], f["failures"]) for f in failing] == [
        ("t2", "fail", 7), ("t3", "error", None)]
    assert failing[0]["last_failure"] == "2026-01-03 00:00:00"


def test_each_team_sees_what_waits_on_it_and_what_it_changed():
    proposals = [{"proposal_id": "p_1", "asset": "a", "waiting": ["finance"],
                  "required": ["finance", "bi"]}]
    views = team_views({"a": "commerce", "b": "data"}, proposals,
                       [{"asset": "b", "guarantee": "nullability.id"}], {"a": "dropped x"})
    assert views["finance"]["waits_on_us"] == ["p_1"] and views["bi"]["waits_on_us"] == []
    assert views["commerce"] == {"waits_on_us": [], "our_changes": ["p_1"], "failing": [],
                                 "drift": ["a"]}
    assert views["data"]["failing"] == ["b: nullability.id"]


def test_times_are_read_to_the_second():
    assert when("2026-03-04T05:06:07.195765") == "2026-03-04 05:06:07"
    assert when(None) is None
