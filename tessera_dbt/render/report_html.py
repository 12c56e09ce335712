"""`tessera report` as one self-contained HTML file (pure: data in, text out): inline CSS
and SVG charts, no script, no network, no CDN, so it opens anywhere and can be mailed or
archived as is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from . import report_history

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9cfdb}main{padding:20px 28px;max-width:1200px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:16px 20px;
margin:0 0 18px}h2{font-size:16px;margin:0 0 12px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:12px 16px;
min-width:150px}.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;
border-bottom:1px solid #eef0f3;vertical-align:top}th{font-size:12px;color:#5b6474;
text-transform:uppercase;letter-spacing:.03em}
.tag{display:inline-block;border-radius:10px;padding:1px 8px;margin:1px 2px;font-size:12px;
background:#eef0f3}.waiting{background:#fff3cd;color:#7a5b00}
.approved,.migrating{background:#d9f2e3;color:#17603a}.blocked{background:#fbe0e0;
color:#8a1f1f}.muted{color:#8a93a3}code{font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px}
ol.changelog{margin:6px 0 10px;padding-left:22px}ol.changelog li{margin:0 0 8px}
details{margin:0 0 6px}summary{cursor:pointer}
.chart{border:1px solid #eef0f3;border-radius:6px;padding:8px}.chart h3{font-size:13px;
margin:0 0 4px;word-break:break-all}.rate{float:right;font-weight:600;margin-left:8px}
"""
GREEN, AMBER, RED, GREY = "#2e9d5b", "#d89b00", "#c93c3c", "#d5d9e0"


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _rate(runs: Sequence[int], passed: Sequence[int]) -> float | None:
    total = sum(runs)
    return sum(passed) / total if total else None


def _colour(rate: float) -> str:
    return GREEN if rate >= 0.95 else AMBER if rate >= 0.7 else RED


def bar_chart(runs: Sequence[int], passed: Sequence[int], start: str, width: int = 260,
              height: int = 64, label: str = "") -> str:
    """An SVG bar per day: its height the day's pass rate, grey when nothing ran."""
    days = max(len(runs), 1)
    step = width / days
    bar = max(step - 1.5, 1.0)
    parts = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height + 14}" viewBox="0 0 {width} {height + 14}" role="img" '
             f'aria-label="{_e(label)} pass rate per day">',
             f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="{GREY}"/>']
    first = dt.date.fromisoformat(start)
    for i, (total, ok) in enumerate(zip(runs, passed, strict=True)):
        x = i * step
        day = (first + dt.timedelta(days=i)).isoformat()
        if not total:
            parts.append(f'<rect x="{x:.1f}" y="{height - 2}" width="{bar:.1f}" height="2" '
                         f'fill="{GREY}"><title>{day}: no run</title></rect>')
            continue
        rate = ok / total
        h = max(rate * (height - 4), 2)
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" '
                     f'height="{h:.1f}" fill="{_colour(rate)}"><title>{day}: {ok}/{total} '
                     f'runs passed ({rate:.0%})</title></rect>')
    last = (first + dt.timedelta(days=days - 1)).isoformat()
    parts.append(f'<text x="0" y="{height + 12}" font-size="10" fill="#8a93a3">{first}</text>'
                 f'<text x="{width}" y="{height + 12}" font-size="10" fill="#8a93a3" '
                 f'text-anchor="end">{last}</text></svg>')
    return "".join(parts)


def _tags(teams: Sequence[str], cls: str = "") -> str:
    return "".join(f'<span class="tag {cls}">{_e(t)}</span>' for t in teams) \
        or '<span class="muted">none</span>'


def _contracts(data: Mapping[str, Any]) -> str:
    consumers = data.get("consumers") or {}
    rows = []
    for c in data["contracts"]:
        versions = ", ".join(
            f"{_e(v['version'])}" + (f' <span class="muted">({_e(v["published_at"])})</span>'
                                     if v.get("published_at") else "")
            for v in reversed(c["versions"]))
        rows.append(f"<tr><td><code>{_e(c['asset'])}</code></td><td>{_e(c['owner'])}</td>"
                    f"<td><b>{_e(c['current'])}</b></td><td>{_e(c['compatibility'])}</td>"
                    f"<td>{versions}</td><td>{len(consumers.get(c['asset']) or ())}</td></tr>")
    if not rows:
        return '<p class="muted">Nothing is published yet.</p>'
    return ("<table><tr><th>asset</th><th>owner</th><th>current</th><th>mode</th>"
            "<th>versions (newest first)</th><th>consumers</th></tr>" + "".join(rows)
            + "</table>")


