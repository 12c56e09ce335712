"""The report's history sections (pure HTML): what waits on each team, the guarantees
failing now, every closed proposal with each team's answer and comment, and each asset's
changelog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _list(items: Sequence[Any]) -> str:
    return "<br>".join(f"<code>{_e(i)}</code>" for i in items) or \
        '<span class="muted">none</span>'


def teams(data: Mapping[str, Any]) -> str:
    views = data.get("teams") or {}
    if not views:
        return '<p class="muted">No team is known yet.</p>'
    rows = "".join(
        f"<tr><td><b>{_e(team)}</b></td><td>{_list(v['waits_on_us'])}</td>"
        f"<td>{_list(v['our_changes'])}</td><td>{_list(v['failing'])}</td>"
        f"<td>{_list(v['drift'])}</td></tr>" for team, v in views.items())
    return ("<table><tr><th>team</th><th>waits on our answer</th><th>our changes "
            "(proposals)</th><th>our failing guarantees</th><th>our drifted relations</th>"
            f"</tr>{rows}</table>")


def failing(data: Mapping[str, Any]) -> str:
    rows = data.get("failing")
    if rows is None:
        return ('<p class="muted">Test results are not part of an export: run `tessera '
                "report` against the warehouse.</p>")
    if not rows:
        return '<p class="muted">Every guarantee passed its latest test in this period.</p>'
    body = "".join(
        f"<tr><td><code>{_e(f['asset'])}</code></td><td>{_e(f['guarantee'])}</td>"
        f"<td><code>{_e(f['test'])}</code></td><td>"
        f'<span class="tag blocked">{_e(f["status"])}</span></td>'
        f"<td>{_e(f['failures'])}</td><td>{_e(f['last_failure'])}</td>"
        f"<td>{_e(f['message'])}</td></tr>" for f in rows)
    return ("<table><tr><th>asset</th><th>guarantee</th><th>test</th><th>status</th>"
            "<th>failing rows</th><th>last failure (UTC)</th><th>message</th></tr>"
            f"{body}</table>")


def _answers(p: Mapping[str, Any]) -> str:
    out = []
    for team, answer in sorted((p.get("comments") or {}).items()):
        response = (p.get("answers") or {}).get(team)
        comment = f' <span class="muted">“{_e(answer["comment"])}”</span>' \
            if answer.get("comment") else ""
        out.append(f'<span class="tag {_e(response)}">{_e(team)}: {_e(response)}</span>'
                   f"{comment}")
    out += [f'<span class="tag waiting">{_e(t)}: no answer</span>'
            for t in p.get("waiting") or ()]
    if p.get("forced"):
        out.append(f"force-published by <b>{_e(p.get('forced_by'))}</b>: "
                   f"{_e(p.get('forced_reason'))}")
    return "<br>".join(out) or '<span class="muted">nobody had to answer</span>'


def _status(p: Mapping[str, Any]) -> str:
    if p.get("forced"):
        return "force-published" if p["status"] == "published" else "forced"
    return str(p["status"])


def closed_proposals(data: Mapping[str, Any]) -> str:
    closed = data.get("closed_proposals") or []
    if not closed:
        return '<p class="muted">No proposal was closed yet.</p>'
    rows = "".join(
        f"<tr><td><code>{_e(p['proposal_id'])}</code></td><td><code>{_e(p['asset'])}</code>"
        f" → {_e(p['proposed_version'])}</td><td>{_e(_status(p))}</td>"
        f"<td>{_e(p.get('reason'))}</td><td>{_answers(p)}</td><td>{_e(p['created_at'])}"
        f"</td><td>{_e(p.get('resolved_at'))}</td></tr>" for p in closed)
    return ("<table><tr><th>proposal</th><th>change</th><th>outcome</th><th>reason</th>"
            "<th>answers and comments</th><th>created</th><th>closed</th></tr>"
            f"{rows}</table>")


def _version(v: Mapping[str, Any]) -> str:
    who = f" by <b>{_e(v['published_by'])}</b>" if v.get("published_by") else ""
    at = f" on {_e(v['published_at'])}" if v.get("published_at") else ""
    head = (f"<b>{_e(v['version'])}</b>{at}{who}"
            + (f' <span class="tag">{_e(v["bump"])}</span>' if v.get("bump") else ""))
    lines = [head]
    if v.get("why"):
        lines.append(f'<span class="muted">{_e(v["why"])}</span>')
    proposal = v.get("proposal")
    if proposal:
        forced = " (force-published)" if proposal.get("forced") else ""
        reason = f": {_e(proposal['reason'])}" if proposal.get("reason") else ""
        lines.append(f"proposal <code>{_e(proposal['proposal_id'])}</code>{forced}{reason}")
    changes = "".join(
        f"<li><code>{_e(c['rule'])}</code> at <code>{_e(c['path'])}</code>"
        + (' <span class="tag blocked">breaking</span>' if c.get("breaking") else "")
        + f": {_e(c['message'])}</li>" for c in v.get("changes") or ())
    if changes:
        lines.append(f"<ul>{changes}</ul>")
    return "<br>".join(lines)


def changelogs(data: Mapping[str, Any]) -> str:
    logs = data.get("changelogs") or {}
    if not logs:
        return '<p class="muted">Nothing is published yet.</p>'
    parts = []
    for asset, versions in logs.items():
        entries = "".join(f"<li>{_version(v)}</li>" for v in versions)
        parts.append(f'<details open><summary><code>{_e(asset)}</code> · {len(versions)} '
                     f'version(s)</summary><ol class="changelog">{entries}</ol></details>')
    return "".join(parts)
