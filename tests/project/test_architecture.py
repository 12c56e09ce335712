"""The package's shape, read from its source: the sub-packages are the module map of
docs/architecture.md, each with its rule (CONTRIBUTING.md), and nothing goes in a circle."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

from tessera_dbt.engine import vocabulary

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tessera_dbt"
MAX_LINES = 400
# Which sub-packages each may import; runtime is the only one that may import dbt-core.
LAYERS = {
    "engine": {"engine"},
    "artifacts": {"engine", "artifacts"},
    "lineage": {"engine", "artifacts", "lineage"},
    "state": {"engine", "artifacts", "lineage", "state"},
    "render": {"engine", "artifacts", "lineage", "state", "render"},
    "runtime": {"engine", "artifacts", "lineage", "state", "render", "runtime"},
    "cli": {"engine", "artifacts", "lineage", "state", "render", "runtime", "cli"},
}
DBT_CORE = ("dbt", "dbt_common", "dbt_adapters")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Every module `name` imports, at any depth (function bodies and TYPE_CHECKING too),
    with relative imports resolved; `from pkg import mod` counts as importing pkg.mod."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names
                         if f"{module}.{alias.name}" in MODULES)
    return found


def _ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


# A module's own packages are imported before it by Python itself: no edge to them.
GRAPH = {name: {m for m in _imports(name) if m in MODULES and m != name
                and m not in _ancestors(name)} for name in MODULES}


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


def test_no_import_cycle():
    # Importing a package runs its __init__, so a module importing its own package's
    # __init__ is no cycle unless that __init__ imports it back; the graph has the edges.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for child in sorted(GRAPH[name]):
            if state.get(child) == 1:
                cycle = stack[stack.index(child):] + [child]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if child not in state:
                visit(child)
        stack.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _layer(n)))
def test_each_layer_imports_only_the_layers_below(name):
    layer = _layer(name)
    allowed = LAYERS[layer]
    wrong = sorted(m for m in GRAPH[name] if _layer(m) and _layer(m) not in allowed)
    assert not wrong, f"{name} ({layer}/) may not import {', '.join(wrong)}"
    if layer != "runtime":
        dbt = sorted(m for m in _imports(name) if m.split(".")[0] in DBT_CORE)
        assert not dbt, f"{name} imports dbt-core ({', '.join(dbt)}); only runtime/ may"


def test_engine_imports_only_the_standard_library_and_itself():
    for name in (n for n in MODULES if _layer(n) == "engine"):
        outside = sorted(m for m in _imports(name)
                         if m.split(".")[0] not in ("__future__", "tessera_dbt")
                         and m.split(".")[0] not in sys.stdlib_module_names)
        assert not outside, f"{name} imports {', '.join(outside)}"


def test_top_level_holds_only_the_sub_packages():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules outside a sub-package: {', '.join(loose)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_the_size_limit(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (split it; limit {MAX_LINES})"


def test_doc_generators_are_not_in_the_wheel():
    assert not list(PACKAGE.rglob("*_doc.py"))
    assert (ROOT / "tools" / "rules_doc.py").is_file()


def _sql_vocabulary() -> dict[str, list[str]]:
    text = (ROOT / "macros" / "config" / "vocabulary.sql").read_text(encoding="utf-8")
    body = re.search(r"return\((\{.*\})\)", text, re.S)
    assert body, "macros/config/vocabulary.sql: no return({...})"
    return json.loads(body.group(1))


def test_sql_models_and_python_share_one_vocabulary():
    assert _sql_vocabulary() == {
        "event_type": list(vocabulary.EVENT_TYPES),
        "proposal_status": list(vocabulary.PROPOSAL_STATUSES),
        "response": list(vocabulary.RESPONSES),
        "ack_state": list(vocabulary.ACK_STATES),
        "consumer_source": list(vocabulary.CONSUMER_SOURCES),
        "test_status": list(vocabulary.TEST_STATUSES),
        "run_status": list(vocabulary.RUN_STATUSES),
        "lifecycle": list(vocabulary.LIFECYCLES),
        "membership_role": list(vocabulary.MEMBERSHIP_ROLES),
    }


def test_models_name_event_types_through_the_vocabulary_macro():
    bare = []
    for path in sorted((ROOT / "models").rglob("*.sql")):
        for word in vocabulary.EVENT_TYPES:
            if f"'{word}'" in path.read_text(encoding="utf-8").replace(
                    f"tessera.word('event_type', '{word}')", ""):
                bare.append(f"{path.relative_to(ROOT)}: '{word}'")
    assert not bare, "use tessera.word('event_type', ...): " + ", ".join(bare)


def _macro_literal(relative: str) -> object:
    """The literal a macro returns, read as Python (Jinja's none/true/false spelt as such)."""
    import ast

    text = (ROOT / relative).read_text(encoding="utf-8")
    body = re.search(r"return\((\{.*\})\)", text, re.S)
    assert body, f"{relative}: no return({{...}})"
    words = {"none": "None", "true": "True", "false": "False"}
    return ast.literal_eval(re.sub(r"\b(none|true|false)\b", lambda m: words[m.group(1)],
                                   body.group(1)))


def test_the_macros_and_python_share_one_set_of_defaults():
    from tessera_dbt.engine.settings import DEFAULT_SETTINGS

    assert _macro_literal("macros/config/default_settings.sql") == DEFAULT_SETTINGS


def test_the_macros_and_python_share_the_state_columns():
    from tessera_dbt.state.integrity import AUDIT, EVENTS, REQUIRED
    from tessera_dbt.state.records import EVENT_COLUMNS, WRITTEN_BY

    def names(relative: str) -> tuple[str, ...]:
        text = (ROOT / relative).read_text(encoding="utf-8")
        return tuple(re.findall(r'\("(\w+)",', text))

    # written_by last: filled by the warehouse, never written nor required (older logs)
    assert names("macros/state/event_columns.sql") == (*EVENT_COLUMNS, WRITTEN_BY)
    assert EVENT_COLUMNS == REQUIRED[EVENTS]
    assert names("macros/state/audit_columns.sql") == REQUIRED[AUDIT]
