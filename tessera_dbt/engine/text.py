"""Text renderings of engine values for terminals: aligned tables, diffs that read like a
review, times to the second, and what to do about a change nothing approved yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .changes import Report
from .proposal import Proposal, parse_time
from .rules import RULES_BY_ID

if TYPE_CHECKING:
    from .publish import Decision


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table; cells are str()-ed and never wrapped."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def human_time(value: Any) -> str:
    """A recorded time as people read it, to the second (`2026-12-07 02:39:15`); a value
    that is no time is shown as it is."""
    when = parse_time(value)
    return when.isoformat(sep=" ", timespec="seconds") if when else str(value)


def diff_text(report: Report, model: str | None = None, shipped: str | None = None) -> str:
    """A review comment: what changed, whether it breaks under the mode, who is hit, what to do.
    `shipped` says how a change already published was approved (then nothing is left to do)."""
    asset = report.asset or "the contract"
    if not report.changes:
        return f"{asset}: no change (mode {report.mode}); nothing to publish."
    verdict = "BREAKING" if report.breaking else "compatible"
    lines = [f"{asset}: {verdict} under {report.mode} — suggested bump: "
             f"{report.suggested_bump}"]
    if report.first_failing_version:
        lines.append(f"first published version it fails against: "
                     f"{report.first_failing_version}")
    lines.append("")
    for change in report.changes:
        mark = "✗" if change.breaks(report.mode) else "✓"
        lines.append(f"{mark} {change.rule} at `{change.path}`: {change.message}")
        if change.note:
            lines.append(f"    {change.note}")
        if change.breaks(report.mode):
            rule = RULES_BY_ID[change.rule]
            lines.append(f"    why it breaks: {rule.why}")
            lines.append(f"    how to ship it: {rule.fix}")
    if report.breaking:
        teams = sorted({c.get("team") for c in report.consumers if c.get("team")})
        lines.append("")
        if shipped is not None:
            lines.append(f"who was hit: {', '.join(teams) or 'no known consumer'}.")
            lines.append(f"already published: {shipped}; nothing is left to do.")
            return "\n".join(lines)
        if teams:
            lines.append(f"who is hit: {', '.join(teams)}: each must acknowledge a proposal "
                         "before this ships.")
        else:
            lines.append("who is hit: no known consumer; a proposal is approved at once.")
        lines.append("next step: dbt run-operation tessera.propose --args "
                     f"'{{model: {model or '<model>'}, reason: \"...\"}}'")
    return "\n".join(lines)


def acknowledge_command(proposal_id: str, team: str = "<team>") -> str:
    return ("dbt run-operation tessera.acknowledge --args "
            f"'{{proposal_id: {proposal_id}, team: {team}, response: approved}}'")


def unapproved_step(decision: Decision) -> str:
    """What to do about a breaking change without an approved proposal, for the gate and
    the hook: answer the pending proposal that covers it (naming the teams it still waits
    on), replace an outdated one, or propose it."""
    verdict = decision.verdict
    name = (decision.contract.get("x-dbt") or {}).get("name", "<model>")
    propose = f"`dbt run-operation tessera.propose --args '{{model: {name}}}'`"
    covering = verdict.proposal if verdict is not None else None
    if covering is not None and verdict is not None and verdict.outcome == "breaking_pending":
        waiting = ", ".join(covering.missing) or "nobody"
        return (f"its proposal {covering.proposal_id} is pending and waits for: {waiting} "
                f"(each answers with `{acknowledge_command(covering.proposal_id)}`)")
    other = verdict.other if verdict is not None else None
    if other is not None:
        return (f"the {other.status} proposal {other.proposal_id} covers a different "
                "contract: withdraw it with `dbt run-operation tessera.withdraw --args "
                f"'{{proposal_id: {other.proposal_id}}}'`, then propose this one with {propose}")
    return f"propose it with {propose}"


def proposal_lines(p: Proposal) -> list[str]:
    """A proposal as `propose`, `acknowledge` and `status` print it: its status, breaking
    changes, each required team's answer, and the next step (one for every status)."""
    lines = [f"  status: {p.status}"]
    for change in p.breaking_changes:
        lines.append(f"  ✗ {change['rule']} at `{change['path']}`: {change['message']}")
    if p.required:
        lines.append("  required acknowledgments: " + ", ".join(
            f"{t} ({p.acks[t]['response']})" if t in p.acks else f"{t} (waiting)"
            for t in p.required))
    elif p.status == "approved":
        lines.append("  no consumer team to acknowledge: approved at once")
    else:
        lines.append("  no consumer team to acknowledge; this project requires "
                     "`tessera.force_publish` with a reason")
    if p.status == "pending":
        lines.append(f"  next: each team runs `{acknowledge_command(p.proposal_id)}`")
    elif p.status == "approved" and p.retire:
        lines.append("  next: the next `dbt build` without the asset records it retired")
    elif p.status == "approved":
        lines.append("  next: the next `dbt build` publishes it")
    elif p.status == "rejected":
        lines += rejected_next_steps(p)
    return lines


def rejected_next_steps(p: Proposal) -> list[str]:
    """What the producer can do once a consumer team blocked the proposal: it never ships
    as it stands (a rejected proposal cannot be withdrawn or answered again)."""
    blockers = [t for t, a in sorted(p.acks.items()) if a.get("response") == "blocked"]
    who = ", ".join(blockers) or "a consumer team"
    name = (p.contract.get("x-dbt") or {}).get("name") or p.asset
    force = ("dbt run-operation tessera.force_publish --args "
             f"'{{proposal_id: {p.proposal_id}, reason: \"...\"}}'")
    if p.retire:
        revise = (f"keep the asset (restore it in the project), or agree a migration with "
                  f"{who} and propose its retirement again with `dbt run-operation "
                  f"tessera.propose --args '{{model: {name}, reason: \"...\"}}'`")
    else:
        revise = (f"revise the change (keep what it breaks for {who}, or agree a migration "
                  "with them), then propose the revised change with `dbt run-operation "
                  f"tessera.propose --args '{{model: {name}, reason: \"...\"}}'`")
    return [f"  next: rejected by {who}; it does not ship as it stands. The owner team can "
            f"{revise}; or, as an audited last resort, force it: `{force}`"]
