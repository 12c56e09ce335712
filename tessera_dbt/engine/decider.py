"""The one decider: what a changed contract means, for the hook, `tessera check` and
`propose` alike (pure).

`judge(doc, history, ...)` compares a contract document with the asset's published
versions (oldest first; empty when nothing is published) and returns one `Verdict`: its
outcome, bump, the version it would publish as and why. The hook maps the outcome to an
action (`publish.decide`), `tessera check` to a status (`verdicts.compare`) and `propose`
to its answer (`proposal_answer`); none of them re-derives the verdict, so the three
cannot disagree on the same inputs.

    first                 nothing published yet: 1.0.0 (or the declared version)
    unchanged             identical to the published contract
    graduation            identical, and the declared version releases the published
                          pre-release (2.0.0-rc.1 → 2.0.0)
    compatible            a change that publishes with its bump
    pending_verification  compatible once the tests behind its added or tightened
                          guarantees pass; the hook publishes only then
    breaking_approved     breaking, covered by an approved proposal or a pre-release
    breaking_pending      breaking, its proposal waits for consumer teams
    breaking_unproposed   breaking, no open proposal covers this contract
    held                  `require_audit_pass`: a guarantee failed in this run
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .asset_rules import LATER_KEYS
from .changes import Change, Report
from .compat import classify, classify_against_history, promises, same_document, suggest_bump
from .proposal import Proposal
from .rules import RULES_BY_ID
from .semver import bump_version, check_declared_version, is_graduation, is_prerelease
from .served import SERVED, declared_view
from .vocabulary import OPEN_STATUSES, Bump, Outcome

TIGHTENINGS = ("GUARANTEE_ADDED", "GUARANTEE_TIGHTENED")
PUBLISHING: tuple[Outcome, ...] = ("first", "graduation", "compatible", "breaking_approved")


def content_hash(*parts: Any) -> str:
    """A deterministic digest of JSON-able parts: the same inputs always give the same
    value (`state.events.stable_id` builds event ids with it)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def fingerprint(doc: Mapping[str, Any]) -> str:
    """Changes whenever anything compared changes (column order included)."""
    return content_hash(promises(doc))


