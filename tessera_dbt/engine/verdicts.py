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

from .changes import Change
from .decider import Verdict, judge, removal_report
from .proposal import Proposal
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
    verdict: Verdict | None = field(default=None, repr=False, compare=False)

    @property
    def blocking(self) -> bool:
        """Whether this asset stops the change from shipping (exit code 1)."""
        if self.status == "removed":
            # breaking whatever is known of consumers (those of other projects, BI tools
            # and notebooks are invisible here): it waits for an approved retirement,
            # which a proposal nobody must answer gets at once
            approved = self.proposal is not None and self.proposal.status == "approved"
            return not approved and any(c.breaks(self.mode) for c in self.changes)
        return self.status in BLOCKING_STATUSES

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        if self.verdict is not None:
            return self.verdict.breaking_changes
        return tuple(c for c in self.changes if c.breaks(self.mode))

    @property
    def pending_verification(self) -> tuple[str, ...]:
        """The dbt tests whose pass publishes this compatible change (none: nothing waits)."""
        if self.verdict is None or not self.verdict.pending:
            return ()
        return self.verdict.verifying_tests or ("(no dbt test backs it yet)",)


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


_STATUSES: dict[str, CheckStatus] = {
    "first": "new", "unchanged": "unchanged", "graduation": "compatible",
    "compatible": "compatible", "pending_verification": "compatible",
    "breaking_approved": "breaking-approved", "breaking_pending": "breaking-pending",
    "breaking_unproposed": "breaking-unproposed", "held": "compatible",
}


def status_of(verdict: Verdict) -> CheckStatus:
    return _STATUSES[verdict.outcome]


def compare(doc: Mapping[str, Any], asset: str, history: Sequence[Mapping[str, Any]],
            proposals: Sequence[Proposal], reach: Reach, *, knows_proposals: bool = True,
            passed: frozenset[str] = frozenset(), verified: bool = False,
            declared: str | None = None, target: str | None = None,
            block_unverified: bool = False) -> AssetCheck:
    """The verdict on one asset under contract that production has published as `asset`
    (`history`, oldest first; empty: not published yet); `proposals` are that asset's, in
    recorded order. The verdict itself is `decider.judge`'s, as in the hook and propose."""
    current = {**doc, "asset": asset}  # the PR's relation stands in for production's
    verdict = judge(current, history, passed_tests=passed, verified_by_run=verified,
                    proposals=proposals, declared_version=declared,
                    block_unverified=block_unverified)
    name, uid = dbt_name(doc), unique_id_of(doc)
    status = status_of(verdict)
    if verdict.outcome == "first":
        return AssetCheck(asset, name, uid, "new", str(doc.get("compatibility")),
                          "not published yet", next_version=verdict.version,
                          document=current)
    report = verdict.report
    base: dict[str, Any] = {
        "asset": asset, "name": name, "unique_id": uid,
        "published_version": verdict.published_version, "document": current,
        "mode": report.mode if report else str(history[-1].get("compatibility")),
        "reason": verdict.reason, "verdict": verdict}
    if report is not None:
        base.update(bump=verdict.bump, changes=report.changes)
    if verdict.outcome == "unchanged":
        return AssetCheck(status="unchanged", **base)
    if verdict.outcome == "graduation":
        base["bump"] = verdict.bump
    if not verdict.breaking:
        step = commands = None
        if verdict.pending:
            tests = ", ".join(verdict.verifying_tests) or "its dbt test"
            version = verdict.version or f"the {verdict.bump} version"
            step = f"production's build publishes {version} once {tests} passes there"
        return AssetCheck(status=status, next_version=verdict.version, next_step=step,
                          next_commands=commands or (), **base)
    base.update(affected=reach(history[-1], verdict.breaking_changes))
    covering = verdict.proposal
    if status == "breaking-approved":
        return AssetCheck(status=status, proposal=covering, next_version=verdict.version,
                          **base)
    if status == "breaking-pending" and covering is not None:
        waiting = ", ".join(covering.missing) or "nobody"
        return AssetCheck(status=status, proposal=covering, next_version=verdict.version,
                          next_step=f"each waiting team answers ({waiting})",
                          next_commands=(operation_line(
                              "acknowledge", f"proposal_id: {covering.proposal_id}, "
                              "team: <team>, response: approved", target),),
                          **base)
    other = verdict.other
    if not knows_proposals:
        base["reason"] = "breaking; the baseline is a manifest, which knows no proposal"
    commands = (operation_line("propose", f"model: {name}", target),)
    if other is not None:
        commands = (operation_line("withdraw", f"proposal_id: {other.proposal_id}", target),
                    *commands)
    return AssetCheck(status="breaking-unproposed", next_version=verdict.version,
                      next_step=("withdraw the outdated proposal, then propose this change"
                                 if other is not None else
                                 "propose the change; its consumer teams are asked to "
                                 "acknowledge it"),
                      next_commands=commands, **base)


def removed(asset: str, head: Mapping[str, Any], present: bool,
            affected: tuple[dict[str, Any], ...], proposals: Sequence[Proposal] = (),
            target: str | None = None) -> AssetCheck:
    """The verdict on a published asset the pull request no longer has under contract
    (`present`: the node still exists); `affected` are the consumers who lose it."""
    uid = unique_id_of(head)
    reason = ("no longer under contract" if present else "deleted or disabled") + (
        "; its consumers lose it" if affected else "; nobody consumes it")
    step = ("keep the contract until its consumers have migrated (tell "
            + ", ".join(sorted({c["team"] for c in affected})) + ")") if affected else \
        "propose its retirement: with no known consumer it is approved at once, and the " \
        "record says who retired it (consumers outside the project are invisible)"
    report = removal_report(head, how="no longer under contract" if present
                            else "deleted or disabled")
    covering = next((p for p in proposals if p.retire and p.status in OPEN_STATUSES), None)
    if covering is not None and covering.status == "approved":
        reason += f"; its retirement is approved by proposal {covering.proposal_id}"
        step = "production's next build records it retired"
    elif covering is not None:
        waiting = ", ".join(covering.missing) or "nobody"
        reason += f"; retirement proposal {covering.proposal_id} waits for: {waiting}"
        step = f"each waiting team answers ({waiting})"
    commands: tuple[str, ...] = ()
    if covering is None:
        if affected:
            step = (step or "") + "; or propose its retirement so they can acknowledge it"
        commands = (operation_line("propose", f"model: {dbt_name(head)}", target),)
    return AssetCheck(asset, dbt_name(head), uid, "removed",
                      str(head.get("compatibility")), reason, bump="major",
                      published_version=head.get("version"), changes=report.changes,
                      affected=affected, proposal=covering, next_step=step,
                      next_commands=commands, document=head)

