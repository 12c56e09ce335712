"""The `tessera` command: the only place that prints verdicts and chooses exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..engine.errors import TesseraError
from .parser import EXIT_ERROR, EXIT_OK, build_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import commands

    try:
        if args.command == "demo":
            from .demo import run_demo

            return run_demo(main, say=commands.write, keep=args.keep)
        if getattr(args, "operation", None):
            return commands.cmd_operation(args)
        return commands.COMMANDS[args.command](args)
    except TesseraError as exc:
        sys.stderr.write(f"tessera {args.command}: error: {exc.one_line()}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
