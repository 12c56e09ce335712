"""The `tessera` command line's parser (light: building it imports none of the brain, so
every command starts fast) and its exit codes, defined once."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__

EXIT_OK = 0  # nothing unapproved breaks
EXIT_FAIL = 1  # an unapproved breaking change (tessera check)
EXIT_ERROR = 2  # bad input or configuration


def write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"tessera: error: {message} (see `{self.prog} --help`)\n")
        sys.exit(EXIT_ERROR)


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument("--format", choices=choices, default="text",
                        help="output format (default: text)")


def add_dbt_location(parser: argparse.ArgumentParser,
                      target_help: str = "the dbt target (dbt's default)") -> None:
    """Where dbt finds the project and the user's profile, as dbt's own flags say it."""
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: .)")
    parser.add_argument("--profiles-dir", help="where profiles.yml is (dbt's default)")
    parser.add_argument("--target", help=target_help)


def operation_argv(args: argparse.Namespace, macro: str, op_args: dict[str, Any],
                    *log_flags: str) -> list[str]:
    """`dbt run-operation MACRO --args ...` in the project, profile and target given."""
    command = ["run-operation", macro, "--args", json.dumps(op_args, ensure_ascii=False),
               "--project-dir", args.project_dir, *log_flags]
    for flag in ("profiles_dir", "target"):
        if getattr(args, flag):
            command += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    return command


def add_catalog(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="PATH",
                        help="catalog.json of `dbt docs generate`: column types for the "
                             "columns whose YAML declares no data_type (default: "
                             "catalog.json beside the manifest, when there is one)")
    parser.add_argument("--no-catalog", action="store_true",
                        help="ignore catalog.json: only the types the YAML declares")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="tessera", description="Data-contract coordination for dbt.")
    parser.add_argument("--version", action="version", version=f"tessera-dbt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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
    add_catalog(contracts)
    add_format(contracts, ("text", "json", "yaml"))

    diff = commands.add_parser(
        "diff", help="classify the change between two contract documents",
        description="Compare two contract documents (YAML or JSON files, including the "
                    "contracts/<asset>.json histories `tessera export` writes) and classify "
                    "every change; or two published versions of one asset: `--asset NAME "
                    "--from V1 --to V2`, read through your dbt profile (or --baseline DIR).")
    diff.add_argument("old", metavar="OLD", nargs="?",
                      help="the published contract document (an export history file: its "
                           "newest version, or --from)")
    diff.add_argument("new", metavar="NEW", nargs="?",
                      help="the proposed contract document (an export history file: its "
                           "newest version, or --to)")
    diff.add_argument("--asset", metavar="NAME",
                      help="compare two published versions of this asset (model name or "
                           "asset name) instead of files")
    diff.add_argument("--from", dest="from_version", metavar="VERSION",
                      help="the older version (default with --asset: the one before --to)")
    diff.add_argument("--to", dest="to_version", metavar="VERSION",
                      help="the newer version (default: the newest published)")
    published = diff.add_mutually_exclusive_group()
    published.add_argument("--baseline", metavar="DIR",
                           help="with --asset: read the published versions from a directory "
                                "written by `tessera export`")
    published.add_argument("--state-from-warehouse", action="store_true",
                           help="with --asset: read them through your dbt profile (the "
                                "default when --baseline is not given)")
    add_dbt_location(diff, target_help="with --asset: the dbt target whose published state "
                                        "counts (default: vars.tessera.state_target)")
    diff.add_argument("--exit-code", action="store_true",
                      help="exit 1 when the change is breaking (default: exit 0 whatever "
                           "the verdict)")
    diff.add_argument("--mode", help="compatibility mode (default: the one stored in OLD)")
    diff.add_argument("--run-results", metavar="PATH",
                      help="run_results.json of the build that produced NEW: passing tests "
                           "verify tightened guarantees")
    diff.add_argument("--history", action="append", default=[], metavar="PATH",
                      help="an earlier published version, for *_transitive modes (repeatable, "
                           "oldest first; OLD is the newest)")
    add_format(diff, ("text", "json"))

    changelog = commands.add_parser(
        "changelog", help="one asset's versions: when, by whom, why, what changed",
        description="Every published version of one asset, newest first: when and by whom "
                    "it was published, why (the proposal and its reason, or a forced "
                    "publication), and what changed against the version before, rule by "
                    "rule; read through your dbt profile (or --baseline DIR).")
    changelog.add_argument("--asset", metavar="NAME", required=True,
                           help="the asset (model name or asset name)")
    changelog.add_argument("--baseline", metavar="DIR",
                           help="read the published versions from a directory written by "
                                "`tessera export`")
    add_dbt_location(changelog, target_help="the dbt target whose published state counts "
                                            "(default: vars.tessera.state_target)")
    add_format(changelog, ("text", "markdown", "json"))

    odcs = commands.add_parser(
        "import", help="read an ODCS v3.1.0 document as a tessera contract document",
        description="Validate one ODCS v3.1.0 data contract against the standard's JSON "
                    "Schema and print (or write) the tessera contract document it describes "
                    "(docs/contracts.md, ODCS). `tessera diff` and `tessera publish` read "
                    "the result; documents written by `tessera export --format odcs` come "
                    "back equal.")
    odcs.add_argument("--odcs", required=True, metavar="FILE",
                      help="the ODCS document (.odcs.yaml, YAML or JSON)")
    odcs.add_argument("--out", metavar="PATH",
                      help="write the contract document here instead of printing it")
    odcs.add_argument("--format", choices=("yaml", "json"), default="yaml",
                      help="output format (default: yaml)")

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
    add_format(impact, ("text", "json"))

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
    add_dbt_location(check, target_help="the dbt target whose published state counts "
                                         "(default: vars.tessera.state_target, else the "
                                         "profile's target)")
    check.add_argument("--run-results", metavar="PATH",
                       help="run_results.json of the build: passing tests verify tightened "
                            "guarantees")
    check.add_argument("--block-unverified", action="store_true", default=None,
                       help="count an added or tightened guarantee whose test has not passed "
                            "as breaking (default: vars.tessera.block_unverified_guarantees, "
                            "else reported as compatible, pending verification)")
    check.add_argument("--consumer-manifest", action="append", default=[], metavar="PATH",
                       help="manifest of another dbt project that refs this project's "
                            "public models (repeatable)")
    check.add_argument("--all", action="store_true", dest="all_assets",
                       help="every model, seed, snapshot and source, under contract or not")
    add_catalog(check)
    check.add_argument("--live", nargs="?", const="", metavar="TARGET",
                       help="judge what the assets' relations serve now, read through your "
                            "dbt profile (the CI target that built them; default: the "
                            "profile's target)")
    add_format(check, ("text", "json", "markdown", "github", "junit"))

    from ..runtime.operation_args import ARG_HELP, OPERATION_ARGS, OWN_COMMANDS

    publish = commands.add_parser(
        "publish", help="publish a hand-written contract of an asset dbt does not build",
        description="Publish FILE, an ODCS v3.1.0 document or a tessera contract document of "
                    "an asset dbt does not build (a loader's table, an external share), "
                    "under the same rules and proposals as dbt assets: `dbt run-operation "
                    "tessera.publish_contract`, through your dbt profile. The first "
                    "publication is 1.0.0; a breaking edit needs an approved proposal.")
    publish.add_argument("file", metavar="FILE", help=ARG_HELP["file"])
    publish.add_argument("--propose", action="store_true", help=ARG_HELP["propose"])
    publish.add_argument("--reason", help=ARG_HELP["reason"] + " (optional)")
    add_dbt_location(publish)
    publish.set_defaults(operation="publish_contract")

    for name, spec in OPERATION_ARGS.items():
        if name in OWN_COMMANDS:
            continue
        sub = commands.add_parser(
            name.replace("_", "-"),
            help=f"dbt run-operation tessera.{name}, through your dbt profile",
            description=f"Runs `dbt run-operation tessera.{name}` in the dbt project, with "
                        "the same code path as the dbt CLI.")
        for arg, (_, required) in spec.items():
            sub.add_argument(f"--{arg.replace('_', '-')}", dest=arg, required=required,
                             help=ARG_HELP[arg] + ("" if required else " (optional)"))
        add_dbt_location(sub)
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
    add_format(audit, ("text", "json"))
    ingest = audit.add_argument_group("tessera audit ingest")
    ingest.add_argument("--run-results", action="append", default=[], metavar="PATH",
                        help="run_results.json of a dbt build/test to record (repeatable)")
    ingest.add_argument("--sources", action="append", default=[], metavar="PATH",
                        help="sources.json of `dbt source freshness` to record (repeatable)")
    ingest.add_argument("--manifest", metavar="PATH",
                        help="manifest.json of those runs (default: the project's own)")
    add_dbt_location(audit)

    report = commands.add_parser(
        "report", help="one self-contained HTML report: contracts, proposals, consumers, "
                       "audit trends",
        description="Write one HTML file (inline CSS and SVG, no network) with the contracts "
                    "and their versions, the open proposals and who they wait on, the "
                    "consumers per asset and audit pass-rate charts per asset; read through "
                    "your dbt profile (`dbt run-operation tessera.report`), or from an "
                    "export directory with --export.")
    report.add_argument("--out", required=True, metavar="PATH",
                        help="the HTML file to write (replaced only once complete)")
    report.add_argument("--days", type=int, default=30,
                        help="days of audit history in the charts (default: 30)")
    report.add_argument("--export", metavar="DIR",
                        help="read a directory written by `tessera export` instead of the "
                             "warehouse (it holds no audit runs)")
    add_dbt_location(report)

    verify = commands.add_parser(
        "verify", help="find event rows edited or inserted by hand, or acted by non-members",
        description="Check every row of the event log against the invocation record tessera "
                    "wrote with it (docs/security.md), through your dbt profile. Exit 0 when "
                    "every row is as tessera wrote it, 1 when some are not, 2 on bad input.")
    add_dbt_location(verify)
    add_format(verify, ("text", "json"))

    drift = commands.add_parser(
        "drift", help="published contracts against their live relations",
        description="Compare every published contract (or MODEL's) with the columns its "
                    "relation serves now, through your dbt profile: dropped, retyped and "
                    "added columns, or a missing relation. Each distinct drift is recorded "
                    "once and notified. Exit 0 when nothing drifted, 1 when something did, "
                    "2 on bad input.")
    drift.add_argument("model", metavar="MODEL", nargs="?",
                       help="only this model, seed, snapshot or source")
    add_dbt_location(drift)
    add_format(drift, ("text", "json"))

    add_plugin_free(commands)
    add_doctor(commands)

    demo = commands.add_parser(
        "demo", help="the end-to-end story on an embedded DuckDB warehouse",
        description="Build a multi-team example project with dbt on DuckDB (in a temporary "
                    "directory) and walk through contracts and changes.")
    demo.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def add_plugin_free(commands: Any) -> None:
    gate = commands.add_parser(
        "gate", help="the on-run-start gate, before a build where dbt loads no plugin",
        description="Would the assets a build selects change their contract in a breaking "
                    "way without an approved proposal? The same verdict as the package's "
                    "on-run-start gate, for dbt Core v2 (`tessera gate && dbt build`). "
                    "Exit 0 when none would, 1 when one would or cannot be judged, 2 on "
                    "bad input.")
    gate.add_argument("-s", "--select", nargs="+", default=[],
                      help="dbt's node selection, as `dbt build` will get it (default: "
                           "every model, seed and snapshot under contract)")
    gate.add_argument("--exclude", nargs="+", default=[], help="dbt's --exclude")
    gate.add_argument("--selector", help="a selector of selectors.yml")
    add_dbt_location(gate)
    add_format(gate, ("text", "json"))

    record = commands.add_parser(
        "record", help="the on-run-end hook's job, after a build where dbt loads no plugin",
        description="Record the audit rows and publish the contracts of a finished dbt run "
                    "from its run_results.json, exactly as the package's on-run-end hook "
                    "would have (dbt Core v2: `dbt build; tessera record`). Rows already "
                    "recorded are skipped: recording twice writes nothing new. Exit 0 when "
                    "recorded, 1 when an asset could not be, 2 on bad input.")
    record.add_argument("--run-results", metavar="PATH",
                        help="run_results.json of the run (default: "
                             "<project>/target/run_results.json)")
    record.add_argument("--manifest", metavar="PATH",
                        help="manifest.json of the run (default: the project as the dbt "
                             "beside this CLI parses it now)")
    add_dbt_location(record)


def add_doctor(commands: Any) -> None:
    doctor = commands.add_parser(
        "doctor", help="which path this project is on (plugin or plugin-free) and what "
                       "it can do",
        description="Say which dbt and adapters this CLI found, which `dbt` a shell runs, "
                    "whether that dbt loads the tessera plugin (the plugin path) or not "
                    "(the plugin-free path of dbt Core v2: `tessera gate` and `tessera "
                    "record`), and what each path can and cannot do. Exit 1 when something "
                    "the path needs is missing.")
    doctor.add_argument("--project-dir", default=".", help="the dbt project (default: .)")
    add_format(doctor, ("text", "json"))
