"""Canaries: the dbt-core internals tessera relies on (runtime/ and dbt_tessera), checked
on the installed dbt, so an upgrade that moves one fails here by name rather than as a
silent "nothing was recorded" somewhere else. CI runs this on dbt-core 1.8, 1.11 and 1.12."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest


def _attr(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def test_dbt_runner_invokes_with_callbacks():  # runtime/runner.py
    runner = _attr("dbt.cli.main", "dbtRunner")
    assert "callbacks" in inspect.signature(runner.__init__).parameters
    assert "args" in inspect.signature(runner.invoke).parameters
    fields = {f.name for f in dataclasses.fields(_attr("dbt.cli.main", "dbtRunnerResult"))}
    assert {"success", "exception", "result"} <= fields


def test_plugins_are_found_by_prefix_and_initialised():  # dbt_tessera
    manager = _attr("dbt.plugins.manager", "PluginManager")
    source = inspect.getsource(manager.from_modules)
    assert "dbt_" in source and "plugins" in source
    assert callable(_attr("dbt.plugins.manager", "dbtPlugin").initialize)


def test_jinja_modules_come_from_the_function_the_bridge_wraps():  # runtime/bridge.py
    base = importlib.import_module("dbt.context.base")
    assert inspect.signature(base.get_context_modules).parameters == {}
    # the bridge replaces the module attribute: contexts must look it up by name
    assert "get_context_modules()" in inspect.getsource(base.BaseContext)


def test_the_compiler_renders_one_node():  # runtime/compile.py
    compiler = _attr("dbt.compilation", "Compiler")
    params = inspect.signature(compiler.compile_node).parameters
    assert list(params)[1:4] == ["node", "manifest", "extra_context"] and "write" in params
    assert callable(_attr("dbt.adapters.base.impl", "BaseAdapter").get_macro_resolver)
    # dbt 1.8 resolves macros only; compile.py then reads click's ctx.obj["manifest"]
    assert 'ctx.obj["manifest"]' in inspect.getsource(importlib.import_module("dbt.cli.requires"))


def test_errors_the_bridge_raises_and_recognises():
    runtime_error = _attr("dbt_common.exceptions", "DbtRuntimeError")
    assert issubclass(runtime_error, _attr("dbt_common.exceptions", "DbtBaseException"))
    assert runtime_error("x").msg == "x"


@pytest.mark.parametrize("name", ["JinjaLogInfo", "PrintEvent", "RunningOperationCaughtError",
                                  "RunningOperationUncaughtError", "MainEncounteredError"])
def test_event_names_the_runner_listens_for(name):
    found = [m for m in ("dbt.events.types", "dbt_common.events.types")
             if hasattr(importlib.import_module(m), name)]
    assert found, f"dbt no longer defines the event {name}"


def test_result_statuses_the_hook_reads():  # state/audit.py, runtime/hook.py
    results = importlib.import_module("dbt.artifacts.schemas.results")
    assert str(results.RunStatus.Success.value) == "success"
    assert {str(s.value) for s in results.TestStatus} >= {"pass", "fail", "warn", "error"}


def test_what_the_served_schema_asks_of_an_adapter():  # runtime/served.py
    """The probe of compiled SQL (dbt's own contract enforcement's call), the column type
    as the warehouse reported it (`dtype`: `data_type` adds a default string size), and the
    per-relation read Spark uses."""
    adapter = _attr("dbt.adapters.base.impl", "BaseAdapter")
    probe = inspect.signature(adapter.get_column_schema_from_query).parameters
    assert list(probe)[1:2] == ["sql"]
    assert callable(adapter.get_columns_in_relation)
    column = _attr("dbt.adapters.base.column", "Column")("x", "character varying", 256)
    assert column.dtype == "character varying" and column.data_type != column.dtype
    rollback = _attr("dbt.adapters.base.connections", "BaseConnectionManager")
    assert callable(rollback.rollback_if_open)


def test_the_selection_the_plugin_narrows():  # runtime/selection.py
    task = _attr("dbt.task.runnable", "GraphRunnableTask")
    # dbt's own method, under the plugin's wrapper when the plugin already ran here
    method = inspect.unwrap(task.get_selection_spec)
    assert list(inspect.signature(method).parameters) == ["self"]
    # every graph task (build, run) asks this one method for its spec, by name
    for module in ("dbt.task.runnable", "dbt.task.build"):
        assert "self.get_selection_spec()" in inspect.getsource(importlib.import_module(module))
    source = inspect.getsource(method)
    # (`--inline` is not asked of dbt's method: dbt 1.8's has no such branch, and the plugin
    # reads the flag itself)
    for used in ("self.args.selector", "get_default_selector_name", "self.selection_arg",
                 "self.exclusion_arg"):
        assert used in source, used
    for prop in ("selection_arg", "exclusion_arg"):
        assert isinstance(inspect.getattr_static(task, prop), property)
    params = list(inspect.signature(_attr("dbt.graph.cli", "parse_difference")).parameters)
    assert params[:2] == ["include", "exclude"]
    # the task reads these before it selects (runtime.selection.leaves_package)
    assert "self.compile_manifest()" in inspect.getsource(task._runtime_initialize)
    assert callable(_attr("dbt.config.project", "Project").get_default_selector_name)


def test_what_the_hook_reads_to_hash_the_package_views():  # runtime/package.py
    macro = _attr("dbt.contracts.graph.nodes", "Macro")
    fields = {f.name for f in dataclasses.fields(macro)}
    assert {"macro_sql", "depends_on"} <= fields
    assert _attr("dbt.version", "__version__")
