"""`tessera gate` and `tessera record`: the package hooks' jobs for a dbt that loads no
plugin (dbt Core v2). Both run through the dbt 1.x and adapter installed beside this CLI,
with the user's profiles.yml (docs/dbt-v2.md):

    tessera gate && dbt build; tessera record
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from typing import Any

from ..engine.errors import ConfigError
from .dbt_operation import OperationFailed, dbt_operation
from .parser import EXIT_FAIL, EXIT_OK, write


def _selected(args: argparse.Namespace) -> list[str] | None:
    """The unique_ids of the models, seeds and snapshots dbt's selection names (`dbt ls`),
    or None when nothing narrows it."""
    if not (args.select or args.exclude or args.selector):
        return None
    from ..runtime.runner import invoke

    argv = ["ls", "--project-dir", args.project_dir, "--output", "json",
            "--output-keys", "unique_id", "--quiet", "--log-level", "none"]
    for kind in ("model", "seed", "snapshot"):
        argv += ["--resource-type", kind]
    for flag, value in (("--select", args.select), ("--exclude", args.exclude)):
        if value:
            argv += [flag, *value]
    for flag in ("selector", "profiles_dir", "target"):
        if getattr(args, flag):
            argv += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    run = invoke(argv, capture_stdout=True, private_paths=True)
    if not run.success:
        raise ConfigError(f"dbt could not resolve the selection: "
                          f"{run.operation_error('dbt ls failed')}")
    return [json.loads(line)["unique_id"] for line in run.result or ()]


def cmd_gate(args: argparse.Namespace) -> int:
    op_args: dict[str, Any] = {}
    selected = _selected(args)
    if selected is not None:
        op_args["selected"] = selected
    lines = dbt_operation(args, "tessera.gate_check", op_args)
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ConfigError("tessera.gate_check printed no verdict",
                          "run `dbt run-operation tessera.gate_check` to see why") from None
    code = EXIT_FAIL if report["blocked"] or report["errors"] else EXIT_OK
    if args.format == "json":
        write(json.dumps({**report, "exit_code": code}, indent=2, sort_keys=True))
    else:
        for line in verdict_lines(report):
            write(line)
    return code


def verdict_lines(report: Mapping[str, Any]) -> list[str]:
    lines = [*report.get("messages", []), *(f"WARNING {f}" for f in report["findings"])]
    lines += [f"BLOCKED {b['line']}" for b in report["blocked"]]
    lines += [f"ERROR {e['line']}" for e in report["errors"]]
    if report["mode"] == "off":
        return [*lines, "the gate is off (vars.tessera.gate: off): nothing was checked"]
    verdict = "blocked" if report["blocked"] or report["errors"] else "passed"
    return [*lines, f"gate {verdict}: {report['checked']} asset(s) selected, "
                    f"{len(report['blocked'])} unapproved breaking change(s), "
                    f"{len(report['errors'])} that cannot be judged"]


def cmd_record(args: argparse.Namespace) -> int:
    run_results = args.run_results or os.path.join(args.project_dir, "target",
                                                   "run_results.json")
    op_args = {"run_results": os.path.abspath(run_results)}
    if args.manifest:
        op_args["manifest"] = os.path.abspath(args.manifest)
    try:
        lines = dbt_operation(args, "tessera.record", op_args)
    except OperationFailed as exc:
        text = str(exc)
        if "record failed" not in text:
            raise
        # an asset could not be recorded: what was printed (each asset's error), then the
        # error alone, without dbt's "Compilation Error in macro ..." around it
        for line in exc.printed:
            write(line)
        end = text.find(" > in macro")
        write("tessera: " + text[text.index("record failed"):end if end > 0 else None])
        return EXIT_FAIL
    for line in lines:
        write(line)
    return EXIT_OK

