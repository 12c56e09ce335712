"""The `tessera` command line. The only module that prints verdicts and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import TesseraError

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"tessera: error: {message} (see `{self.prog} --help`)\n")
        sys.exit(EXIT_ERROR)


def _add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument("--format", choices=choices, default="text",
                        help="output format (default: text)")


def _add_dbt_location(parser: argparse.ArgumentParser,
                      target_help: str = "the dbt target (dbt's default)") -> None:
    """Where dbt finds the project and the user's profile, as dbt's own flags say it."""
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: .)")
    parser.add_argument("--profiles-dir", help="where profiles.yml is (dbt's default)")
    parser.add_argument("--target", help=target_help)


def _operation_argv(args: argparse.Namespace, macro: str, op_args: dict[str, Any],
                    *log_flags: str) -> list[str]:
    """`dbt run-operation MACRO --args ...` in the project, profile and target given."""
    import json

    command = ["run-operation", macro, "--args", json.dumps(op_args),
               "--project-dir", args.project_dir, *log_flags]
    for flag in ("profiles_dir", "target"):
        if getattr(args, flag):
            command += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tessera", description="Data-contract coordination for dbt.")
    parser.add_argument("--version", action="version", version=f"tessera-dbt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    contracts = commands.add_parser(
        "contracts", help="the contract documents a dbt project defines",
        description="Extract one contract document per asset under contract from a manifest.")
    contracts.add_argument("--manifest", default="target/manifest.json",
                           help="path to manifest.json (default: target/manifest.json)")
    contracts.add_argument("--select", action="append", default=[], metavar="NAME",
                           help="only this model, seed, snapshot or source (repeatable); "
                                "name, name.vN, unique_id or asset name")
    contracts.add_argument("--consumer-manifest", action="append", default=[], metavar="PATH",
                           help="manifest of another dbt project that refs this project's "
                                "public models (repeatable)")
    contracts.add_argument("--all", action="store_true", dest="all_assets",
                           help="every model, seed, snapshot and source, "
                                "under contract or not")
    _add_format(contracts, ("text", "json", "yaml"))

    diff = commands.add_parser(
        "diff", help="classify the change between two contract documents",
        description="Compare two contract documents (YAML or JSON) and classify every change.")
    diff.add_argument("old", metavar="OLD", help="the published contract document")
    diff.add_argument("new", metavar="NEW", help="the proposed contract document")
    diff.add_argument("--mode", help="compatibility mode (default: the one stored in OLD)")
    diff.add_argument("--run-results", metavar="PATH",
                      help="run_results.json of the build that produced NEW: passing tests "
                           "verify tightened guarantees")
    diff.add_argument("--history", action="append", default=[], metavar="PATH",
                      help="an earlier published version, for *_transitive modes (repeatable, "
                           "oldest first; OLD is the newest)")
    _add_format(diff, ("text", "json"))

    impact = commands.add_parser(
        "impact", help="everything downstream of a model, with depth and owners",
        description="List the models, snapshots and exposures downstream of MODEL, "
                    "transitively, with their depth and owning team.")
    impact.add_argument("model", metavar="MODEL", help="name, name.vN or unique_id")
    impact.add_argument("--manifest", default="target/manifest.json",
                        help="path to manifest.json (default: target/manifest.json)")
    impact.add_argument("--column", action="append", default=[], metavar="COL",
                        help="say, per downstream node, whether it reads this column of MODEL "
                             "and why, from the compiled SQL (repeatable; docs/lineage.md)")
    _add_format(impact, ("text", "json"))

    check = commands.add_parser(
        "check", help="the dbt CI gate: may this change ship?",
        description="Check every asset under contract in the manifest against production's "
                    "published state. Exit 0 when nothing unapproved breaks, 1 when something "
                    "does, 2 on bad input.")
    check.add_argument("--manifest",
                       help="the pull request's manifest.json (default: "
                            "<project-dir>/target/manifest.json)")
    baseline = check.add_mutually_exclusive_group(required=True)
    baseline.add_argument("--baseline", metavar="PATH",
                          help="a directory written by `tessera export`, or a production "
                               "manifest.json")
    baseline.add_argument("--state-from-warehouse", action="store_true",
                          help="read the published contracts and proposals through your dbt "
                               "profile")
    _add_dbt_location(check, target_help="the dbt target whose published state counts "
                                         "(default: vars.tessera.state_target, else the "
                                         "profile's target)")
    check.add_argument("--run-results", metavar="PATH",
                       help="run_results.json of the build: passing tests verify tightened "
                            "guarantees")
    check.add_argument("--consumer-manifest", action="append", default=[], metavar="PATH",
                       help="manifest of another dbt project that refs this project's "
                            "public models (repeatable)")
    check.add_argument("--all", action="store_true", dest="all_assets",
                       help="every model, seed, snapshot and source, under contract or not")
    _add_format(check, ("text", "json", "markdown", "github"))

    from .operation_args import OPERATION_ARGS

    for name, spec in OPERATION_ARGS.items():
        sub = commands.add_parser(
            name.replace("_", "-"),
            help=f"dbt run-operation tessera.{name}, through your dbt profile",
            description=f"Runs `dbt run-operation tessera.{name}` in the dbt project, with "
                        "the same code path as the dbt CLI.")
        for arg, (_, required) in spec.items():
            sub.add_argument(f"--{arg.replace('_', '-')}", dest=arg, required=required)
        _add_dbt_location(sub)
        sub.set_defaults(operation=name)

    audit = commands.add_parser(
        "audit", help="audit history, trends and alerts per asset (`audit ingest`: record "
                      "run_results/sources files)",
        description="What every dbt test said about every guarantee over time: runs, failure "
                    "rates over 24 h / 7 d / 30 d, alerts and a pass-rate sparkline, read from "
                    "the tessera_audit_* models through your dbt profile. `tessera audit ingest "
                    "--run-results PATH [--manifest PATH] [--sources PATH]` records runs made "
                    "without the on-run-end hook (e.g. dbt Cloud artifacts).")
    audit.add_argument("model", nargs="?", metavar="MODEL",
                       help="one model, seed, snapshot or source (name, name.vN or unique_id); "
                            "`ingest` records artifacts instead")
    audit.add_argument("--days", type=int, default=14,
                       help="days of history and of the sparkline (default: 14)")
    _add_format(audit, ("text", "json"))
    ingest = audit.add_argument_group("tessera audit ingest")
    ingest.add_argument("--run-results", action="append", default=[], metavar="PATH",
                        help="run_results.json of a dbt build/test to record (repeatable)")
    ingest.add_argument("--sources", action="append", default=[], metavar="PATH",
                        help="sources.json of `dbt source freshness` to record (repeatable)")
    ingest.add_argument("--manifest", metavar="PATH",
                        help="manifest.json of those runs (default: the project's own)")
    _add_dbt_location(audit)

    demo = commands.add_parser(
        "demo", help="the end-to-end story on an embedded DuckDB warehouse",
        description="Build a multi-team example project with dbt on DuckDB (in a temporary "
                    "directory) and walk through contracts and changes.")
    demo.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "operation", None):
            return cmd_operation(args)
        return _COMMANDS[args.command](args)
    except TesseraError as exc:
        sys.stderr.write(f"tessera {args.command}: error: {exc.one_line()}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_contracts(args: argparse.Namespace) -> int:
    from .artifacts import load_manifest
    from .contracts import extract_contracts
    from .documents import dump_json, dump_yaml
    from .render import contracts_table

    manifest = load_manifest(args.manifest)
    consumers = [load_manifest(path) for path in args.consumer_manifest]
    documents = extract_contracts(manifest, select=args.select, consumer_manifests=consumers,
                                  all_assets=args.all_assets)
    if args.format == "json":
        _write(dump_json(documents, pretty=sys.stdout.isatty()))
    elif args.format == "yaml":
        _write(dump_yaml(documents[0] if len(args.select) == 1 and documents else documents))
    else:
        _write(contracts_table(documents, manifest))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .artifacts import load_run_results
    from .compat import diff_documents
    from .documents import dump_json, load_document
    from .render import diff_text

    old = load_document(args.old)
    new = load_document(args.new)
    history = [load_document(path) for path in args.history]
    passed: frozenset[str] = frozenset()
    if args.run_results:
        results = load_run_results(args.run_results)
        passed = frozenset(r.unique_id for r in results.results if r.status == "pass")
    report = diff_documents(old, new, mode=args.mode, passed_tests=passed,
                           history=history, verified_by_run=bool(args.run_results))
    payload: dict[str, Any] = report.to_json()
    if args.format == "json":
        _write(dump_json(payload))
    else:
        _write(diff_text(report, model=(new.get("x-dbt") or {}).get("name")))
    return EXIT_OK


def cmd_impact(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .artifacts import load_manifest
    from .contracts import find_node
    from .documents import dump_json
    from .impact import downstream
    from .render import table

    manifest = load_manifest(args.manifest)
    unique_id, _ = find_node(manifest, args.model)
    impacted = downstream(manifest, unique_id)
    reads = _column_reads(manifest, unique_id, args.column) if args.column else {}
    if args.format == "json":
        rows = [{**asdict(i), **({"columns": reads[i.unique_id]} if reads else {})}
                for i in impacted]
        _write(dump_json({"model": unique_id, "downstream": rows}))
        return EXIT_OK
    if not impacted:
        _write(f"Nothing is downstream of {unique_id}.")
        return EXIT_OK
    teams = sorted({i.owner for i in impacted if i.owner})
    _write(f"{len(impacted)} downstream of {unique_id} (teams: {', '.join(teams) or '-'})\n")
    header = ("depth", "name", "type", "owner", "via")
    columns = [f"reads {c}" for c in args.column]
    _write(table((*header, *columns),
                 [(i.depth, i.name, i.resource_type, i.owner or "-", i.via,
                   *(("yes" if reads[i.unique_id][c]["reads"] else "no") for c in args.column))
                  for i in impacted]))
    for i in impacted:
        for reason in dict.fromkeys(r for c in args.column
                                    for r in reads[i.unique_id][c]["reasons"]):
            _write(f"  {reason}")
    return EXIT_OK


def _column_reads(manifest: Any, unique_id: str, columns: Sequence[str]
                  ) -> dict[str, dict[str, dict[str, Any]]]:
    """node → column → {reads, reasons}, from the compiled SQL (cached in target/)."""
    from .lineage import column_reads, default_cache

    found = column_reads(manifest, unique_id, cache=default_cache(manifest))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for uid, node_reads in found.items():
        out[uid] = {}
        for column in columns:
            reasons = node_reads.reasons_for(frozenset({column.lower()}))
            out[uid][column] = {"reads": bool(reasons), "reasons": reasons}
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from . import check_io
    from .check_render import render
    from .errors import ConfigError

    if args.baseline and args.target:
        raise ConfigError("--target picks the warehouse state of --state-from-warehouse; "
                          "--baseline PATH has none", "drop --target or --baseline")
    target = check_io.state_target(args.project_dir, args.target) \
        if args.state_from_warehouse else None

    def read_baseline() -> check_io.Baseline:
        if args.baseline:
            return check_io.load_baseline(args.baseline, args.all_assets)
        return check_io.baseline_from_warehouse(args.project_dir, args.profiles_dir, target)

    manifest = args.manifest or os.path.join(args.project_dir, "target", "manifest.json")
    run = check_io.run(manifest, read_baseline, run_results=args.run_results,
                       consumer_manifests=args.consumer_manifest, all_assets=args.all_assets,
                       project_dir=args.project_dir, target=target)
    _write(render(run, args.format))
    return EXIT_FAIL if run.blocking else EXIT_OK


def cmd_operation(args: argparse.Namespace) -> int:
    """The operations of the dbt CLI, run through dbt itself: one code path."""

    from dbt.cli.main import dbtRunner

    from .operation_args import OPERATION_ARGS

    op_args = {name: getattr(args, name) for name in OPERATION_ARGS[args.operation]
               if getattr(args, name) is not None}
    result = dbtRunner().invoke(
        _operation_argv(args, f"tessera.{args.operation}", op_args, "--quiet"))
    return EXIT_OK if result.success else EXIT_ERROR


def _dbt_operation(args: argparse.Namespace, macro: str, op_args: dict[str, Any]) -> list[str]:
    """Run `dbt run-operation` in-process with dbt's own logging off; return the lines the
    operation printed, or raise its error as one line."""

    from dbt.cli.main import dbtRunner

    from .errors import ConfigError

    printed: list[str] = []
    errors: list[str] = []

    def listen(event: Any) -> None:
        name = event.info.name
        if name == "PrintEvent":
            printed.append(event.data.msg)
        elif name in ("RunningOperationCaughtError", "RunningOperationUncaughtError",
                      "MainEncounteredError"):
            errors.append(str(getattr(event.data, "exc", "") or ""))

    result = dbtRunner(callbacks=[listen]).invoke(
        _operation_argv(args, macro, op_args, "--log-level", "none"))
    if not result.success:
        detail = next((e for e in reversed(errors) if e.strip()), None) or \
            str(result.exception or f"dbt run-operation {macro} failed")
        raise ConfigError(" ".join(detail.split()).removeprefix("tessera: "))
    return printed


def cmd_audit(args: argparse.Namespace) -> int:
    """`tessera audit [MODEL]` reads the audit models; `tessera audit ingest` records files.
    Both run as dbt operations, through the user's dbt profile."""
    import os

    from .artifacts import load_manifest, load_run_results, load_sources
    from .audit_report import MAX_DAYS
    from .errors import ConfigError

    if args.model == "ingest":
        if not args.run_results and not args.sources:
            raise ConfigError("nothing to ingest",
                              "pass --run-results PATH and/or --sources PATH")
        # Every file is checked here first: a bad one is one line and nothing is written.
        for path in args.run_results:
            load_run_results(path)
        for path in args.sources:
            load_sources(path)
        if args.manifest:
            load_manifest(args.manifest)
        op_args: dict[str, Any] = {
            "run_results": [os.path.abspath(p) for p in args.run_results],
            "sources": [os.path.abspath(p) for p in args.sources]}
        if args.manifest:
            op_args["manifest"] = os.path.abspath(args.manifest)
        lines = _dbt_operation(args, "tessera.audit_ingest", op_args)
    else:
        if args.run_results or args.sources or args.manifest:
            raise ConfigError("--run-results, --sources and --manifest belong to "
                              "`tessera audit ingest`")
        if not 1 <= args.days <= MAX_DAYS:
            raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {args.days}")
        op_args = {"days": args.days, "format": args.format}
        if args.model:
            op_args["model"] = args.model
        lines = _dbt_operation(args, "tessera.audit", op_args)
    for line in lines:
        _write(line)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(say=lambda line: _write(line) if line else _write(""), keep=args.keep)


_COMMANDS = {
    "check": cmd_check,
    "contracts": cmd_contracts,
    "diff": cmd_diff,
    "demo": cmd_demo,
    "impact": cmd_impact,
    "audit": cmd_audit,
}


if __name__ == "__main__":
    sys.exit(main())
