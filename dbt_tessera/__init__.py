"""The dbt plugin of tessera-dbt.

dbt-core loads every importable top-level module whose name starts with `dbt_` and that
lists `plugins` (dbt/plugins/manager.py). Ours gives the Jinja context `modules.tessera`,
the synchronous door from the package's macros into the Python brain (`tessera_dbt.runtime.bridge`).
Importing this module stays cheap: dbt imports it for every invocation, tessera or not.
"""

from dbt.plugins.manager import dbtPlugin


class TesseraPlugin(dbtPlugin):
    def initialize(self) -> None:
        from tessera_dbt.runtime.bridge import install

        install()


plugins = [TesseraPlugin]
