"""The `tessera` subcommands, one function each (`COMMANDS`); each returns its exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from .changelog import cmd_changelog
from .dbt_operation import dbt_operation
from .doctor import cmd_doctor
from .parser import EXIT_ERROR, EXIT_FAIL, EXIT_OK, write
from .plugin_free import cmd_gate, cmd_record


def cmd_contracts(args: argparse.Namespace) -> int:
    from ..artifacts.catalog import (
        catalog_columns,
        catalog_types,
        read_catalog,
        served_documents,
        with_catalog_types,
    )
    from ..artifacts.contracts import extract_contracts
    from ..artifacts.documents import dump_json, dump_yaml
    from ..artifacts.readers import load_manifest
    from .render import contracts_table

    manifest = load_manifest(args.manifest)
    catalog = _catalog_path(args, args.manifest)
    served = {}
    if catalog:  # the columns each relation served, as `tessera check` reads them
        raw = read_catalog(catalog)
        manifest = with_catalog_types(manifest, catalog_types(raw))
        served = catalog_columns(raw)
    consumers = [load_manifest(path) for path in args.consumer_manifest]
    documents = extract_contracts(manifest, select=args.select, consumer_manifests=consumers,
                                  all_assets=args.all_assets)
    documents, _ = served_documents(manifest, documents, served)
    if args.format == "json":
        write(dump_json(documents, pretty=sys.stdout.isatty()))
    elif args.format == "yaml":
        write(dump_yaml(documents[0] if len(args.select) == 1 and documents else documents))
    else:
        write(contracts_table(documents, manifest))
    return EXIT_OK


def _catalog_path(args: argparse.Namespace, manifest: str) -> str | None:
    """--catalog, else catalog.json beside the manifest (when there is one); none with
    --no-catalog."""
    from ..artifacts.catalog import catalog_beside

    if args.no_catalog:
        return None
    return args.catalog or catalog_beside(manifest)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..artifacts.documents import dump_json
    from .diff import run_diff

    payload, text, breaking = run_diff(args)
    write(dump_json(payload) if args.format == "json" else text)
    return EXIT_FAIL if breaking and args.exit_code else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """One ODCS document in, one tessera contract document out (pure, no dbt)."""
    from ..artifacts.documents import dump_json, dump_yaml
    from ..artifacts.odcs_files import read_odcs
    from ..engine.errors import ConfigError

    document = read_odcs(args.odcs)
    text = dump_json(document) if args.format == "json" else dump_yaml(document)
    if not args.out:
        write(text)
        return EXIT_OK
    try:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise ConfigError(f"--out {args.out}: cannot be written ({exc.strerror})") from None
    write(f"Wrote {args.out}: the contract of {document['asset']} "
          f"{document.get('version') or ''}".rstrip() + ".")
    return EXIT_OK


def cmd_impact(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..artifacts.documents import dump_json
    from ..artifacts.nodes import find_node
    from ..artifacts.readers import load_manifest
    from ..engine.text import table
    from ..lineage.impact import downstream

    manifest = load_manifest(args.manifest)
    unique_id, _ = find_node(manifest, args.model)
    impacted = downstream(manifest, unique_id)
    reads = _column_reads(manifest, unique_id, args.column) if args.column else {}
    if args.format == "json":
        rows = [{**asdict(i), **({"columns": reads[i.unique_id]} if reads else {})}
                for i in impacted]
        write(dump_json({"model": unique_id, "downstream": rows}))
        return EXIT_OK
    if not impacted:
        write(f"Nothing is downstream of {unique_id}.")
        return EXIT_OK
    teams = sorted({i.owner for i in impacted if i.owner})
    write(f"{len(impacted)} downstream of {unique_id} (teams: {', '.join(teams) or '-'})\n")
    header = ("depth", "name", "type", "owner", "via")
    columns = [f"reads {c}" for c in args.column]
    write(table((*header, *columns),
                 [(i.depth, i.name, i.resource_type, i.owner or "-", i.via,
                   *(("yes" if reads[i.unique_id][c]["reads"] else "no") for c in args.column))
                  for i in impacted]))
    for i in impacted:
        for reason in dict.fromkeys(r for c in args.column
                                    for r in reads[i.unique_id][c]["reasons"]):
            write(f"  {reason}")
    return EXIT_OK


def _column_reads(manifest: Any, unique_id: str, columns: Sequence[str]
                  ) -> dict[str, dict[str, dict[str, Any]]]:
    """node → column → {reads, reasons}, from the compiled SQL (cached in target/)."""
    from ..lineage.cache import default_cache
    from ..lineage.impact import column_reads

    found = column_reads(manifest, unique_id, cache=default_cache(manifest))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for uid, node_reads in found.items():
        out[uid] = {}
        for column in columns:
            reasons = node_reads.reasons_for(frozenset({column.lower()}))
            out[uid][column] = {"reads": bool(reasons), "reasons": reasons}
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from ..engine.errors import ConfigError
    from . import baseline
    from .check import run as run_check
    from .check_junit import junit
    from .check_render import error_lines, render

    if args.baseline and args.target:
        raise ConfigError("--target picks the warehouse state of --state-from-warehouse; "
                          "--baseline PATH has none", "drop --target or --baseline")
    target = baseline.state_target(args.project_dir, args.target) \
        if args.state_from_warehouse else None

    def read_baseline() -> baseline.Baseline:
        if args.baseline:
            return baseline.load_baseline(args.baseline, args.all_assets)
        return baseline.baseline_from_warehouse(args.project_dir, args.profiles_dir, target)

    manifest = args.manifest or os.path.join(args.project_dir, "target", "manifest.json")
    run = run_check(manifest, read_baseline, run_results=args.run_results,
                       consumer_manifests=args.consumer_manifest, all_assets=args.all_assets,
                       project_dir=args.project_dir, target=target,
                       catalog=_catalog_path(args, manifest),
                       block_unverified=args.block_unverified,
                       live=None if args.live is None else lambda: baseline.live_served(
                           args.project_dir, args.profiles_dir, args.live or None))
    write(junit(run) if args.format == "junit" else render(run, args.format))
    if run.errors:  # a broken config never passes CI, whatever else the check found
        for line in error_lines(run):
            sys.stderr.write(f"tessera check: {line}\n")
        return EXIT_ERROR
    return EXIT_FAIL if run.blocking else EXIT_OK


def cmd_operation(args: argparse.Namespace) -> int:
    """The operations of the dbt CLI, run through dbt itself: one code path."""

    from ..runtime.operation_args import OPERATION_ARGS
    from . import direct

    op_args = {name: getattr(args, name) for name in OPERATION_ARGS[args.operation]
               if getattr(args, name) is not None}
    if args.operation == "publish_contract":  # read where the user stands, not dbt's cwd
        from ..artifacts.odcs_files import read_contract

        read_contract(args.file)  # a bad file is one line before dbt starts
        op_args["file"] = os.path.abspath(args.file)
    for line in direct.answer(args.project_dir, args.profiles_dir, args.target, args.operation,
                              op_args, lambda: dbt_operation(args, f"tessera.{args.operation}",
                                                             op_args)):
        write(line)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """`tessera audit [MODEL]` reads the audit models; `tessera audit ingest` records files.
    Both run as dbt operations, through the user's dbt profile."""
    from ..artifacts.readers import load_manifest, load_run_results, load_sources
    from ..engine.errors import ConfigError
    from ..runtime.audit_report import MAX_DAYS

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
        lines = dbt_operation(args, "tessera.audit_ingest", op_args)
    else:
        if args.run_results or args.sources or args.manifest:
            raise ConfigError("--run-results, --sources and --manifest belong to "
                              "`tessera audit ingest`")
        if not 1 <= args.days <= MAX_DAYS:
            raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {args.days}")
        op_args = {"days": args.days, "format": args.format}
        if args.model:
            op_args["model"] = args.model
        lines = dbt_operation(args, "tessera.audit", op_args)
    for line in lines:
        write(line)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """From the warehouse through dbt (the operation writes the file), or from an export."""
    from ..engine.errors import ConfigError
    from ..runtime.report_data import MAX_DAYS

    if not 1 <= args.days <= MAX_DAYS:
        raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {args.days}")
    out = os.path.abspath(args.out)
    if not os.path.isdir(os.path.dirname(out)):
        raise ConfigError(f"--out {args.out}: the directory {os.path.dirname(out)} does "
                          "not exist")
    if args.export:
        from ..render.report_data import report_data
        from ..render.report_html import render_report
        from ..runtime.invocation import utc_now
        from ..runtime.report_data import write_atomically
        from ..state.export import is_export, read_export

        if not is_export(args.export):
            raise ConfigError(f"--export {args.export}: not a directory written by "
                              "`tessera export`", "export with `tessera export --out DIR`")
        now = utc_now()
        state = read_export(args.export, now)
        data = report_data(state, {}, [], days=args.days,
                           today=now.date(), generated_at=now.isoformat(sep=" ",
                                                                        timespec="minutes"),
                           source=f"export {args.export}", publications=state.publications)
        write_atomically(out, render_report(data))
        write(f"Wrote {args.out}: {len(data['contracts'])} contract(s), "
              f"{len(data['proposals'])} open proposal(s).")
        return EXIT_OK
    for line in dbt_operation(args, "tessera.report", {"out": out, "days": args.days}):
        write(line)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """The event log against the invocation records (docs/security.md), read-only."""
    from .verify import render

    text, code = render(dbt_operation(args, "tessera.verify", {"format": "json"}),
                        args.format)
    write(text)
    return code


