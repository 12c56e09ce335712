"""The package's models leave a default `dbt build` / `dbt run`: the on-run-end hook keeps
them (runtime.package).

As nodes they cost dbt ~37 ms of CPU each whatever their materialization does (issue
23, docs/architecture.md). The plugin wraps dbt's `GraphRunnableTask.get_selection_spec`
once per process: a build or run whose selection is dbt's default (no `--select`, no
`--selector`, no default selector in use; `--exclude` may be given) gets `package:tessera`
added to its exclusions. Any explicit selection is left as dbt reads it: `--select
package:tessera`, `tessera_contracts+` or a user model's `+` ancestors build the
package's models as nodes, as before. The selection is also left alone where the hook
cannot keep the views (an adapter that keeps no definition hash: Spark and every adapter
without `<adapter>___view_hashes`), and where a node of the project reads a package model
(it must find the view built before it runs). Without the plugin (dbt Core v2) nothing
changes: the models are nodes of every build.
"""

from __future__ import annotations

from typing import Any

PACKAGE = "tessera"
EXCLUSION = f"package:{PACKAGE}"


def default_selection(task: Any) -> bool:
    """Whether dbt selects this task's nodes by its default: no --select, no --selector,
    and no selector marked `default: true` in use (dbt uses one when neither --select nor
    --exclude is given)."""
    args = task.args
    if getattr(args, "inline", None) or getattr(args, "selector", None):
        return False
    if task.selection_arg:
        return False
    if not task.exclusion_arg and task.config.get_default_selector_name():
        return False
    return True


def read_by_project(manifest: Any) -> bool:
    """Whether a node outside the package depends on one of the package's models."""
    prefix = f"model.{PACKAGE}."
    for node in getattr(manifest, "nodes", {}).values():
        if getattr(node, "package_name", PACKAGE) == PACKAGE:
            continue
        depends = getattr(getattr(node, "depends_on", None), "nodes", None) or ()
        if any(str(uid).startswith(prefix) for uid in depends):
            return True
    return False


def leaves_package(task: Any) -> bool:
    """Whether this task's selection should leave the package's models to the hook."""
    from .package import BUILDS, KEEPS_VIEW_HASHES  # not at plugin load: dbt loads it always

    if str(getattr(task.args, "which", "") or "") not in BUILDS:
        return False
    credentials = getattr(task.config, "credentials", None)
    if str(getattr(credentials, "type", "") or "").lower() not in KEEPS_VIEW_HASHES:
        return False
    return default_selection(task) and not read_by_project(getattr(task, "manifest", None))


def install() -> None:
    """Wrap GraphRunnableTask.get_selection_spec, once per process (dbtRunner may
    initialise plugins many times)."""
    from dbt.task.runnable import GraphRunnableTask

    current = GraphRunnableTask.get_selection_spec
    if getattr(current, "_tessera", False):
        return

    def get_selection_spec(self: Any) -> Any:
        try:
            leave = leaves_package(self)
        except Exception:  # a task shaped otherwise: dbt selects as it always does
            leave = False
        if not leave:
            return current(self)
        from dbt.graph.cli import parse_difference

        return parse_difference(None, [*(self.exclusion_arg or ()), EXCLUSION])

    get_selection_spec._tessera = True  # type: ignore[attr-defined]
    get_selection_spec.__wrapped__ = current  # type: ignore[attr-defined]
    GraphRunnableTask.get_selection_spec = get_selection_spec  # type: ignore[method-assign]
