"""Text renderings of engine values for terminals: aligned tables, diffs that read like a
review."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .changes import Report
from .rules import RULES_BY_ID


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table; cells are str()-ed and never wrapped."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def diff_text(report: Report, model: str | None = None) -> str:
    """A review comment: what changed, whether it breaks under the mode, who is hit, what to do."""
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
        if teams:
            lines.append(f"who is hit: {', '.join(teams)}: each must acknowledge a proposal "
                         "before this ships.")
        else:
            lines.append("who is hit: no known consumer; a proposal is approved at once.")
        lines.append("next step: dbt run-operation tessera.propose --args "
                     f"'{{model: {model or '<model>'}, reason: \"...\"}}'")
    return "\n".join(lines)
