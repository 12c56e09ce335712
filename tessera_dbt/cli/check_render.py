"""`tessera check` in the formats CI systems read: text (a terminal), json (scripts; keys
documented in docs/ci.md), markdown (a pull-request comment), github (workflow commands
that annotate the model's YAML line), junit (a test report: `check_junit`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.text import table
from ..engine.verdicts import AssetCheck
from ..engine.vocabulary import CHECK_STATUSES
from .check import CheckRun

JSON_FORMAT_VERSION = 1
_MARK = {"new": "🆕", "unchanged": "✅", "compatible": "✅", "breaking-approved": "✅",
         "breaking-pending": "⏳", "breaking-unproposed": "❌", "removed": "⚠️"}


def _verdict(run: CheckRun) -> str:
    blocking = run.blocking
    parts = []
    if run.errors:
        parts.append(f"{len(run.errors)} asset(s) with an invalid config, contract or "
                     "state: " + ", ".join(e.asset for e in run.errors))
    if blocking:
        parts.append(f"{len(blocking)} asset(s) block this change: "
                     + ", ".join(c.name for c in blocking))
    if parts:
        return "FAIL: " + "; ".join(parts)
    return "PASS: nothing unapproved breaks"


_UNJUDGED = "not judged; fix it and run `tessera check` again"


def error_lines(run: CheckRun) -> list[str]:
    """One line per asset that could not be judged."""
    return [f"error: {e.line(_UNJUDGED)}" for e in run.errors]


def yaml_only_line(run: CheckRun) -> str | None:
    if not run.yaml_only:
        return None
    names = ", ".join(run.yaml_only[:5]) + (f" and {len(run.yaml_only) - 5} more"
                                            if len(run.yaml_only) > 5 else "")
    return (f"note: {len(run.yaml_only)} asset(s) dbt does not enforce were judged on their "
            f"YAML only ({names}); pass --catalog target/catalog.json after `dbt docs "
            "generate`, or --live, to judge what their relations serve")


def note_lines(run: CheckRun) -> list[str]:
    """The served-schema findings (engine.served) and the YAML-only note, one line each."""
    lines = [f"! {finding.line(asset)}" for asset, finding in run.findings]
    note = yaml_only_line(run)
    return [*lines, *([note] if note else [])]


def _counts(checks: Sequence[AssetCheck]) -> str:
    counts = Counter(c.status for c in checks)
    return (f"{len(checks)} asset(s): "
            + ", ".join(f"{counts[s]} {s}" for s in CHECK_STATUSES if counts[s]) if checks
            else "no asset under contract")


def _baseline(run: CheckRun) -> str:
    b = run.baseline
    label = {"warehouse": "published state", "export": "exported state",
             "manifest": "production manifest"}[b.kind]
    return f"{label} ({b.source})"


def _version(c: AssetCheck) -> str:
    if c.published_version and c.next_version:
        return f"{c.published_version} → {c.next_version}"
    return c.next_version or c.published_version or "-"


def _teams(c: AssetCheck) -> str:
    return ", ".join(sorted({str(a["team"]) for a in c.affected})) or "-"


def _consumer(a: Mapping[str, Any]) -> str:
    via = a.get("via") or []
    return f"{a['team']} ({a.get('source')}" + (f" via {', '.join(via)}" if via else "") + ")"


def _reasons(c: AssetCheck) -> list[str]:
    """Why each affected consumer is affected, from column lineage, once each."""
    return list(dict.fromkeys(why for a in c.affected for why in a.get("reasons") or ()))


def _acks(c: AssetCheck) -> list[tuple[str, str]]:
    p = c.proposal
    if p is None:
        return []
    return [(team, str(p.acks[team]["response"]) if team in p.acks else "waiting")
            for team in p.required]


# --- text ------------------------------------------------------------------------------

def text(run: CheckRun) -> str:
    lines = [f"tessera check: {_verdict(run)}",
             f"baseline: {_baseline(run)}; {_counts(run.checks)}", *error_lines(run),
             *note_lines(run)]
    shown = [c for c in run.checks if c.status != "unchanged"]
    if shown:
        lines += ["", table(("name", "status", "bump", "version", "affected consumers"),
                            [(c.name, c.status, c.bump or "-", _version(c), _teams(c))
                             for c in shown])]
    for c in shown:
        if not (c.changes or c.affected or c.next_step):
            continue
        lines += ["", f"{c.name} ({c.asset}): {c.status}: {c.reason}"]
        for change in c.changes:
            mark = _mark(c, change)
            lines.append(f"  {mark} {change.rule} at `{change.path}`: {change.message}")
        if c.affected:
            lines.append("  affected: " + "; ".join(_consumer(a) for a in c.affected))
            lines += [f"    why: {why}" for why in _reasons(c)]
        acks = _acks(c)
        if acks:
            lines.append("  acknowledgments: " + ", ".join(f"{t} ({r})" for t, r in acks))
        if c.next_step:
            lines.append(f"  next: {c.next_step}")
        lines += [f"    {command}" for command in c.next_commands]
    return "\n".join(lines)


_BREAKING_CELL = {"✗": "✗ yes", "?": "pending verification"}


def _mark(c: AssetCheck, change: Any) -> str:
    """✗ breaks, ? waits for its test (pending verification), ✓ does not break."""
    if change in c.breaking_changes:
        return "✗"
    return "?" if c.verdict is not None and change in c.verdict.pending else "✓"


def _change_json(c: AssetCheck, change: Any) -> dict[str, Any]:
    out = change.to_json(c.mode)
    out["breaking"] = change in c.breaking_changes
    if c.verdict is not None and change in c.verdict.pending:
        out["pending_verification"] = True
    return out


# --- json ------------------------------------------------------------------------------

def _proposal_json(c: AssetCheck) -> dict[str, Any] | None:
    p = c.proposal
    if p is None:
        return None
    return {"proposal_id": p.proposal_id, "status": p.status,
            "proposed_version": p.proposed_version, "forced": p.forced,
            "required": list(p.required), "missing": p.missing,
            "acknowledgments": [{"team": t, "response": r} for t, r in _acks(c)]}


def to_json(run: CheckRun) -> dict[str, Any]:
    counts = Counter(c.status for c in run.checks)
    b = run.baseline
    assets = []
    for c in run.checks:
        file, line = run.locations.get(c.asset, (None, None))
        assets.append({
            "name": c.name, "asset": c.asset, "unique_id": c.unique_id, "status": c.status,
            "blocking": c.blocking, "reason": c.reason, "mode": c.mode, "bump": c.bump,
            "published_version": c.published_version, "next_version": c.next_version,
            "changes": [_change_json(c, ch) for ch in c.changes],
            "pending_verification": list(c.pending_verification),
            "affected_consumers": [dict(a) for a in c.affected],
            "proposal": _proposal_json(c), "next_step": c.next_step,
            "next_commands": list(c.next_commands), "file": file, "line": line})
    return {
        "format_version": JSON_FORMAT_VERSION,
        "passed": run.passed,
        "baseline": {"kind": b.kind, "source": b.source, "target": b.state.target,
                     "exported_at": b.state.exported_at},
        "state_target": run.state_target,
        "summary": {s: counts[s] for s in CHECK_STATUSES},
        "blocking": [c.name for c in run.blocking],
        "assets": assets,
        "errors": [{"asset": e.asset, "unique_id": e.unique_id, "message": e.message,
                    "hint": e.hint} for e in run.errors],
        "findings": [{"asset": asset, "rule": f.rule, "path": f.path, "message": f.message}
                     for asset, f in run.findings],
        "yaml_only": list(run.yaml_only),
    }


# --- markdown --------------------------------------------------------------------------

def _cell(value: Any) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _code(value: Any) -> str:
    text = _cell(value)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def markdown(run: CheckRun) -> str:
    icon = "✅" if run.passed else "❌"
    lines = [f"### {icon} tessera check: {_verdict(run)}", "",
             f"Baseline: {_baseline(run)}. {_counts(run.checks)}."]
    if run.errors:
        lines += ["", *(f"- ❌ {_cell(e.line(_UNJUDGED))}" for e in run.errors)]
    if note_lines(run):
        lines += ["", *(f"- ⚠️ {_cell(line)}" for line in note_lines(run))]
    shown = [c for c in run.checks if c.status != "unchanged"]
    unchanged = len(run.checks) - len(shown)
    if shown:
        lines += [""] + _md_table(
            ("asset", "status", "bump", "version", "affected consumers"),
            [(_code(c.name), f"{_MARK[c.status]} {c.status}", c.bump or "-",
              _cell(_version(c)), _cell(_teams(c))) for c in shown])
    if unchanged:
        lines += ["", f"{unchanged} asset(s) unchanged."]
    for c in shown:
        if not (c.changes or c.affected or c.next_step):
            continue
        file, line = run.locations.get(c.asset, (None, None))
        reason = _cell(c.reason[:1].upper() + c.reason[1:])
        lines += ["", f"#### {_MARK[c.status]} {_code(c.name)}: {c.status}", "",
                  f"{reason}. Asset {_code(c.asset)}, mode `{c.mode}`"
                  + (f", declared in `{file}` line {line}" if file else "") + "."]
        if c.changes:
            lines += [""] + _md_table(
                ("rule", "path", "breaking", "what changed"),
                [(_code(ch.rule), _code(ch.path or "(asset)"),
                  _BREAKING_CELL.get(_mark(c, ch), "no"), _cell(ch.message))
                 for ch in c.changes])
        if c.affected:
            lines += ["", "**Affected consumers:** "
                      + "; ".join(_cell(_consumer(a)) for a in c.affected)]
            lines += [f"- {_cell(why)}" for why in _reasons(c)]
        acks = _acks(c)
        if acks:
            lines += ["", f"Acknowledgments of `{c.proposal.proposal_id}` "  # type: ignore[union-attr]
                          f"({c.proposal.status}):", ""]  # type: ignore[union-attr]
            lines += _md_table(("team", "answer"), [(_cell(t), _cell(r)) for t, r in acks])
        if c.next_step:
            lines += ["", f"**Next step:** {_cell(c.next_step)}."]
        if c.next_commands:
            lines += ["", "```sh", *c.next_commands, "```"]
    return "\n".join(lines)


# --- GitHub workflow commands ----------------------------------------------------------

def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_LEVEL = {"breaking-unproposed": "error", "breaking-pending": "error",
          "breaking-approved": "notice", "compatible": "notice", "new": "notice"}


def github(run: CheckRun) -> str:
    out = [f"::error title={escape_property(f'tessera: {e.asset} is invalid')}::"
           f"{escape_data(e.line(_UNJUDGED))}" for e in run.errors]
    for c in run.checks:
        level = "error" if c.blocking else _LEVEL.get(c.status) or (
            "warning" if c.status == "removed" else None)
        if level is None:
            continue
        file, line = run.locations.get(c.asset, (None, None))
        props = [f"file={escape_property(file)}", f"line={line}"] if file else []
        props.append(f"title={escape_property(f'tessera: {c.name} is {c.status}')}")
        body = [f"{c.asset}: {c.reason}"]
        body += [f"{_mark(c, ch)} {ch.rule} at `{ch.path}`: {ch.message}"
                 for ch in c.changes]
        if c.affected:
            body.append("affected: " + "; ".join(_consumer(a) for a in c.affected))
        if c.next_step:
            body.append(f"next: {c.next_step}")
        body += c.next_commands
        out.append(f"::{level} {','.join(props)}::{escape_data(chr(10).join(body))}")
    out += [f"::warning title={escape_property('tessera: served schema')}::"
            f"{escape_data(line)}" for line in note_lines(run)]
    out.append(f"tessera check: {_verdict(run)} ({_counts(run.checks)})")
    return "\n".join(out)


def render(run: CheckRun, fmt: str) -> str:
    if fmt == "json":
        from ..artifacts.documents import dump_json

        return dump_json(to_json(run))
    return {"text": text, "markdown": markdown, "github": github}[fmt](run)

