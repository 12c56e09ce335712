"""`tessera verify`: the report of `dbt run-operation tessera.verify` (run through the
user's profile by cli.commands), rendered; exit 1 when the event log holds rows tessera
did not write as they stand (answers readers ignore are listed, and are no finding)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..engine.errors import ConfigError
from .parser import EXIT_FAIL, EXIT_OK


def render(lines: Sequence[str], form: str) -> tuple[str, int]:
    """(text to print, exit code) of the operation's JSON report."""
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ConfigError("tessera.verify printed no report",
                          "run `dbt run-operation tessera.verify` to see why") from None
    findings, ignored = report["findings"], report.get("ignored") or []
    code = EXIT_FAIL if findings else EXIT_OK
    if form == "json":
        return json.dumps(report, indent=2, sort_keys=True), code
    if not findings:
        out = [f"{report['checked']} event(s) checked: every one as tessera wrote it."]
    else:
        out = [f"{report['checked']} event(s) checked, {len(findings)} finding(s):"]
        out += [f"  {_line(f)}" for f in findings]
    if ignored:
        out.append(f"{len(ignored)} answer(s) every reader ignores (their actor was no "
                   "member when they were given):")
        out += [f"  {_line(f)}" for f in ignored]
    return "\n".join(out), code


def _line(finding: dict[str, str]) -> str:
    return f"{finding['kind']}: {finding['event_type']} {finding['event_id']}: " \
        f"{finding['detail']}"
