"""Render docs/rules.md from the rule table, so the docs cannot drift from the code."""

from __future__ import annotations

from .compat import MODES, breaks_in
from .rules import RULES


def render() -> str:
    lines = [
        "# Compatibility rules",
        "",
        "Generated from `tessera_dbt/rules.py` by `python -m tessera_dbt.rules_doc > "
        "docs/rules.md`; a test keeps it current. Each change `tessera diff` reports carries "
        "one of these ids. ✗ marks the modes a change of this kind breaks by default (an "
        "advisory `severity: warn` guarantee, or a tightening verified by a passing test in "
        "the same build, breaks none).",
        "",
        "| rule | what changed | " + " | ".join(MODES) + " | bump when allowed |",
        "|---|---|" + "---|" * len(MODES) + "---|",
    ]
    for rule in RULES:
        marks = " | ".join("✗" if breaks_in(rule.breaks_under, m) else "" for m in MODES)
        lines.append(f"| `{rule.id}` | {rule.summary} | {marks} | {rule.level.value} |")
    for rule in RULES:
        lines += [
            "",
            f"## {rule.id}",
            "",
            rule.summary,
            "",
            f"**Why it matters to consumers.** {rule.why}",
            "",
            f"**How to ship it safely.** {rule.fix}",
        ]
        if rule.aliases:
            lines += ["", "Also accepted as: " + ", ".join(f"`{a}`" for a in rule.aliases)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
