"""The `tessera` command line. The only module that prints verdicts and chooses exit codes."""

from __future__ import annotations

import argparse
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

    demo = commands.add_parser(
        "demo", help="the end-to-end story on an embedded DuckDB warehouse",
        description="Build a multi-team example project with dbt on DuckDB (in a temporary "
                    "directory) and walk through contracts and changes.")
    demo.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(say=lambda line: _write(line) if line else _write(""), keep=args.keep)


_COMMANDS = {
    "contracts": cmd_contracts,
    "diff": cmd_diff,
    "demo": cmd_demo,
}


if __name__ == "__main__":
    sys.exit(main())
