"""The words users read, from pure code (issue 24's frictions): what the gate and the hook
say about a change whose proposal is pending, how a forced publication is labelled, a
published diff, provenance-only annotations, type-change wording, times to the second, the
next step after a rejection, the report's file mode and the lineage hint."""

from __future__ import annotations

import copy

import pytest

from tessera_dbt.engine.compat import diff_documents, same_document
from tessera_dbt.engine.decider import fingerprint, fingerprints
from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.engine.publish import Published, decide

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


