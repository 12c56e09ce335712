"""`tessera changelog --asset A` as text or markdown (pure): each version newest first,
when and by whom it was published, why, the proposal behind it, and what changed with
each change's rule id (state.history.changelog holds the data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _how(v: Mapping[str, Any]) -> str:
    parts = []
    if v.get("published_at"):
        parts.append(f"published {v['published_at']} UTC")
    if v.get("published_by"):
        parts.append(f"by {v['published_by']}")
    if v.get("bump"):
        parts.append(f"({v['bump']})")
    return " ".join(parts)


def _proposal(p: Mapping[str, Any] | None) -> str | None:
    if not p:
        return None
    forced = f", force-published by {p.get('forced_by')}: {p.get('forced_reason')}" \
        if p.get("forced") else ""
    answers = ", ".join(f"{t} {r}" for t, r in (p.get("answers") or {}).items())
    reason = f": {p['reason']}" if p.get("reason") else ""
    return (f"proposal {p['proposal_id']} ({p['status']}{forced}"
            + (f"; {answers}" if answers else "") + f"){reason}")


def changelog_text(asset: str, versions: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{asset}: {len(versions)} version(s), newest first"]
    for v in versions:
        lines.append("")
        lines.append(f"{v['version']}  {_how(v)}".rstrip())
        if v.get("why"):
            lines.append(f"  {v['why']}")
        proposal = _proposal(v.get("proposal"))
        if proposal:
            lines.append(f"  {proposal}")
        for c in v.get("changes") or ():
            mark = "✗" if c.get("breaking") else "·"
            lines.append(f"  {mark} {c['rule']} at {c['path'] or '(contract)'}: {c['message']}")
        if not v.get("changes") and v is versions[-1]:
            lines.append("  first publication")
    return "\n".join(lines)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def changelog_markdown(asset: str, versions: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"## Changelog of `{asset}`", ""]
    for v in versions:
        lines.append(f"### {v['version']}")
        how = _how(v)
        if how:
            lines.append(f"_{_md(how)}_")
        if v.get("why"):
            lines.append(f"{_md(v['why'])}")
        proposal = _proposal(v.get("proposal"))
        if proposal:
            lines.append(f"{_md(proposal)}")
        if v.get("changes"):
            lines += ["", "| rule | path | breaking | change |", "|---|---|---|---|"]
            lines += [f"| `{c['rule']}` | `{_md(c['path'])}` | "
                      f"{'yes' if c.get('breaking') else 'no'} | {_md(c['message'])} |"
                      for c in v["changes"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
