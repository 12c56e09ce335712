"""The door from the package's macros into the Python brain: `modules.tessera`.

dbt gives Jinja a `modules` mapping (datetime, re, ...), built by
`dbt.context.base.get_context_modules` for every context. The plugin (`dbt_tessera`)
wraps that function once per process so the mapping also holds `tessera`: a version and
`call(op, payload)`, which runs an operation synchronously in the dbt process and returns
plain dicts and lists to the macro. Macros gather what dbt knows (results, graph, settings,
the state relations, the adapter's SQL dialect) and hand over the adapter; Python decides
and reads and appends the state tables through that adapter (`state.store`).

The operations are a static table (`OPERATIONS`): module path and function, imported on
first call, so importing the bridge (which dbt's plugin does for every invocation) stays
cheap.

Errors: a TesseraError becomes a dbt error whose text is exactly the message (one line,
no traceback); anything unexpected is reported the same way with its type, and
TESSERA_DEBUG=1 lets the original exception through for its traceback.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import __version__
from ..engine.errors import TesseraError, printable

Operation = Callable[[dict[str, Any]], Any]
# `modules.tessera.call(name, ...)` → (module under tessera_dbt.runtime, function)
OPERATIONS: dict[str, tuple[str, str]] = {
    "on_run_end": ("hook", "on_run_end"),
    "on_run_start": ("start", "on_run_start"),
    "guard": ("gate", "guard"),
    "operation": ("operations", "run_operation"),
    "audit_ingest": ("audit_ingest", "audit_ingest"),
    "audit_report": ("audit_report", "audit_report"),
    "report": ("report_data", "report"),
    "verify": ("verify", "verify"),
    "drift": ("drift", "drift_operation"),
    "served_columns": ("live", "served_operation"),
    "record": ("record", "record"),
    "gate_check": ("record", "gate_check"),
    "view_hash": ("package", "view_hash"),
}
# the hooks' jobs: on dbt's main thread, with no node running
WHOLE_RUN = frozenset({"on_run_start", "on_run_end", "record", "gate_check"})


def _operation(op: str) -> Operation:
    module, function = OPERATIONS[op]
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def _bridge_error(message: str) -> Exception:
    from dbt_common.exceptions import DbtRuntimeError

    class TesseraBridgeError(DbtRuntimeError):
        """Prints as the message alone: dbt shows str(exc) after its own prefix."""

        def __str__(self) -> str:
            return self.msg

    return TesseraBridgeError(message)


def call(op: str, payload: Any = None) -> Any:
    """Run operation `op` with `payload` (a mapping) and return its result."""
    if op not in OPERATIONS:
        raise _bridge_error(f"tessera: unknown operation {op!r} (known: "
                            f"{', '.join(sorted(OPERATIONS))})")
    try:
        with _dbt_heap_frozen(op in WHOLE_RUN):
            return _printable(_operation(op)(dict(payload or {})))
    except TesseraError as exc:
        raise _bridge_error(printable(f"tessera: {exc.one_line()}")) from None
    except Exception as exc:
        if os.environ.get("TESSERA_DEBUG") == "1" or _is_dbt_error(exc):
            raise
        raise _bridge_error(printable(
            f"tessera {op}: internal error: {type(exc).__name__}: {exc} "
            "(set TESSERA_DEBUG=1 for the traceback)")) from None


@contextmanager
def _dbt_heap_frozen(active: bool) -> Iterator[None]:
    """What dbt holds when a hook starts (millions of objects in a project of a few thousand
    models) kept out of the cyclic garbage collector's walks for the hook's call
    (`gc.freeze`), put back after (`gc.unfreeze`): the full collection a hook's own
    allocations trigger then walks the hook's objects, and cycles among them are still
    collected, instead of every object of dbt's manifest (0.5-0.6 s CPU per hook at 3,000
    models). Left alone when something else froze objects first."""
    if not active or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _printable(result: Any) -> Any:
    """What macros log or raise, each line one line: names holding control characters
    (a newline in a column name) are escaped, never printed raw."""
    if not isinstance(result, dict):
        return result
    out = dict(result)
    for key in ("messages", "lines"):
        if isinstance(out.get(key), list):
            out[key] = [printable(line) if isinstance(line, str) else line
                        for line in out[key]]
    if isinstance(out.get("error"), str):
        out["error"] = printable(out["error"])
    return out


def _is_dbt_error(exc: Exception) -> bool:
    from dbt_common.exceptions import DbtBaseException

    return isinstance(exc, DbtBaseException)


JINJA_MODULE = {"call": call, "version": __version__}


def install() -> None:
    """Add `tessera` to dbt's Jinja `modules`, and leave the package's models out of a
    default build (runtime.selection), once per process (dbtRunner may initialise
    plugins many times)."""
    import dbt.context.base as base

    from .selection import install as install_selection

    install_selection()

    current = base.get_context_modules
    if getattr(current, "_tessera", False):
        return

    def get_context_modules() -> dict[str, Any]:
        modules = current()
        modules["tessera"] = JINJA_MODULE
        return modules

    get_context_modules._tessera = True  # type: ignore[attr-defined]
    base.get_context_modules = get_context_modules
