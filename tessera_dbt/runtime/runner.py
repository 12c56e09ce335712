"""The one way tessera runs dbt in-process (dbtRunner), for the CLI's operation commands,
`tessera check --state-from-warehouse` and the demo: the command line, and what dbt said
on its event stream, kept apart from what dbt printed."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# dbt's events that carry an operation's error (the exception's text is the message)
_OPERATION_ERRORS = ("RunningOperationCaughtError", "RunningOperationUncaughtError",
                     "MainEncounteredError")


@dataclass
class DbtRun:
    success: bool
    exception: BaseException | None
    result: Any  # dbt's result object (RunExecutionResult for build/run/test)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (name, level, message)
    operation_errors: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)  # what dbt wrote there, when captured

    @property
    def printed(self) -> list[str]:
        """What `print()` in a macro (an operation's output) said: an event from dbt 1.9 on,
        plain stdout on dbt 1.8."""
        return [msg for name, _, msg in self.events if name == "PrintEvent"] + self.stdout

    @property
    def tessera_lines(self) -> list[str]:
        """The hook's `tessera:` log lines and the operations' printed lines, in order."""
        return [msg for name, _, msg in self.events
                if name == "PrintEvent" or (name == "JinjaLogInfo" and msg.startswith("tessera:"))
                ] + self.stdout

    @property
    def errors(self) -> list[str]:
        """Error-level messages, each folded to one line."""
        return [" ".join(msg.split()) for _, level, msg in self.events
                if level == "error" and msg.strip()]

    def operation_error(self, fallback: str) -> str:
        """Why a `dbt run-operation` failed, in one line: the operation's own error."""
        detail = next((e for e in reversed(self.operation_errors) if e.strip()), None) \
            or str(self.exception or fallback)
        return plain(detail)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?\s+")


def plain(text: str) -> str:
    """One line without ANSI colours or dbt's clock prefix."""
    return " ".join(_CLOCK.sub("", _ANSI.sub("", text)).split())


def _project_dir(argv: Sequence[str]) -> str:
    argv = list(argv)
    return argv[argv.index("--project-dir") + 1] if "--project-dir" in argv[:-1] else "."


def invoke(argv: Sequence[str], *, capture_stdout: bool = False,
           private_paths: bool = False) -> DbtRun:
    """Run `dbt ARGV` in this process; `capture_stdout` keeps what dbt prints in
    `DbtRun.stdout` instead of the terminal (dbt 1.8's print() writes there).
    `private_paths` gives dbt a temporary --target-path and --log-path, so the user's
    target/manifest.json (with its compiled SQL), run_results.json and logs are never
    rewritten by an operation (the parse cache and catalog.json are copied in)."""
    if private_paths:
        with tempfile.TemporaryDirectory(prefix="tessera_dbt.") as scratch:
            target = os.path.join(scratch, "target")
            os.makedirs(target)
            for name in ("partial_parse.msgpack", "catalog.json"):
                # the parse cache (speed) and the catalog (the same column types as a
                # plain `dbt run-operation` sees)
                found = os.path.join(_project_dir(argv), "target", name)
                if os.path.isfile(found):
                    shutil.copy2(found, target)
            return invoke([*argv, "--target-path", target,
                           "--log-path", os.path.join(scratch, "logs")],
                          capture_stdout=capture_stdout)
    from dbt.cli.main import dbtRunner

    from .bridge import install

    install()  # modules.tessera without dbt's plugin discovery (a dbt v2 user's CLI venv)
    run = DbtRun(False, None, None)

    def listen(event: Any) -> None:
        name = event.info.name
        message = str(getattr(event.info, "msg", "") or "")
        if name in ("PrintEvent", "JinjaLogInfo"):
            message = str(event.data.msg)
        run.events.append((name, str(event.info.level), message))
        if name in _OPERATION_ERRORS:
            run.operation_errors.append(str(getattr(event.data, "exc", "") or ""))

    runner = dbtRunner(callbacks=[listen])
    if capture_stdout:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            result = runner.invoke(list(argv))
        run.stdout = captured.getvalue().splitlines()
    else:
        result = runner.invoke(list(argv))
    run.success, run.exception, run.result = result.success, result.exception, result.result
    return run
