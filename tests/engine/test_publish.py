"""What the hook publishes, decided by the pure `publish.decide`."""

from __future__ import annotations

import copy

import pytest

from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.engine.publish import Published, decide, fingerprint

DOC = {
    "asset": "db.core.fct_orders", "compatibility": "backward", "owner": "commerce",
    "schema": {"type": "object", "properties": {
        "order_id": {"type": "integer", "x-data-type": "bigint"},
        "note": {"type": ["string", "null"], "x-data-type": "text"}}, "required": ["order_id"]},
    "guarantees": {"nullability": {"order_id": "never"}},
    "x-tests": {"nullability.order_id": ["test.shop.nn"], "unique.order_id": ["test.shop.u"]},
}


def _published(doc=DOC, version="1.2.0", history=()):
    return Published(doc["asset"], version, fingerprint(doc), doc, tuple(history))


def _edit(change):
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


def test_first_publication_is_1_0_0():
    d = decide(DOC, None, passed_tests=())
    assert (d.action, d.version) == ("publish", "1.0.0")


def test_identical_contract_publishes_nothing():
    assert decide(copy.deepcopy(DOC), _published(), ()).action == "unchanged"


def test_compatible_change_publishes_the_bump():
    doc = _edit(lambda d: d["schema"]["properties"].update(coupon={"type": ["string", "null"]}))
    d = decide(doc, _published(), ())
    assert (d.action, d.version, d.bump) == ("publish", "1.3.0", "minor")
    cosmetic = _edit(lambda d: d["schema"]["properties"]["note"].update(description="free text"))
    assert decide(cosmetic, _published(), ()).version == "1.2.1"


def test_breaking_change_waits_for_an_approved_proposal():
    doc = _edit(lambda d: d["schema"]["properties"].pop("note"))
    refused = decide(doc, _published(), ())
    assert refused.action == "unapproved" and refused.version is None
    assert [c.rule for c in refused.breaking_changes] == ["COLUMN_REMOVED"]
    approved = decide(doc, _published(), (), approved_proposal={"proposal_id": "p1"})
    assert (approved.action, approved.version, approved.proposal_id) == ("publish", "2.0.0", "p1")


def test_pre_release_publishes_without_a_proposal():
    doc = _edit(lambda d: d["schema"]["properties"].pop("note"))
    d = decide(doc, _published(), (), declared_version="2.0.0-rc.1")
    assert (d.action, d.version) == ("publish", "2.0.0-rc.1")


def test_insufficient_declared_version_is_refused():
    doc = _edit(lambda d: d["schema"]["properties"].pop("note"))
    with pytest.raises(ConfigError, match="insufficient version bump"):
        decide(doc, _published(), (), declared_version="1.3.0")


def test_tightening_publishes_only_when_its_test_passed_in_the_run():
    doc = _edit(lambda d: d["guarantees"].setdefault("custom", []).append(
        {"type": "unique", "column": "order_id"}))
    # issue 15: an unverified tightening is pending verification (held), not a breaking
    # change, unless the project opts in to blocking on it
    pending = decide(doc, _published(), passed_tests=())
    assert (pending.action, pending.bump) == ("held", "minor")
    assert decide(doc, _published(), passed_tests=(),
                  block_unverified=True).action == "unapproved"
    verified = decide(doc, _published(), passed_tests={"test.shop.u"})
    assert (verified.action, verified.version) == ("publish", "1.3.0")
    forward = _published(_edit(lambda d: d.update(compatibility="forward")))
    held = decide(_edit(lambda d: (d.update(compatibility="forward"),
                                   d["guarantees"].setdefault("custom", []).append(
                                       {"type": "unique", "column": "order_id"}))),
                  forward, passed_tests=())
    assert held.action == "held", "forward allows it, but write-audit-publish needs the test"


def test_require_audit_pass_holds_an_asset_whose_tests_failed():
    doc = _edit(lambda d: d["schema"]["properties"].update(coupon={"type": ["string", "null"]}))
    d = decide(doc, _published(), (), failed_tests={"test.shop.nn"}, require_audit_pass=True)
    assert d.action == "held" and "test.shop.nn" in d.reason
    assert decide(doc, _published(), (), failed_tests={"test.shop.nn"}).action == "publish"


def test_transitive_mode_checks_the_whole_major_line():
    v100 = _edit(lambda d: d["schema"]["properties"].update(a={"type": ["integer", "null"],
                                                              "x-data-type": "int"}))
    v110 = copy.deepcopy(DOC)
    new = _edit(lambda d: (d.update(compatibility="backward_transitive"),
                           d["schema"]["properties"].update(
                               a={"type": ["string", "null"], "x-data-type": "varchar"})))
    current = Published(DOC["asset"], "1.1.0", fingerprint(v110),
                        {**v110, "compatibility": "backward_transitive", "version": "1.1.0"},
                        ({**v100, "version": "1.0.0"},))
    d = decide(new, current, ())
    assert d.action == "unapproved" and d.report.first_failing_version == "1.0.0"
