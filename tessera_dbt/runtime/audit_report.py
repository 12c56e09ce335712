"""`tessera audit` / `dbt run-operation tessera.audit`: audit history, trends and alerts in
the terminal, read from the BI models (tessera_audit_runs, _trends, _guarantees, _alerts).

It runs as a read-only dbt operation so the warehouse is reached only through the user's
dbt profile, and the figures are the models' own: the terminal and a dashboard agree. The
report is built as plain data (`build_report`, JSON with stable keys) and rendered as text
(`render_text`) with a sparkline of the pass rate per day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..artifacts.nodes import asset_name
from ..engine.errors import ConfigError
from ..engine.text import table
from ..state.sql import literal
from .invocation import Invocation
from .operation_args import check_args, raw_args

ARGS: dict[str, tuple[type, bool]] = {
    "model": (str, False), "days": (int, False), "format": (str, False)}
MARTS = ("tessera_audit_runs", "tessera_audit_trends", "tessera_audit_guarantees",
         "tessera_audit_alerts")
WINDOWS = ("24h", "7d", "30d")
DEFAULT_DAYS = 14
MAX_DAYS = 366
HISTORY_ROWS = 10
BLOCKS = "▁▂▃▄▅▆▇█"
NO_RUN = "·"


def sparkline(rates: Sequence[float | None]) -> str:
    """One character per day: ▁ (0 %) to █ (100 %) pass rate; · for a day without runs.

    >>> sparkline([None, 0.0, 0.5, 1.0])
    '·▁▅█'
    """
    return "".join(NO_RUN if r is None else BLOCKS[round(r * (len(BLOCKS) - 1))]
                   for r in rates)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):  # PostgreSQL sums are numeric
        return round(float(value), 4)
    return value


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in row.items()}


def _int(value: Any) -> int:
    return int(value or 0)


def build_report(days: int, today: dt.date, trends: Sequence[Mapping[str, Any]],
                 alerts: Sequence[Mapping[str, Any]], guarantees: Sequence[Mapping[str, Any]],
                 daily: Sequence[Mapping[str, Any]], history: Sequence[Mapping[str, Any]] = (),
                 failed_by_run: Mapping[str, Sequence[str]] | None = None,
                 asset: str | None = None) -> dict[str, Any]:
    """The report as plain data with stable keys (the JSON output)."""
    dates = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    per_day: dict[tuple[str, str], Mapping[str, Any]] = {
        (row["asset"], str(row["run_date"])[:10]): row for row in daily}
    assets = []
    for trend in sorted(trends, key=lambda r: r["asset"]):
        name = trend["asset"]
        days_out = []
        for date in dates:
            row = per_day.get((name, date.isoformat()))
            runs, passed = (_int(row["runs"]), _int(row["passed"])) if row else (0, 0)
            days_out.append({"date": date.isoformat(), "runs": runs, "passed": passed,
                             "pass_rate": round(passed / runs, 4) if runs else None})
        entry: dict[str, Any] = {
            "asset": name,
            "last_run": {"executed_at": _json_value(trend["last_run_at"]),
                         "status": trend["last_run_status"],
                         "has_warnings": bool(trend["last_run_has_warnings"]),
                         "invocation_id": trend["last_invocation_id"],
                         "contract_version": trend["last_contract_version"]},
            "windows": {w: {"runs": _int(trend[f"runs_{w}"]),
                            "passed": _int(trend[f"passed_{w}"]),
                            "failed": _int(trend[f"failed_{w}"]),
                            "partial": _int(trend[f"partial_{w}"]),
                            "failure_rate": _json_value(trend[f"failure_rate_{w}"])}
                        for w in WINDOWS},
            "most_failing_guarantees": [
                {"guarantee": g["guarantee"], "failures_7d": _int(g["failures_7d"]),
                 "checks_7d": _int(g["checks_7d"]), "failures_30d": _int(g["failures_30d"]),
                 "last_failed_at": _json_value(g["last_failed_at"])}
                for g in sorted((g for g in guarantees if g["asset"] == name),
                                key=lambda g: (-_int(g["failures_7d"]),
                                               -_int(g["failures_30d"]), g["guarantee"]))],
            "daily": days_out,
            "sparkline": sparkline([d["pass_rate"] for d in days_out]),
            "alerts": [{k: _json_value(a[k]) for k in ("alert", "guarantee", "observed",
                                                        "threshold", "runs", "message")}
                       for a in sorted((a for a in alerts if a["asset"] == name),
                                       key=lambda a: (a["alert"], a["guarantee"] or ""))],
        }
        if asset is not None:
            entry["history"] = [
                {**_clean(run), "failed_guarantees": sorted(
                    (failed_by_run or {}).get(run["invocation_id"], ()))}
                for run in sorted(history, key=lambda r: (r["executed_at"], r["invocation_id"]),
                                  reverse=True)[:HISTORY_ROWS]]
        assets.append(entry)
    return {"asset": asset, "days": days, "as_of": today.isoformat(), "assets": assets,
            "alert_count": sum(len(a["alerts"]) for a in assets)}


def _percent(rate: Any) -> str:
    return "-" if rate is None else f"{float(rate):.0%}"


def render_text(report: Mapping[str, Any]) -> list[str]:
    assets = report["assets"]
    if not assets:
        what = report["asset"] or "any asset"
        return [f"No audit results for {what} yet: they are recorded by the on-run-end hook "
                "of `dbt build` / `dbt test` (or `tessera audit ingest`)."]
    lines = [f"tessera audit: {len(assets)} asset(s), pass rate per day over the last "
             f"{report['days']} days (· no run), {report['alert_count']} alert(s)"]
    for entry in assets:
        last = entry["last_run"]
        warned = " with warnings" if last["has_warnings"] else ""
        version = f", contract {last['contract_version']}" if last["contract_version"] else ""
        lines += ["", f"{entry['asset']}",
                  f"  last run  {last['status']}{warned} at {last['executed_at']}{version}",
                  f"  per day   {entry['sparkline']}"]
        for window in WINDOWS:
            w = entry["windows"][window]
            lines.append(f"  {window:<4}      {w['runs']} run(s): {w['passed']} passed, "
                         f"{w['failed']} failed, {w['partial']} partial; failure rate "
                         f"{_percent(w['failure_rate'])}")
        failing = [g for g in entry["most_failing_guarantees"] if g["failures_7d"]][:3]
        if failing:
            lines.append("  most failing (7 d): " + ", ".join(
                f"{g['guarantee']} ×{g['failures_7d']}" for g in failing))
        lines += [f"  ALERT {a['alert']}: {a['message']}" for a in entry["alerts"]]
        if "history" in entry:
            lines += ["", "  history (newest first):"]
            rows = [(run["executed_at"], run["status"] + ("+warn" if run["has_warnings"] else ""),
                     run["tests_passed"], run["tests_warned"], run["tests_failed"],
                     run["tests_errored"], run["tests_skipped"], run["contract_version"] or "-",
                     ", ".join(run["failed_guarantees"]) or "-")
                    for run in entry["history"]]
            lines += ["  " + line for line in table(
                ("executed_at", "status", "pass", "warn", "fail", "error", "skip", "version",
                 "failed guarantees"), rows).splitlines()]
    return lines


class AuditReader(Invocation):
    """Reads the audit models through the dbt adapter of the invocation."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__(payload)
        marts = payload.get("marts") or {}
        missing = [name for name in MARTS if not (marts.get(name) or {}).get("exists")]
        if missing:
            raise ConfigError(f"the audit models are not built ({', '.join(missing)})",
                              "run `dbt run --select tessera` (or any `dbt build`) first")
        self.marts = {name: str(marts[name]["relation"]) for name in MARTS}

    def _where(self, asset: str | None, *conditions: str) -> str:
        parts = [*conditions, *([f"asset = {literal(asset, self.store.dialect)}"]
                                if asset else [])]
        return (" where " + " and ".join(parts)) if parts else ""

    def report(self, model: str | None, days: int) -> dict[str, Any]:
        asset = asset_name(self.find_asset(model)[1]) if model else None
        today = self.now.date()
        start = literal(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time()),
                        self.store.dialect)
        m, select = self.marts, self.store.select
        trends = select(f"select * from {m['tessera_audit_trends']}{self._where(asset)}")
        alerts = select(f"select * from {m['tessera_audit_alerts']}{self._where(asset)}")
        guarantees = select(f"select * from {m['tessera_audit_guarantees']}"
                            f"{self._where(asset, 'failures_30d > 0')}")
        recent = f"executed_at >= {start}"
        counted = self._where(asset, "status != 'skipped'", recent)
        daily = select(
            "select asset, cast(executed_at as date) as run_date, count(*) as runs, "
            "sum(case when status = 'passed' then 1 else 0 end) as passed "
            f"from {m['tessera_audit_runs']}{counted} "
            "group by asset, cast(executed_at as date)")
        history: list[dict[str, Any]] = []
        failed_by_run: dict[str, list[str]] = {}
        if asset:
            history = select(f"select * from {m['tessera_audit_runs']}"
                             f"{self._where(asset, recent)}")
            log = self.store.relations["tessera_audit_log"]["relation"]
            failed = self._where(asset, "status in ('fail', 'error')", recent)
            for row in select("select distinct invocation_id, "
                              f"coalesce(guarantee, test_name) as guarantee from {log}{failed}"):
                failed_by_run.setdefault(row["invocation_id"], []).append(row["guarantee"])
        return build_report(days, today, trends, alerts, guarantees, daily, history,
                            failed_by_run, asset)


def audit_report(payload: dict[str, Any]) -> dict[str, Any]:
    args = check_args("audit", raw_args("audit", payload), ARGS)
    days = args.get("days", DEFAULT_DAYS)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"tessera.audit: days must be between 1 and {MAX_DAYS}, got {days}")
    fmt = args.get("format", "text")
    if fmt not in ("text", "json"):
        raise ConfigError(f"tessera.audit: format must be text or json, got {fmt!r}")
    report = AuditReader(payload).report(args.get("model"), days)
    if fmt == "json":
        return {"lines": [json.dumps(report, ensure_ascii=False, default=str)]}
    return {"lines": render_text(report)}
