"""`dbt run-operation tessera.report`: the report's data read from the state tables in the
dbt process (read-only), assembled by `render.report_data` and rendered by
`render.report_html`; and the one way a report file is written."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from typing import Any

from ..engine.errors import ConfigError
from ..engine.vocabulary import PROPOSAL_EVENTS, REGISTRATION_EVENTS
from ..render.report_data import report_data
from ..state.export import PublishedState
from ..state.folds import current_drift, fold_proposals, fold_registrations
from ..state.history import failing_guarantees, when
from ..state.sql import literal
from ..state.store import AUDIT, EVENTS
from .invocation import Invocation
from .operation_args import check_args, raw_args

ARGS: dict[str, tuple[type, bool]] = {"out": (str, True), "days": (int, False)}
DEFAULT_DAYS = 30
MAX_DAYS = 365


def _umask() -> int:
    """The process's umask (reading it means setting it: it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(out: str, text: str) -> None:
    """All or nothing: a temporary file beside `out`, renamed over it once complete."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ConfigError(f"{out}: the directory {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=".tessera_report.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        # mkstemp makes the file private (0600); a report is written as any file the user
        # creates, e.g. 0644 under umask 022
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class ReportReader(Invocation):
    """Reads the state tables (and tessera_audit_runs, when built) read-only."""

    def gather(self, days: int) -> dict[str, Any]:
        state = PublishedState({}, project=self.manifest.project_name,
                               target=self.target_name)
        published: dict[str, dict[str, Any]] = {}
        publications: dict[str, list[dict[str, Any]]] = {}
        drift: dict[str, str] = {}
        start = dt.datetime.combine(self.now.date() - dt.timedelta(days=days - 1), dt.time())
        if self.store.relations[EVENTS].get("exists"):
            heads = self.store.published_heads()
            histories = self.store.contract_histories(list(heads))
            drift = current_drift(self.store.events(("drift_detected",)), heads)
            state = PublishedState(
                histories, fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now,
                               self.membership),
                fold_registrations(self.store.events(REGISTRATION_EVENTS)),
                self.manifest.project_name, self.target_name)
            for asset, entries in self.store.publications().items():
                for at, version in entries:
                    published.setdefault(asset, {}).setdefault(str(version), at)
            for row in self.store.events(("contract_published",)):
                publications.setdefault(str(row["asset"]), []).append(row)
        failing = []
        if self.store.relations[AUDIT].get("exists"):
            failing = failing_guarantees(self.store.select(
                "select asset, guarantee, test_unique_id, test_name, status, failures, "
                f"message, executed_at from {self.store.relations[AUDIT]['relation']} "
                f"where executed_at >= {literal(start, self.store.dialect)}"))
        runs = (self.payload.get("marts") or {}).get("tessera_audit_runs") or {}
        daily: list[dict[str, Any]] = []
        if runs.get("exists"):
            daily = self.store.select(
                "select asset, cast(executed_at as date) as run_date, count(*) as runs, "
                "sum(case when status = 'passed' then 1 else 0 end) as passed "
                f"from {runs['relation']} where status != 'skipped' and executed_at >= "
                f"{literal(start, self.store.dialect)} "
                "group by asset, cast(executed_at as date)")
        return report_data(state, published, daily, days=days, today=self.now.date(),
                           generated_at=when(self.now) or "",
                           source=f"warehouse, target {self.target_name}", drift=drift,
                           publications=publications, failing=failing)


def report(payload: dict[str, Any]) -> dict[str, Any]:
    """`dbt run-operation tessera.report --args '{out: report.html, days: 30}'`."""
    from ..render.report_html import render_report

    args = check_args("report", raw_args("report", payload), ARGS)
    days = args.get("days", DEFAULT_DAYS)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"tessera.report: days must be between 1 and {MAX_DAYS}, "
                          f"got {days}")
    data = ReportReader(payload).gather(days)
    write_atomically(args["out"], render_report(data))
    return {"lines": [f"Wrote {args['out']}: {len(data['contracts'])} contract(s), "
                      f"{len(data['proposals'])} open proposal(s), "
                      f"{len(data['audit'])} audited asset(s)."]}