def cmd_drift(args: argparse.Namespace) -> int:
    """Published contracts against their live relations (runtime.drift), through dbt."""
    from ..engine.errors import ConfigError

    op_args: dict[str, Any] = {"format": "json"}
    if args.model:
        op_args["model"] = args.model
    lines = dbt_operation(args, "tessera.drift", op_args)
    try:
        report = json.loads(lines[0])
    except (IndexError, ValueError):
        raise ConfigError("tessera.drift printed no report",
                          "run `dbt run-operation tessera.drift` to see why") from None
    code = EXIT_FAIL if report["drifted"] else EXIT_OK
    if args.format == "json":
        write(json.dumps(report, indent=2, sort_keys=True))
        return code
    for entry in report["drifted"]:
        write(f"DRIFT {entry['line']} (published {entry['version']})")
    write(f"{report['checked']} published contract(s) checked against the warehouse, "
          f"{len(report['drifted'])} drifted.")
    for line in lines[1:]:  # notifications that failed
        sys.stderr.write(f"{line}\n")
    return code


COMMANDS = {
    "changelog": cmd_changelog,
    "gate": cmd_gate,
    "record": cmd_record,
    "doctor": cmd_doctor,
    "drift": cmd_drift,
    "report": cmd_report,
    "verify": cmd_verify,
    "check": cmd_check,
    "contracts": cmd_contracts,
    "diff": cmd_diff,
    "impact": cmd_impact,
    "import": cmd_import,
    "audit": cmd_audit,
}

