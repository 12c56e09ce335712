"""What the on-run-end hook publishes (write-audit-publish), decided as pure functions.

For each asset under contract that this run built, the new contract is compared with the
current published version: identical → nothing; non-breaking and verified → the suggested
bump; breaking → only under an approved proposal (or as a pre-release), otherwise nothing
is published and the attempt is recorded as an unapproved change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .changes import Change, Report
from .compat import classify, classify_against_history, promises, same_document
from .semver import bump_version, check_declared_version, is_prerelease
from .vocabulary import Action, Bump

_TIGHTENINGS = ("GUARANTEE_ADDED", "GUARANTEE_TIGHTENED")


def content_hash(*parts: Any) -> str:
    """A deterministic digest of JSON-able parts: the same inputs always give the same
    value (`state.ids.stable_id` builds event ids with it)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def fingerprint(doc: Mapping[str, Any]) -> str:
    """Changes whenever anything compared changes (column order included)."""
    return content_hash(promises(doc))


@dataclass(frozen=True)
class Published:
    """The current published version of one asset, as read from the state tables."""

    asset: str
    version: str
    fingerprint: str
    contract: Mapping[str, Any]
    history: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Decision:
    asset: str
    action: Action
    version: str | None
    bump: Bump
    report: Report | None
    reason: str
    contract: Mapping[str, Any] = field(repr=False, default_factory=dict)
    proposal_id: str | None = None

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return self.report.breaking_changes if self.report else ()


def _broken_guarantees(doc: Mapping[str, Any], failed_tests: set[str],
                       failed_guarantees: Iterable[str]) -> list[str]:
    """'guarantee (test ids)' for each guarantee of the contract whose test failed, plus any
    other failed guarantee (a freshness check), sorted."""
    broken: dict[str, list[str]] = {}
    for key, ids in (doc.get("x-tests") or {}).items():
        hit = sorted(set([ids] if isinstance(ids, str) else ids) & failed_tests)
        if hit:
            broken[key] = hit
    for key in failed_guarantees:
        broken.setdefault(key, [])
    return [f"{key} ({', '.join(ids)})" if ids else key for key, ids in sorted(broken.items())]


def decide(
    doc: Mapping[str, Any],
    published: Published | None,
    passed_tests: Iterable[str],
    failed_tests: Iterable[str] = (),
    approved_proposal: Mapping[str, Any] | None = None,
    require_audit_pass: bool = False,
    declared_version: str | None = None,
    failed_guarantees: Iterable[str] = (),
) -> Decision:
    """Decide what to publish for one asset built in this run. `failed_guarantees` are the
    asset's guarantees whose check failed in the run (from the audit rows: tests and source
    freshness); with `require_audit_pass` any of them, or any failed test behind the
    contract's `x-tests`, holds every publication, not only tightenings."""
    asset = str(doc["asset"])
    if require_audit_pass:
        broken = _broken_guarantees(doc, set(failed_tests), failed_guarantees)
        if broken:
            return Decision(asset, "held", None, "none", None,
                            "require_audit_pass: guarantee(s) failed in this run: "
                            + "; ".join(broken), doc)
    if published is None:
        version = declared_version or "1.0.0"
        return Decision(asset, "publish", version, "major", None, "first publication", doc)
    if published.fingerprint == fingerprint(doc) or same_document(published.contract, doc):
        return Decision(asset, "unchanged", published.version, "none", None,
                        "identical to the published contract", doc)
    history = [*published.history, published.contract]
    report = (classify_against_history(history, doc, passed_tests=passed_tests,
                                       verified_by_run=True)
              if len(history) > 1 else
              classify(published.contract, doc, passed_tests=passed_tests,
                       verified_by_run=True))
    bump = report.suggested_bump
    version = declared_version or bump_version(published.version, bump)
    if declared_version:
        check_declared_version(published.version, declared_version, bump)
    unverified = [c for c in report.changes if c.rule in _TIGHTENINGS and c.breaks_under]
    if report.breaking:
        if declared_version and is_prerelease(declared_version):
            return Decision(asset, "publish", version, bump, report,
                            "pre-release: consumers opt in, no proposal needed", doc)
        if approved_proposal is not None:
            return Decision(asset, "publish", version, bump, report,
                            "breaking change approved by its proposal", doc,
                            proposal_id=str(approved_proposal.get("proposal_id")))
        return Decision(asset, "unapproved", None, bump, report,
                        "breaking change without an approved proposal", doc)
    if unverified:
        return Decision(asset, "held", None, bump, report,
                        "a tightened guarantee was not verified by a passing test in this run",
                        doc)
    return Decision(asset, "publish", version, bump, report, f"{bump} change", doc)