def _proposals(data: Mapping[str, Any]) -> str:
    rows = []
    for p in data["proposals"]:
        comments = p.get("comments") or {}
        answered = "".join(
            f'<span class="tag {_e(r)}">{_e(t)}: {_e(r)}</span>'
            + (f' <span class="muted">“{_e(comments[t]["comment"])}”</span>'
               if (comments.get(t) or {}).get("comment") else "")
            for t, r in sorted((p.get("answers") or {}).items()))
        changes = "<br>".join(f"<code>{_e(c['rule'])}</code> at <code>{_e(c['path'])}</code>"
                              f": {_e(c['message'])}" for c in p["breaking_changes"])
        if p.get("reason"):
            changes = f"<i>{_e(p['reason'])}</i><br>{changes}"
        rows.append(
            f"<tr><td><code>{_e(p['proposal_id'])}</code></td><td><code>{_e(p['asset'])}"
            f"</code> → {_e(p['proposed_version'])}</td><td>{_e(p['status'])}</td>"
            f"<td>{_tags(p['waiting'], 'waiting')}{answered}</td><td>{_e(p['created_at'])}"
            f"</td><td>{_e(p['expires_at'])}</td><td>{changes}</td></tr>")
    if not rows:
        return '<p class="muted">No open proposal.</p>'
    return ("<table><tr><th>proposal</th><th>change</th><th>status</th><th>waiting on / "
            "answered</th><th>created</th><th>deadline</th><th>breaking changes</th></tr>"
            + "".join(rows) + "</table>")


def _consumers(data: Mapping[str, Any]) -> str:
    rows = [f"<tr><td><code>{_e(asset)}</code></td><td>"
            + "".join(f'<span class="tag" title="{_e(c.get("purpose"))}">{_e(c["team"])} '
                      f'<span class="muted">{_e(c["source"])}</span></span>' for c in teams)
            + "</td></tr>" for asset, teams in sorted((data.get("consumers") or {}).items())
            if teams]
    if not rows:
        return '<p class="muted">No consumer team is known.</p>'
    return "<table><tr><th>asset</th><th>consumer teams (source)</th></tr>" + "".join(rows) \
        + "</table>"


def _audit(data: Mapping[str, Any]) -> str:
    audit = data.get("audit") or {}
    if not audit:
        return ('<p class="muted">No audit runs in this period (or the audit models are not '
                'built / the source is an export without audit data).</p>')
    days = int(data["days"])
    total_runs, total_passed = [0] * days, [0] * days
    for series in audit.values():
        for i in range(days):
            total_runs[i] += series["runs"][i]
            total_passed[i] += series["passed"][i]
    overall = _rate(total_runs, total_passed)
    cards = []
    for asset, series in audit.items():
        rate = _rate(series["runs"], series["passed"])
        shown = "–" if rate is None else f"{rate:.0%}"
        chart = bar_chart(series["runs"], series["passed"], data["start"], label=asset)
        cards.append(f'<div class="chart"><h3><span class="rate">{shown}</span>{_e(asset)}'
                     f"</h3>{chart}</div>")
    head = (f"<p>All assets: <b>{'–' if overall is None else f'{overall:.0%}'}</b> of "
            f"{sum(total_runs)} runs passed over {days} days.</p>"
            + bar_chart(total_runs, total_passed, data["start"], width=720, height=120,
                        label="all assets"))
    return head + '<div class="charts">' + "".join(cards) + "</div>"


def _drift(data: Mapping[str, Any]) -> str:
    drift = data.get("drift")
    if drift is None:
        return ('<p class="muted">Drift is not part of an export: run `tessera drift` against '
                "the warehouse.</p>")
    if not drift:
        return ('<p class="muted">No drift recorded: every live relation matched its '
                "contract when last checked (`tessera drift`).</p>")
    rows = "".join(f"<tr><td><code>{_e(asset)}</code></td><td>{_e(line)}</td></tr>"
                   for asset, line in sorted(drift.items()))
    return f"<table><tr><th>asset</th><th>live relation against the contract</th></tr>{rows}" \
        "</table>"


def render_report(data: Mapping[str, Any]) -> str:
    """The whole HTML document."""
    title = f"tessera report: {data.get('project') or 'dbt project'}"
    waiting = sorted({t for p in data["proposals"] for t in p["waiting"]})
    cards = [("contracts", len(data["contracts"])), ("open proposals", len(data["proposals"])),
             ("teams waited on", len(waiting)), ("audited assets", len(data.get("audit") or {})),
             ("drifted relations", len(data.get("drift") or {})),
             ("failing guarantees", len(data.get("failing") or ()))]
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p>{_e(data.get('source'))} · generated "
        f"{_e(data.get('generated_at'))} UTC · audit window {_e(data.get('days'))} days</p>"
        "</header><main>",
        '<div class="cards">' + "".join(f'<div class="card"><b>{n}</b>{_e(label)}</div>'
                                        for label, n in cards) + "</div>",
        f'<section id="proposals"><h2>Open proposals</h2>{_proposals(data)}</section>',
        f'<section id="teams"><h2>Per team</h2>{report_history.teams(data)}</section>',
        f'<section id="failing"><h2>Failing guarantees</h2>{report_history.failing(data)}'
        "</section>",
        f'<section id="drift"><h2>Drift</h2>{_drift(data)}</section>',
        f'<section id="audit"><h2>Audit pass rate per asset</h2>{_audit(data)}</section>',
        f'<section id="contracts"><h2>Contracts and versions</h2>{_contracts(data)}</section>',
        f'<section id="changelog"><h2>Changelog</h2>{report_history.changelogs(data)}'
        "</section>",
        f'<section id="history"><h2>Closed proposals</h2>'
        f"{report_history.closed_proposals(data)}</section>",
        f'<section id="consumers"><h2>Consumers per asset</h2>{_consumers(data)}</section>',
        "</main></body></html>\n"])
