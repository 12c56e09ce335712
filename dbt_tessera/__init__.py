"""The dbt plugin of tessera-dbt.

dbt-core loads every importable top-level module whose name starts with `dbt_` and that
lists `plugins` (dbt/plugins/manager.py). Ours gives the Jinja context `modules.tessera`,
the synchronous door from the package's macros into the Python brain
(`tessera_dbt.runtime.bridge`).
Importing this module stays cheap: dbt imports it for every invocation, tessera or not.
"""

from dbt.plugins.manager import dbtPlugin


class TesseraPlugin(dbtPlugin):
    def initialize(self) -> None:
        try:
            from tessera_dbt.runtime.bridge import install
        except Exception as exc:  # a broken install must not break the user's dbt
            _install_broken(f"{type(exc).__name__}: {exc}")
            return
        install()


def _install_broken(reason: str) -> None:
    """`modules.tessera` that only says why the brain could not be imported
    (macros/bridge/_brain_missing.sql turns it into one line with the fix)."""
    import dbt.context.base as base

    current = base.get_context_modules
    if getattr(current, "_tessera", False):
        return

    def get_context_modules() -> dict:
        modules = current()
        modules["tessera"] = {"broken": " ".join(reason.split())}
        return modules

    get_context_modules._tessera = True  # type: ignore[attr-defined]
    base.get_context_modules = get_context_modules


plugins = [TesseraPlugin]
