"""What a run's artifacts cannot tell, one line per capability lost.

dbt 2.x writes manifest.json under the same v12 URL and run_results.json v6, but not
field-identical to dbt 1.x's: results without `message`, `failures` or `compiled_code`,
the nodes that errored left out, nodes without compiled SQL. Every reader takes them as
they are; these lines say once what that costs, instead of a traceback or a silent gap.
"""

from __future__ import annotations

import re

from .readers import Manifest, RunResults


def major_version(version: str) -> int:
    """2 for '2.0.0-rc9', 1 for '1.11.2', 0 when unreadable."""
    match = re.match(r"\s*(\d+)", version or "")
    return int(match.group(1)) if match else 0


def run_results_degradations(run: RunResults) -> list[str]:
    lines = []
    if "message" in run.missing:
        lines.append("test messages unavailable: run_results.json carries none; audit rows "
                     "are recorded without them")
    if "failures" in run.missing:
        lines.append("failure counts unavailable: run_results.json carries none; a failed "
                     "test is recorded with its status only")
    if major_version(run.dbt_version) >= 2:
        lines.append(f"errored nodes unavailable: dbt {run.dbt_version} leaves them out of "
                     "run_results.json; a model that errored is not published (it is not "
                     "listed as built), and its tests that errored are not audited")
    return lines


def manifest_degradations(manifest: Manifest) -> list[str]:
    models = [n for n in manifest.nodes.values() if n.get("resource_type") == "model"]
    if models and not any(n.get("compiled_code") or n.get("compiled_sql") for n in models):
        return ["column lineage unavailable: no compiled SQL in the manifest (run "
                "`dbt compile` first); a downstream model counts as reading every column"]
    return []