def fingerprints(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """The fingerprint, and those tessera wrote before the asset's shape (`x-dbt`
    relation, materialization, enforcement) and then its access, group and enforced
    constraints were compared, and before where a type was read was left out:
    a contract or proposal recorded then still matches an unchanged document."""
    promised = promises(doc)
    readings = [promised]
    if "schema" in promised and promised["schema"] != doc["schema"]:
        # before where a type was read (x-type-source) was left out of the fingerprint
        readings.append({**promised, "schema": doc["schema"]})
    out = [fingerprint(doc)]
    for reading in readings:
        shapeless = {k: v for k, v in reading.items() if k != "x-dbt"}
        shape = {k: v for k, v in (reading.get("x-dbt") or {}).items() if k not in LATER_KEYS}
        before_access = {**shapeless, **({"x-dbt": shape} if shape else {})}
        out += [content_hash(reading), content_hash(shapeless), content_hash(before_access)]
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Verdict:
    """The verdict on one asset's contract against what is published."""

    outcome: Outcome
    bump: Bump
    version: str | None  # the version it publishes as (now, or once verified/approved)
    reason: str
    report: Report | None = None
    published_version: str | None = None
    pending: tuple[Change, ...] = ()  # added/tightened guarantees awaiting their test
    proposal: Proposal | None = None  # the open proposal covering this exact contract
    other: Proposal | None = None  # an open proposal made for a different contract
    last: Proposal | None = None  # the asset's latest proposal, whatever its status
    approval: str | None = None  # "proposal" | "pre-release" for breaking_approved
    contract: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def publishes(self) -> bool:
        return self.outcome in PUBLISHING

    @property
    def breaking(self) -> bool:
        return self.outcome.startswith("breaking")

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        if self.report is None:
            return ()
        return tuple(c for c in self.report.changes
                     if c.breaks(self.report.mode) and c not in self.pending)

    @property
    def verifying_tests(self) -> tuple[str, ...]:
        """The dbt tests whose pass publishes a pending verification."""
        keys = {c.guarantee for c in self.pending if c.guarantee}
        tests = self.contract.get("x-tests") or {}
        found: list[str] = []
        for key in sorted(keys):
            ids = tests.get(key) or tests.get(key.replace("not_null.", "nullability.", 1)) or ()
            found.extend([ids] if isinstance(ids, str) else ids)
        return tuple(dict.fromkeys(found))


def _unverified(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(c for c in changes if c.rule in TIGHTENINGS and c.breaks_under)


def judge(
    doc: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    *,
    passed_tests: Iterable[str] = (),
    verified_by_run: bool = False,
    proposals: Sequence[Proposal] = (),
    declared_version: str | None = None,
    block_unverified: bool = False,
    broken: Sequence[str] = (),
    mode: str | None = None,
    published_version: str | None = None,
) -> Verdict:
    """The verdict on `doc` (already named as the published asset) against `history`.

    `published_version` defaults to the head's `version`; `proposals` are the asset's, in
    recorded order; `broken` names guarantees that failed
    in the run (only with `require_audit_pass`); `block_unverified` counts an added or
    tightened guarantee without a passing test as breaking (`block_unverified_guarantees`).
    """
    last = proposals[-1] if proposals else None
    if broken:
        return Verdict("held", "none", None, "require_audit_pass: guarantee(s) failed in "
                       "this run: " + "; ".join(broken), contract=doc, last=last)
    if not history:
        return Verdict("first", "major", declared_version or "1.0.0", "first publication",
                       contract=doc, last=last)
    head = history[-1]
    published = published_version or (str(head["version"]) if head.get("version") else None)
    base = {"published_version": published, "contract": doc, "last": last}
    if same_document(head, doc):
        if is_graduation(published, declared_version):
            return Verdict("graduation", "none", declared_version,
                           f"pre-release {published} graduates to {declared_version}", **base)
        return Verdict("unchanged", "none", published, "identical to the published contract",
                       **base)
    passed = frozenset(passed_tests)
    report = (classify_against_history(history, doc, mode, passed, verified_by_run)
              if len(history) > 1 else
              classify(head, doc, mode, passed, verified_by_run))
    pending = () if block_unverified else _unverified(report.changes)
    counted = [c for c in report.changes if c not in pending]
    breaking = any(c.breaks(report.mode) for c in counted)
    # the bump as if the pending guarantees were verified: what the hook publishes then
    bump: Bump = suggest_bump([*counted, *(replace(c, breaks_under=frozenset())
                                           for c in pending)], report.mode)  # type: ignore
    if not report.changes:
        bump = report.suggested_bump  # type: ignore[assignment]
    if declared_version and published:
        check_declared_version(published, declared_version, bump)
    base.update(report=report, pending=pending)
    # a proposal covers this exact contract, named as the asset it was proposed for (a
    # relation that moved is proposed under its published name)
    covering = next((p for p in proposals if p.status in OPEN_STATUSES and _covers(p, doc)),
                    None)
    other = next((p for p in proposals if p.status in OPEN_STATUSES and p is not covering),
                 None)
    natural = bump_version(published, bump) if published else None
    if not breaking:
        version = declared_version or natural
        if pending:
            tests = ", ".join(Verdict("held", bump, None, "", contract=doc,
                                      pending=pending).verifying_tests) or "a dbt test"
            return Verdict("pending_verification", bump, version,
                           f"compatible, pending verification by {tests}", **base)
        return Verdict("compatible", bump, version, f"{bump} change", **base)
    if declared_version and is_prerelease(declared_version):
        return Verdict("breaking_approved", bump, declared_version,
                       f"pre-release {declared_version}: consumers opt in, no proposal "
                       "needed", approval="pre-release", **base)
    version = declared_version or (covering.proposed_version if covering else None) or natural
    if covering is not None and covering.status == "approved":
        return Verdict("breaking_approved", bump, version,
                       f"approved by proposal {covering.proposal_id}"
                       + (" (forced)" if covering.forced else ""),
                       proposal=covering, approval="proposal", **base)
    if covering is not None:
        waiting = ", ".join(covering.missing) or "nobody"
        return Verdict("breaking_pending", bump, version,
                       f"proposal {covering.proposal_id} waits for: {waiting}",
                       proposal=covering, **base)
    if other is not None:
        reason = f"the {other.status} proposal {other.proposal_id} covers a different contract"
    else:
        reason = "no proposal" + (f" (the last one is {last.status})" if last else "")
    return Verdict("breaking_unproposed", bump, version, reason, other=other, **base)


def _covers(proposal: Proposal, doc: Mapping[str, Any]) -> bool:
    """A proposal covers this exact contract, named as the asset it was proposed for;
    a document read from the YAML alone is the proposed one when it is what the proposed
    document's YAML declared (engine.served: the reading differs, not the contract)."""
    current = fingerprints({**doc, "asset": proposal.asset})
    if proposal.fingerprint in current:
        return True
    proposed = proposal.contract or {}
    if SERVED in doc or not isinstance(proposed.get(SERVED), Mapping):
        return False
    return fingerprint({**declared_view(proposed), "asset": proposal.asset}) in current


def retirement_change(head: Mapping[str, Any], how: str) -> Change:
    """The change a retirement proposal (and `tessera check`'s `removed`) names."""
    rule = RULES_BY_ID["ASSET_REMOVED"]
    return Change("ASSET_REMOVED", "", head.get("asset"), None, rule.breaks_under,
                  f"{head.get('asset')} {head.get('version') or ''} was {how}; its consumers "
                  "lose it.".replace("  ", " "))


def removal_report(head: Mapping[str, Any], mode: str | None = None,
                   how: str = "deleted or disabled") -> Report:
    """The verdict on a published asset that is gone (deleted, disabled, out of contract):
    one ASSET_REMOVED change, breaking in every mode but `none`, a major bump."""
    effective = str(mode or head.get("compatibility") or "backward")
    change = retirement_change(head, how)
    return Report(head.get("asset"), effective, (change,), change.breaks(effective), "major",
                  consumers=tuple(head.get("consumers") or ()))


def proposal_answer(asset: str, verdict: Verdict) -> str | None:
    """What `propose` answers when no proposal is needed (None: propose it). Each
    outcome says truthfully what the next production build does."""
    v = verdict
    if v.outcome == "first":
        return (f"{asset}: nothing is published yet; the next `dbt build` on a publishing "
                f"target publishes {v.version} (no proposal needed).")
    if v.outcome == "unchanged":
        return (f"{asset}: identical to the published {v.published_version}; nothing to "
                "propose and nothing to publish.")
    if v.outcome == "graduation":
        return f"{asset}: {v.reason}; the next `dbt build` publishes it (no proposal needed)."
    if v.outcome == "compatible":
        return (f"{asset}: the change is not breaking under {v.report.mode if v.report else '?'}"
                f" (suggested bump: {v.bump}); no proposal needed, the next `dbt build` "
                f"publishes {v.version}.")
    if v.outcome == "pending_verification":
        return (f"{asset}: {v.reason} (suggested bump: {v.bump}); no proposal needed, the "
                f"next `dbt build` publishes {v.version} once that test passes in it.")
    if v.outcome == "breaking_approved" and v.approval == "pre-release":
        return f"{asset}: {v.reason}; the next `dbt build` publishes it."
    if v.outcome == "held":
        return f"{asset}: {v.reason}; nothing to propose until they pass."
    return None
