"""`dbt run-operation tessera.<op>` run in-process for a CLI command: the lines it printed,
or its error as one plain line."""

from __future__ import annotations

import argparse
from typing import Any

from .parser import operation_argv


def dbt_operation(args: argparse.Namespace, macro: str, op_args: dict[str, Any]) -> list[str]:
    """Run `dbt run-operation` in-process with dbt's own logging off and a private target
    path (the user's target/ is never touched); return the lines the operation printed, or
    raise its error as one plain line."""

    from ..engine.errors import ConfigError
    from ..runtime.runner import invoke

    run = invoke(operation_argv(args, macro, op_args, "--log-level", "none"),
                 capture_stdout=True, private_paths=True)
    if not run.success:
        detail = run.operation_error(f"dbt run-operation {macro} failed")
        raise ConfigError(detail.removeprefix("tessera: "))
    return run.printed
