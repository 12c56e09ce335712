"""`tessera report` on a 3,000-model synthetic project: building the report's data from
the published state and rendering the self-contained HTML.

The state is made from a synthetic manifest (bench.synthetic_manifest): every asset under
contract published twice (1.0.0, then 1.1.0 with a column added), one asset in 20 with an
open proposal waiting on two teams, 30 days of audit runs per asset (one to three a day,
some failing). The timed step is what `tessera report` does after reading the warehouse:
`render.report_data.report_data` then `render.report_html.render_report`, best of N in
process, against a baseline measured in the same process: `json.dumps` of the same state
(histories and audit rows), the cost of merely serialising what the report shows.
Acceptance target: the report of the 3,000-model project in at most 5.0 s.

    python -m bench.report_html [--models N] [--days N] [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.proposal import Proposal
from tessera_dbt.render.report_data import report_data
from tessera_dbt.render.report_html import render_report
from tessera_dbt.state.export import PublishedState

from ._common import Figure, best_of, table, workdir
from .synthetic_manifest import DEFAULT_SEED, generate

NAME = "report_html"
DEFAULT_MODELS = 3000
DEFAULT_DAYS = 30
DEFAULT_REPEATS = 3
TARGET_SECONDS = 5.0
TODAY = dt.date(2026, 1, 31)


def synthetic_state(manifest_path: Path, days: int, seed: int = DEFAULT_SEED
                    ) -> tuple[PublishedState, dict[str, dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    documents = extract_contracts(load_manifest(str(manifest_path)), all_assets=True)
    histories, published, proposals = {}, {}, {}
    start = dt.datetime.combine(TODAY - dt.timedelta(days=days - 1), dt.time(6))
    for i, doc in enumerate(documents):
        first = {**doc, "version": "1.0.0"}
        second = json.loads(json.dumps(first))
        second["version"] = "1.1.0"
        second["schema"]["properties"]["added_column"] = {"type": ["string", "null"]}
        histories[doc["asset"]] = [first, second]
        published[doc["asset"]] = {"1.0.0": start, "1.1.0": start + dt.timedelta(days=3)}
        if i % 20 == 0:
            pid = f"p_{i:016x}"
            proposals[pid] = Proposal(
                pid, doc["asset"], "pending", "2.0.0", None, ["finance", "marketing"],
                start.isoformat(), (start + dt.timedelta(days=40)).isoformat(), "bench",
                [{"rule": "COLUMN_REMOVED", "path": "id", "message": "Column `id` removed."}],
                {}, {"finance": {"response": "approved"}})
    daily = []
    for asset in histories:
        for d in range(days):
            runs = rng.randint(1, 3)
            daily.append({"asset": asset, "run_date": TODAY - dt.timedelta(days=d),
                          "runs": runs, "passed": runs - (rng.random() < 0.1)})
    registrations = {a: {"ml": "features"} for a in list(histories)[::7]}
    state = PublishedState(histories, proposals, registrations, "synthetic", "prod")
    return state, published, daily


def build(state: PublishedState, published: dict[str, dict[str, Any]],
          daily: list[dict[str, Any]], days: int) -> str:
    data = report_data(state, published, daily, days=days, today=TODAY,
                       generated_at="2026-01-31 12:00", source="bench")
    return render_report(data)


def run(models: int = DEFAULT_MODELS, days: int = DEFAULT_DAYS,
        repeats: int = DEFAULT_REPEATS, keep: str | None = None,
        out: TextIO | None = None) -> list[Figure]:
    with workdir(keep, "tessera_bench_report.") as base:
        base.mkdir(parents=True, exist_ok=True)
        manifest = base / "manifest.json"
        generate(manifest, models=models)
        state, published, daily = synthetic_state(manifest, days)
        html = build(state, published, daily, days)  # warm-up, and the file for the record
        (base / "report.html").write_text(html, encoding="utf-8")
        seconds, cpu = best_of(repeats, lambda: build(state, published, daily, days))
        baseline, _ = best_of(repeats, lambda: json.dumps(
            {"histories": state.histories, "audit": daily}, default=str))
        print(f"[{NAME}] {len(state.histories)} assets, {len(state.proposals)} open "
              f"proposals, {len(daily)} daily audit rows; report {len(html) / 1e6:.1f} MB, "
              f"{html.count('<svg')} charts", file=out, flush=True)
        print(table(("step", "wall s", "cpu s"),
                    [("report_data + render_report", f"{seconds:.3f}", f"{cpu:.3f}"),
                     ("json.dumps (baseline)", f"{baseline:.3f}", "-")]), file=out)
        target = TARGET_SECONDS * models / DEFAULT_MODELS
        print(f"[{NAME}] ratio {seconds / baseline:.2f} against json.dumps; "
              f"target <= {target:g} s", file=out, flush=True)
    return [Figure(NAME, f"report of {models} models", seconds, "json.dumps", baseline,
                   f"total <= {target:g} s", seconds <= target)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=DEFAULT_MODELS,
                        help=f"models in the synthetic project (default {DEFAULT_MODELS})")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS,
                        help=f"days of audit history (default {DEFAULT_DAYS})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"best of how many runs (default {DEFAULT_REPEATS})")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the manifest and report.html in DIR")
    args = parser.parse_args(argv)
    figures = run(args.models, args.days, args.repeats, args.keep)
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
