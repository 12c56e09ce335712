"""One decider (issue 15): the hook (`publish.decide`), `tessera check`
(`verdicts.compare`), `propose` (`decider.judge` + `proposal_answer`, what
`runtime.proposing.Proposing.propose` runs) and the on-run-start gate (`Judge.decide`, the
per-asset judgement it shares with the hook) reach the same verdict, bump and version on
the same inputs, on every rule case file and on random document pairs.

`TESSERA_DECIDER_EXAMPLES=10000` runs the 10,000 random pairs of the acceptance list
(the default keeps the suite quick).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera_dbt.engine.decider import judge, proposal_answer
from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.engine.publish import Published, decide, fingerprint
from tessera_dbt.engine.verdicts import compare
from tessera_dbt.runtime.judging import Judge
from tests.strategies import MODES, dbt_test_ids, documents, mutated, render

EXAMPLES = int(os.environ.get("TESSERA_DECIDER_EXAMPLES", "300"))
CASES = Path(__file__).parents[1] / "cases" / "compat"

# hook action → the check statuses (and propose answers) that mean the same
_AGREE = {
    "publish": {"new", "compatible", "breaking-approved"},
    "unchanged": {"unchanged"},
    "unapproved": {"breaking-pending", "breaking-unproposed"},
    "held": {"compatible"},  # compatible, pending verification
}


def _three_ways(old, new, passed=frozenset(), proposals=(), declared=None, version="1.2.0"):
    old = {**old, "version": version}
    asset = str(old.get("asset") or new.get("asset") or "db.s.t")
    new = {**new, "asset": asset}
    old = {**old, "asset": asset}
    hook = decide(new, Published(asset, version, fingerprint(old), old), passed,
                  proposals=proposals, declared_version=declared)
    check = compare(new, asset, [old], list(proposals), lambda *_: (), passed=passed,
                    verified=True, declared=declared)
    # propose has no run results: it is compared with `tessera check` without them
    propose = judge(new, [old], proposals=list(proposals), declared_version=declared)
    check_pr = compare(new, asset, [old], list(proposals), lambda *_: (), declared=declared)
    # the on-run-start gate: the hook's own per-asset judgement (runtime.judging), before
    # the build, without test results; it blocks exactly what check without results calls
    # breaking and unapproved
    gate = _gate(old, new, proposals, declared, version, asset)
    assert (gate.action == "unapproved") == (
        check_pr.status in ("breaking-pending", "breaking-unproposed")), \
        (gate.action, check_pr.status)
    return hook, check, propose, check_pr, asset


def _gate(old, new, proposals, declared, version, asset):
    node = {"meta": {"tessera": {"version": declared}}} if declared else {}
    invocation = SimpleNamespace(settings={}, extractor=SimpleNamespace(node=lambda _: node))
    judge_ = Judge(invocation)
    judge_.proposals = {p.proposal_id: p for p in proposals}
    head = {"version": version, "fingerprint": fingerprint(old)}
    return judge_.decide("model.p.t", new, head, [old])


def _assert_agree(hook, check, propose, check_pr, asset):
    assert check.status in _AGREE[hook.action], (hook.action, check.status, hook.reason)
    assert (hook.action == "held") == (check.status == "compatible"
                                       and bool(check.pending_verification))
    assert hook.bump == (check.bump or hook.bump)
    if hook.action == "publish":
        assert hook.version == check.next_version
    if hook.action in ("held", "unapproved"):
        assert check.next_version == hook.verdict.version
    # propose agrees with the pull request's check (both without run results): it goes
    # on to a proposal (a new one, or the open one that covers this contract) exactly when
    # check says breaking and not a pre-release
    needs = proposal_answer(asset, propose) is None
    by_proposal = check_pr.status in ("breaking-pending", "breaking-unproposed") or (
        check_pr.status == "breaking-approved" and check_pr.proposal is not None)
    assert needs == by_proposal, (propose.outcome, check_pr.status)
    assert propose.bump == (check_pr.bump or propose.bump)
    if propose.outcome != "unchanged":
        assert propose.version == check_pr.next_version


@st.composite
def pairs(draw):
    model = draw(documents())
    mode = draw(st.sampled_from(MODES))
    model["compatibility"] = mode
    new = draw(mutated(model))
    new["compatibility"] = mode
    old_doc, new_doc = render(model), render(new)
    ids = dbt_test_ids(new_doc)
    passed = frozenset(draw(st.sets(st.sampled_from(ids))) if ids else ())
    approved = draw(st.booleans())
    proposals = ([Proposal("p1", str(old_doc.get("asset")), "approved", None,
                           fingerprint({**new_doc, "asset": old_doc.get("asset")}), [], None,
                           None, None, [], {})] if approved else [])
    declared = draw(st.sampled_from([None, None, None, "9.0.0", "9.0.0-rc.1"]))
    return old_doc, new_doc, passed, proposals, declared


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pairs())
def test_hook_check_and_propose_agree_on_random_pairs(pair):
    old, new, passed, proposals, declared = pair
    _assert_agree(*_three_ways(old, new, passed, proposals, declared))


def _case_params():
    for path in sorted(CASES.glob("*.yml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            if "old" not in case or case.get("history") or case["new"] is None:
                continue
            for mode in case["expect"]:
                yield pytest.param(case, mode, id=f"{path.stem}-{case['name']}-{mode}")


@pytest.mark.parametrize("case,mode", list(_case_params()))
def test_hook_check_and_propose_agree_on_every_case_file(case, mode):
    old = {**case["old"], "compatibility": mode}
    new = {**case["new"], "compatibility": mode}
    passed = frozenset(r["test"] for r in case.get("run_results") or ()
                       if r["status"] == "pass")
    _assert_agree(*_three_ways(old, new, passed))


def test_forward_mode_unverified_guarantee_is_pending_everywhere():
    """The disagreement of issue 15: check said `compatible → 1.3.0`, the hook held it."""
    old = {"asset": "db.s.t", "compatibility": "forward",
           "schema": {"type": "object", "properties": {"id": {"type": ["integer", "null"]}}},
           "guarantees": {}}
    new = {**old, "guarantees": {"custom": [{"type": "unique", "column": "id"}]},
           "x-tests": {"unique.id": ["test.p.unique_t_id"]}}
    hook, check, propose, check_pr, asset = _three_ways(old, new)
    assert hook.action == "held" and check.status == "compatible"
    assert check.pending_verification == ("test.p.unique_t_id",)
    assert propose.outcome == "pending_verification"
    verified = _three_ways(old, new, frozenset({"test.p.unique_t_id"}))
    assert verified[0].action == "publish" and verified[1].pending_verification == ()
    assert verified[0].version == verified[1].next_version == "1.3.0"


def test_pre_release_graduates_without_a_content_change():
    doc = {"asset": "db.s.t", "compatibility": "backward",
           "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}
    hook, check, propose, _, asset = _three_ways(doc, dict(doc), declared="2.0.0",
                                                 version="2.0.0-rc.1")
    assert (hook.action, hook.version) == ("publish", "2.0.0")
    assert (check.status, check.next_version) == ("compatible", "2.0.0")
    assert "graduates" in proposal_answer(asset, propose)
    same = _three_ways(doc, dict(doc), declared="2.0.0", version="2.0.0")
    assert same[0].action == "unchanged" and same[1].status == "unchanged"
