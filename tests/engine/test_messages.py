"""The words users read, from pure code (issue 24's frictions): what the gate and the hook
say about a change whose proposal is pending, how a forced publication is labelled, a
published diff, provenance-only annotations, type-change wording, times to the second, the
next step after a rejection, the report's file mode and the lineage hint."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import stat

import pytest

from tessera_dbt.engine.compat import diff_documents, same_document
from tessera_dbt.engine.decider import fingerprint, fingerprints
from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.engine.publish import Published, decide
from tessera_dbt.engine.text import human_time, proposal_lines, unapproved_step
from tessera_dbt.lineage.sql import Parent, analyse
from tessera_dbt.render.notifications import slack_text
from tessera_dbt.runtime.report_data import write_atomically
from tessera_dbt.state.export import PublishedState, write_export
from tessera_dbt.state.folds import fold_proposals

DOC = {
    "asset": "db.core.fct_orders", "compatibility": "backward", "owner": "commerce",
    "x-dbt": {"name": "fct_orders"},
    "schema": {"type": "object", "properties": {
        "order_id": {"type": "integer", "x-data-type": "bigint"},
        "amount": {"type": ["number", "null"], "x-data-type": "decimal(16,2)"},
        "note": {"type": ["string", "null"], "x-data-type": "varchar"}},
        "required": ["order_id"]},
}


def _without_note():
    doc = copy.deepcopy(DOC)
    doc["schema"]["properties"].pop("note")
    return doc


def _proposal(doc, status="pending", acks=None, **extra):
    return Proposal("p_0123456789abcdef", doc["asset"], status, "2.0.0", fingerprint(doc),
                    ["finance", "marketing"], "2026-12-07T02:39:15.195765",
                    "2026-12-14T02:39:15.195765", "drop note",
                    [{"rule": "COLUMN_REMOVED", "path": "note", "message": "`note` removed"}],
                    {**doc, "version": "2.0.0"}, acks or {}, **extra)


def _published(doc=DOC):
    return Published(doc["asset"], "1.0.0", fingerprint(doc), doc)


def test_a_pending_proposal_is_named_with_the_teams_it_waits_on():
    new = _without_note()
    pending = _proposal(new, acks={"finance": {"response": "approved"}})
    decision = decide(new, _published(), (), proposals=[pending])
    assert decision.action == "unapproved"
    step = unapproved_step(decision)
    assert "propose it" not in step
    assert "p_0123456789abcdef is pending and waits for: marketing" in step
    assert "tessera.acknowledge" in step
    unproposed = unapproved_step(decide(new, _published(), ()))
    assert unproposed.startswith("propose it with `dbt run-operation tessera.propose --args "
                                 "'{model: fct_orders}'`")
    # a pending proposal made for another contract: withdraw it, then propose this one
    other = _proposal(DOC)
    stale = unapproved_step(decide(new, _published(), (), proposals=[other]))
    assert "covers a different contract" in stale and "tessera.withdraw" in stale


def test_a_forced_publication_is_labelled_forced():
    new = _without_note()
    rows = [
        {"event_id": "e1", "event_type": "proposal_created", "proposal_id": "p_1",
         "asset": new["asset"], "version": "2.0.0", "fingerprint": fingerprint(new),
         "recorded_at": "2026-12-07 10:00:00", "payload": json.dumps(
             {"required_acks": ["finance"], "contract": new})},
        {"event_id": "e2", "event_type": "proposal_acknowledged", "proposal_id": "p_1",
         "asset": new["asset"], "team": "finance", "status": "blocked",
         "recorded_at": "2026-12-07 11:00:00", "payload": "{}"},
        {"event_id": "e3", "event_type": "proposal_forced", "proposal_id": "p_1",
         "asset": new["asset"], "status": "approved", "actor": "alice",
         "reason": "incident 42", "recorded_at": "2026-12-07 12:00:00", "payload": "{}"},
    ]
    proposals = fold_proposals(rows, dt.datetime(2026, 12, 8))
    assert (proposals["p_1"].forced_by, proposals["p_1"].forced_reason) == ("alice",
                                                                             "incident 42")
    forced = decide(new, _published(), (), proposals=list(proposals.values()))
    assert forced.action == "publish"
    assert "approved by" not in forced.reason
    assert forced.reason.startswith("breaking change force-published by alice")
    assert "p_1" in forced.reason and forced.reason.endswith(": incident 42")
    approved = decide(new, _published(), (), proposals=[_proposal(new, "approved")])
    assert approved.reason == "breaking change approved by proposal p_0123456789abcdef"


def test_diff_of_published_versions_says_how_it_shipped(tmp_path, cli):
    new = {**_without_note(), "version": "2.0.0"}
    answered = {"finance": {"response": "approved"}, "marketing": {"response": "migrating"}}
    published = _proposal(new, "published", answered)
    write_export(str(tmp_path / "export"), PublishedState(
        {DOC["asset"]: [{**DOC, "version": "1.0.0"}, new]}, {published.proposal_id: published}))
    out = cli("diff", "--asset", "fct_orders", "--from", "1.0.0", "--to", "2.0.0",
              "--baseline", tmp_path / "export").out
    assert "COLUMN_REMOVED" in out
    assert "must acknowledge" not in out and "next step" not in out, out
    assert ("already published: 2.0.0 was published through proposal p_0123456789abcdef, "
            "approved (finance approved, marketing migrating); nothing is left to do") in out
    # two files: nothing is published, the next step stays
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    old_file.write_text(json.dumps({**DOC, "version": "1.0.0"}))
    new_file.write_text(json.dumps(new))
    assert "next step: dbt run-operation tessera.propose" in cli("diff", old_file,
                                                                  new_file).out


@pytest.mark.parametrize("before,after", [("served", "catalog"), ("catalog", None),
                                          (None, "served")])
def test_where_a_type_was_read_is_no_change(before, after):
    def read(source):
        doc = copy.deepcopy(DOC)
        for prop in doc["schema"]["properties"].values():
            if source:
                prop["x-type-source"] = source
        return doc

    old, new = read(before), read(after)
    report = diff_documents(old, new)
    assert report.changes == () and report.suggested_bump == "none"
    assert same_document(old, new) and fingerprint(old) == fingerprint(new)
    assert decide(new, _published(old), ()).action == "unchanged"
    # a record made before provenance was left out still matches the same reading
    legacy = fingerprints(old)
    assert all(f in fingerprints(old) for f in legacy)


def test_provenance_never_hides_a_change():
    old = copy.deepcopy(DOC)
    new = copy.deepcopy(DOC)
    new["schema"]["properties"]["amount"].update({"x-data-type": "double",
                                                  "x-type-source": "catalog"})
    new["schema"]["properties"]["note"]["x-undocumented"] = True
    report = diff_documents(old, new)
    rules = {(c.rule, c.path) for c in report.changes}
    assert ("TYPE_CHANGED", "amount") in rules and report.breaking
    assert ("META", "note") in rules, "x-undocumented is still compared"
    assert fingerprint(old) != fingerprint(new)
    meta = next(c for c in report.changes if c.rule == "META")
    assert "x-type-source" not in meta.message


def test_type_change_wording_says_it_once():
    new = copy.deepcopy(DOC)
    new["schema"]["properties"]["amount"]["x-data-type"] = "double"
    change = next(c for c in diff_documents(DOC, new).changes if c.path == "amount")
    assert change.message == "`amount` changed type from decimal(16,2) to double."
    wider = copy.deepcopy(DOC)
    wider["schema"]["properties"]["order_id"]["x-data-type"] = "hugeint"
    widened = next(c for c in diff_documents(DOC, wider).changes if c.path == "order_id")
    assert widened.rule == "TYPE_WIDENED" and "(widened" in widened.message


def test_times_are_shown_to_the_second():
    assert human_time("2026-12-07T02:39:15.195765") == "2026-12-07 02:39:15"
    assert human_time("not a time") == "not a time"
    text = slack_text({"event": "proposal_created", "asset": "a", "required_teams": ["x"],
                       "waiting_on": ["x"], "deadline": "2026-12-14T02:39:15.195765"})
    assert "deadline 2026-12-14 02:39:15 UTC" in text and ".195765" not in text


def test_a_rejected_proposal_names_the_next_step():
    blocked = {"finance": {"response": "blocked", "comment": "we read note"}}
    lines = "\n".join(proposal_lines(_proposal(_without_note(), "rejected", blocked)))
    assert "status: rejected" in lines
    assert "next: rejected by finance" in lines
    assert "tessera.propose --args '{model: fct_orders" in lines
    assert "tessera.force_publish --args '{proposal_id: p_0123456789abcdef" in lines
    assert "tessera.withdraw" not in lines, "a rejected proposal cannot be withdrawn"


def test_the_report_file_respects_the_umask(tmp_path):
    out = tmp_path / "report.html"
    previous = os.umask(0o022)
    try:
        write_atomically(str(out), "<html></html>")
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        os.umask(0o077)
        write_atomically(str(out), "<html></html>")
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_the_lineage_hint_names_the_command_that_writes_sql():
    edge = analyse(None, "duckdb", {"a": Parent(("db", "s", "customers"))})["a"]
    assert edge.reads_everything
    assert "written by `dbt parse`" in edge.unresolved
    assert "run `dbt compile` (or `dbt build`)" in edge.unresolved
