"""The verdict of `tessera check`, the dbt CI gate, on one asset: may this change ship?
(pure: documents and published state in, one AssetCheck out)

Every asset under contract in the pull request's manifest is compared with production's
published state (the warehouse, an export, or a production manifest) and gets one status:

    new                  not published yet; the next production build publishes 1.0.0
    unchanged            identical to the published contract
    compatible           a change that publishes with its bump (minor / patch)
    breaking-approved    breaking, covered by an approved proposal for this exact contract
                         (or a declared pre-release version)
    breaking-pending     breaking, its proposal waits for consumer teams
    breaking-unproposed  breaking, no proposal covers this contract
    removed              published, now deleted, disabled or no longer under contract

The pull request builds in its own target (schema), so assets are matched on the dbt
unique_id and compared under production's asset name (`cli.check` matches them and adds
the consumers a change reaches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .changes import Change, Report
from .compat import classify, classify_against_history, same_document
from .proposal import Proposal
from .publish import fingerprint
from .semver import bump_version, is_prerelease
from .vocabulary import BLOCKING_STATUSES, OPEN_STATUSES, Bump, CheckStatus


@dataclass(frozen=True)
class AssetCheck:
    """The verdict on one asset under contract."""

    asset: str  # production's name for it
    name: str  # the dbt name (`name.vN` for a model version)
    unique_id: str | None
    status: CheckStatus
    mode: str
    reason: str
    bump: Bump | None = None  # major | minor | patch when the contract changes
    published_version: str | None = None
    next_version: str | None = None
    changes: tuple[Change, ...] = ()
    affected: tuple[dict[str, Any], ...] = ()  # the consumers the change reaches
    proposal: Proposal | None = None
    next_step: str | None = None  # what to do, in words
    next_commands: tuple[str, ...] = ()  # the exact commands that do it
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def blocking(self) -> bool:
        """Whether this asset stops the change from shipping (exit code 1)."""
        if self.status == "removed":
            return bool(self.affected)
        return self.status in BLOCKING_STATUSES

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaks(self.mode))


def dbt_name(doc: Mapping[str, Any]) -> str:
    dbt = doc.get("x-dbt") or {}
    name = str(dbt.get("name") or doc.get("asset"))
    return f"{name}.v{dbt['model_version']}" if dbt.get("model_version") is not None else name


def unique_id_of(doc: Mapping[str, Any]) -> str | None:
    return (doc.get("x-dbt") or {}).get("unique_id")


def operation_line(op: str, args: str, target: str | None) -> str:
    """The exact `dbt run-operation` line, on the target whose state counts."""
    line = f"dbt run-operation tessera.{op} --args '{{{args}}}'"
    return f"{line} --target {target}" if target else line


# Given the published contract and the changed one's breaking changes, the consumers the
# change reaches (computed by the caller: it needs lineage, which the engine does not know).
Reach = Callable[[Mapping[str, Any], Sequence[Change]], tuple[dict[str, Any], ...]]


def compare(doc: Mapping[str, Any], asset: str, history: Sequence[Mapping[str, Any]],
            proposals: Sequence[Proposal], reach: Reach, *, knows_proposals: bool = True,
            passed: frozenset[str] = frozenset(), verified: bool = False,
            declared: str | None = None, target: str | None = None) -> AssetCheck:
    """The verdict on one asset under contract that production has published as `asset`
    (`history`, oldest first); `proposals` are that asset's, in recorded order."""
    head = history[-1]
    current = {**doc, "asset": asset}  # the PR's relation stands in for production's
    published = head.get("version")
    name, uid = dbt_name(doc), unique_id_of(doc)
    base = {"asset": asset, "name": name, "unique_id": uid, "published_version": published,
            "document": current}
    if same_document(head, current):
        return AssetCheck(status="unchanged", mode=str(head.get("compatibility")),
                          reason="identical to the published contract", **base)
    report: Report = (classify_against_history(history, current, passed_tests=passed,
                                               verified_by_run=verified)
                      if len(history) > 1 else
                      classify(head, current, passed_tests=passed, verified_by_run=verified))
    bump = report.suggested_bump
    base.update(mode=report.mode, bump=bump, changes=report.changes)
    if not report.breaking:
        return AssetCheck(status="compatible", reason=f"{bump} change",
                          next_version=bump_version(published, bump) if published else None,
                          **base)
    base.update(affected=reach(head, report.breaking_changes))
    major = bump_version(published, "major") if published else None
    if declared and is_prerelease(declared):
        return AssetCheck(status="breaking-approved", next_version=declared,
                          reason=f"pre-release {declared}: consumers opt in, no proposal "
                                 "needed", **base)
    covering = next((p for p in proposals if p.status in OPEN_STATUSES
                     and p.fingerprint == fingerprint(current)), None)
    if covering is not None and covering.status == "approved":
        return AssetCheck(status="breaking-approved", proposal=covering,
                          next_version=covering.proposed_version or major,
                          reason=f"approved by proposal {covering.proposal_id}"
                                 + (" (forced)" if covering.forced else ""), **base)
    if covering is not None:
        waiting = ", ".join(covering.missing) or "nobody"
        return AssetCheck(status="breaking-pending", proposal=covering,
                          next_version=covering.proposed_version or major,
                          reason=f"proposal {covering.proposal_id} waits for: {waiting}",
                          next_step=f"each waiting team answers ({waiting})",
                          next_commands=(operation_line(
                              "acknowledge", f"proposal_id: {covering.proposal_id}, "
                              "team: <team>, response: approved", target),),
                          **base)
    other = next((p for p in proposals if p.status in OPEN_STATUSES), None)
    if not knows_proposals:
        reason = "breaking; the baseline is a manifest, which knows no proposal"
    elif other is not None:
        reason = (f"the {other.status} proposal {other.proposal_id} covers a different "
                  "contract")
    else:
        last = proposals[-1].status if proposals else None
        reason = "no proposal" + (f" (the last one is {last})" if last else "")
    commands = (operation_line("propose", f"model: {name}", target),)
    if other is not None:
        commands = (operation_line("withdraw", f"proposal_id: {other.proposal_id}", target),
                    *commands)
    return AssetCheck(status="breaking-unproposed", next_version=major, reason=reason,
                      next_step=("withdraw the outdated proposal, then propose this change"
                                 if other is not None else
                                 "propose the change; its consumer teams are asked to "
                                 "acknowledge it"),
                      next_commands=commands, **base)


def removed(asset: str, head: Mapping[str, Any], present: bool,
            affected: tuple[dict[str, Any], ...]) -> AssetCheck:
    """The verdict on a published asset the pull request no longer has under contract
    (`present`: the node still exists); `affected` are the consumers who lose it."""
    uid = unique_id_of(head)
    reason = ("no longer under contract" if present else "deleted or disabled") + (
        "; its consumers lose it" if affected else "; nobody consumes it")
    step = ("keep the contract until its consumers have migrated (tell "
            + ", ".join(sorted({c["team"] for c in affected})) + ")") if affected else None
    return AssetCheck(asset, dbt_name(head), uid, "removed",
                      str(head.get("compatibility")), reason,
                      published_version=head.get("version"), affected=affected,
                      next_step=step, document=head)

