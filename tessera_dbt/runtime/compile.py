"""Compiled SQL on demand, from the dbt invocation that called us.

Inside `dbt run-operation` the graph's nodes carry raw SQL only (dbt compiles nodes when it
runs them, and rewrites target/manifest.json before the operation starts). The running dbt
already holds the parsed manifest and its adapter, so its own compiler renders the few
models a lineage question needs, with the project's macros and vars: exactly what
`dbt compile` would write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def compile_nodes(adapter: Any, unique_ids: Iterable[str]) -> tuple[dict[str, str], str | None]:
    """unique_id → compiled SQL, and why compiling was impossible (None when it worked);
    a node that fails to compile is left out (its lineage then says it has no SQL)."""
    inner = getattr(adapter, "_adapter", adapter)
    manifest = getattr(inner, "get_macro_resolver", lambda: None)()
    if getattr(manifest, "nodes", None) is None:
        manifest = _invocation_manifest()
    config = getattr(inner, "config", None)
    nodes = getattr(manifest, "nodes", None)
    if nodes is None or config is None:
        return {}, "this dbt invocation exposes no manifest to compile with"
    try:
        from dbt.compilation import Compiler
    except ImportError:
        return {}, "dbt's compiler is not importable"
    compiler = Compiler(config)
    out: dict[str, str] = {}
    for uid in unique_ids:
        node = nodes.get(uid)
        if node is None:
            continue
        if getattr(node, "compiled_code", None):
            out[uid] = node.compiled_code
            continue
        try:
            compiled = compiler.compile_node(node, manifest, {}, write=False)
        except Exception:  # noqa: BLE001 (any dbt error: this node stays "reads everything")
            continue
        if compiled.compiled_code:
            out[uid] = compiled.compiled_code
    return out, None


def _invocation_manifest() -> Any:
    """The full manifest of the running dbt command. dbt 1.8 gives the adapter a macros-only
    manifest as its macro resolver (1.9+ the full one); dbt's click command keeps the full
    one in its context object, current on the thread the hook and operations run on."""
    try:
        import click
    except ImportError:
        return None
    ctx = click.get_current_context(silent=True)
    obj = getattr(ctx, "obj", None)
    return obj.get("manifest") if isinstance(obj, dict) else None
