"""Issue 15's asset-level rules, test-config thresholds and one-promise-at-its-strongest,
unit by unit (the case files hold the verdicts; these hold the pieces)."""

from __future__ import annotations

import copy

from tessera_dbt.artifacts.guarantees import GuaranteeBuilder
from tessera_dbt.engine.asset_rules import asset_changes
from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.engine.thresholds import never_fails, tolerated
from tessera_dbt.engine.verdicts import removed

DOC = {"asset": "analytics.core.fct_orders", "compatibility": "backward",
       "schema": {"type": "object", "properties": {}},
       "x-dbt": {"unique_id": "model.shop.fct_orders", "name": "fct_orders",
                 "relation": {"database": "analytics", "schema": "core",
                              "identifier": "fct_orders", "schema_config": None,
                              "database_config": None},
                 "materialized": "table", "contract_enforced": True}}


def _with(**relation):
    doc = copy.deepcopy(DOC)
    doc["x-dbt"]["relation"].update(relation)
    return doc


def test_a_relation_move_names_the_old_and_the_new_relation():
    [change] = asset_changes(DOC, _with(identifier="fct_orders_new", schema="ci_42"))
    assert change.rule == "RELATION_CHANGED"
    assert change.old == "analytics.core.fct_orders"
    # the CI schema is not production's: the unchanged parts keep production's names
    assert change.new == "analytics.core.fct_orders_new"
    assert "analytics.core.fct_orders_new" in change.message


def test_a_ci_schema_is_no_move_and_missing_provenance_is_not_compared():
    assert asset_changes(DOC, _with(schema="ci_42")) == []
    old = copy.deepcopy(DOC)
    del old["x-dbt"]["materialized"]
    assert asset_changes(old, {**DOC, "x-dbt": {**DOC["x-dbt"],
                                                "materialized": "ephemeral"}}) == []


def test_thresholds():
    assert tolerated(None) == tolerated("!= 0") == tolerated("!=0") == 0
    assert tolerated(">100") == 100 and tolerated(">= 5") == 4 and tolerated("< 3") is None
    assert never_fails({"fail_calc": "0"}) and not never_fails({"fail_calc": "1"})
    assert never_fails({"limit": 1, "error_if": ">5"}) and not never_fails({"limit": 10,
                                                                           "error_if": ">5"})
    assert never_fails({"where": "1 = 0"}) and not never_fails({"where": "qty > 0"})
    assert not never_fails({"fail_calc": "sum(n)"})


def _test(name, column, **config):
    return {"unique_id": f"test.shop.{name}_{column}", "config": config,
            "test_metadata": {"name": name, "kwargs": {"column_name": column}}}


def test_a_constraint_and_a_warn_test_are_one_promise_at_its_strongest():
    builder = GuaranteeBuilder()
    builder.add_test(_test("not_null", "order_id", severity="warn"), "order_id")
    builder.add_constraints("order_id", [{"type": "not_null"}])
    assert builder.document() == {"nullability": {"order_id": "never"}}
    assert builder.test_map() == {"nullability.order_id": ["test.shop.not_null_order_id"]}


def test_a_test_that_can_never_fail_is_no_guarantee():
    builder = GuaranteeBuilder()
    builder.add_test(_test("not_null", "order_id", fail_calc="0"), "order_id")
    builder.add_test(_test("unique", "order_id", error_if=">100"), "order_id")
    assert builder.document() == {"custom": [{"type": "unique", "column": "order_id",
                                              "error_if": ">100"}]}


def test_an_approved_retirement_unblocks_a_removed_asset():
    head = {**DOC, "version": "1.2.0"}
    affected = ({"team": "finance", "source": "declared"},)
    blocked = removed(DOC["asset"], head, False, affected)
    assert blocked.blocking and [c.rule for c in blocked.changes] == ["ASSET_REMOVED"]
    assert "tessera.propose" in blocked.next_commands[0]
    retire = Proposal("p_1", DOC["asset"], "approved", None, "retire:x", ["finance"], None,
                      None, None, [], {}, retire=True)
    approved = removed(DOC["asset"], head, False, affected, [retire])
    assert not approved.blocking and "retirement is approved" in approved.reason
    pending = removed(DOC["asset"], head, False, affected,
                      [Proposal(**{**retire.__dict__, "status": "pending"})])
    assert pending.blocking and "waits for: finance" in pending.reason


def test_a_removal_blocks_whatever_is_known_of_consumers():
    """Issue 22: consumers outside the project are invisible, so a removal waits for a
    retirement even when no consumer is known (a proposal nobody must answer is approved
    at once); under `none` it never blocks."""
    head = {**DOC, "version": "1.2.0"}
    unknown = removed(DOC["asset"], head, False, ())
    assert unknown.blocking and "approved at once" in (unknown.next_step or "")
    assert "tessera.propose" in unknown.next_commands[0]
    retire = Proposal("p_1", DOC["asset"], "approved", None, "retire:x", [], None, None, None,
                      [], {}, retire=True)
    assert not removed(DOC["asset"], head, False, (), [retire]).blocking
    assert not removed(DOC["asset"], {**head, "compatibility": "none"}, False, ()).blocking
