"""`dbt run-operation tessera.<op>` run in-process for a CLI command: the lines it printed,
or its error as one plain line."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.errors import ConfigError
from .parser import operation_argv


class OperationFailed(ConfigError):
    """An operation's error as one plain line, with what it printed before failing."""

    def __init__(self, message: str, printed: list[str]) -> None:
        super().__init__(message)
        self.printed = printed


def dbt_operation(args: argparse.Namespace, macro: str, op_args: dict[str, Any]) -> list[str]:
    """Run `dbt run-operation` in-process with dbt's own logging off and a private target
    path (the user's target/ is never touched); return the lines the operation printed, or
    raise its error as one plain line (OperationFailed)."""

    from ..runtime.runner import invoke

    run = invoke(operation_argv(args, macro, op_args, "--log-level", "none"),
                 capture_stdout=True, private_paths=True)
    if not run.success:
        detail = run.operation_error(f"dbt run-operation {macro} failed")
        raise OperationFailed(detail.removeprefix("tessera: "), run.printed)
    return run.printed
