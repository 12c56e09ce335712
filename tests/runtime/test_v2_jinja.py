"""The package's Jinja stays within what dbt Core v2 runs (docs/dbt-v2-jinja.yml): every
filter, test and `modules.X` the macros and models use is listed there, no macro is looked
up by name, and only the bridge's two macros touch `modules.tessera`, which v2 never has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = yaml.safe_load((ROOT / "docs" / "dbt-v2-jinja.yml").read_text())


def _templates() -> Iterator[tuple[str, nodes.Template]]:
    from dbt_common.clients.jinja import get_environment

    env = get_environment()  # dbt's own parser: its materialization/test/docs tags
    for path in sorted([*ROOT.glob("macros/**/*.sql"), *ROOT.glob("models/**/*.sql")]):
        yield str(path.relative_to(ROOT)), env.parse(path.read_text())


TEMPLATES = list(_templates())


def _used(kind: type, attribute: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, template in TEMPLATES:
        for node in template.find_all(kind):
            out.setdefault(getattr(node, attribute), set()).add(path)
    return out


def test_the_package_has_templates_to_check():
    assert len(TEMPLATES) > 60


@pytest.mark.parametrize("kind,attribute,listed", [
    (nodes.Filter, "name", "filters"), (nodes.Test, "name", "tests")])
def test_every_filter_and_test_is_one_v2_supports(kind, attribute, listed):
    used = _used(kind, attribute)
    assert used, f"no {listed} found: the parse is broken"
    unsupported = {name: sorted(paths) for name, paths in used.items()
                   if name not in SUPPORTED[listed]}
    assert not unsupported, f"{listed} dbt Core v2 may not support: {unsupported}"


def _modules_used() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, template in TEMPLATES:
        for node in template.find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name == "modules":
                out.setdefault(node.attr, set()).add(path)
    return out


def test_modules_are_v2s_or_the_guarded_plugin_door():
    used = _modules_used()
    assert set(used["tessera"]) == set(SUPPORTED["plugin_door"])
    assert not set(used) - {"tessera", *SUPPORTED["modules"]}, used


def test_no_macro_is_looked_up_by_name():
    for path, template in TEMPLATES:
        for node in template.find_all((nodes.Getitem, nodes.Getattr)):
            assert not (isinstance(node.node, nodes.Name) and node.node.name == "context"), \
                f"{path}:{node.lineno} looks a macro up in `context`"


def test_pip_never_resolves_the_plugin_path_to_dbt_v2():
    """dbt-core 2.x loads no plugin: the package's dependency bound keeps pip on 1.x."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = next(Requirement(d) for d in project["dependencies"]
                if Requirement(d).name == "dbt-core")
    assert not core.specifier.contains("2.0.0", prereleases=True)
    assert not core.specifier.contains("2.0.0rc9", prereleases=True)
    assert core.specifier.contains("1.11.2") and core.specifier.contains("1.8.0")
