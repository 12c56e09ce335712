"""The package's models are not nodes of a default `dbt build` / `dbt run` (issue 23): the
plugin leaves them out of dbt's default selection (runtime.selection) and the on-run-end
hook keeps them (runtime.package): the state tables created and upgraded, each view
re-created when its definition hash differs, an unchanged package compiling nothing. Real
dbt on real DuckDB files and PostgreSQL: the marts answer right after any build."""

from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import pytest

from tessera_dbt.artifacts.package_views import (
    Found,
    catalog_entries,
    definition_hash,
    package_views,
    settings_named,
    stale,
)
from tessera_dbt.runtime.selection import leaves_package
from tests.conftest import ROOT, clone_built, copy_project

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
VIEWS = 15  # staging, intermediate and marts
UNDER_CONTRACT = 12


# --- pure: the views, their order and their hashes ---------------------------------------

def _node(uid, parents=(), macros=(), raw="select 1", materialized="tessera_view"):
    name = uid.rsplit(".", 1)[1]
    return {"unique_id": uid, "package_name": "tessera", "resource_type": "model",
            "config": {"materialized": materialized}, "schema": "s", "alias": name,
            "database": "d", "relation_name": f'"d"."s"."{name}"', "raw_code": raw,
            "depends_on": {"nodes": list(parents), "macros": list(macros)}}


NODES = {
    "model.tessera.events": _node("model.tessera.events", materialized="tessera_state"),
    "model.tessera.stg": _node("model.tessera.stg", ["model.tessera.events"]),
    "model.tessera.mart": _node("model.tessera.mart", ["model.tessera.stg"],
                                ["macro.tessera.thresholds"]),
    "model.tessera.alpha": _node("model.tessera.alpha", ["model.tessera.mart"]),
    "model.shop.orders": {**_node("model.shop.orders"), "package_name": "shop"},
}
MACROS = {
    "macro.tessera.thresholds": {"macro_sql": '{{ tessera.setting("audit_alerts") }}',
                                 "depends_on": {"macros": ["macro.tessera.setting"]}},
    "macro.tessera.setting": {"macro_sql": "{{ tessera.settings()[key] }}",
                              "depends_on": {"macros": []}},
}
CONTEXT = {"adapter_type": "duckdb", "dbt": "1.11.0", "tessera": "0.1.0"}


def test_the_views_come_after_what_they_read():
    order = [v.unique_id for v in package_views(NODES)]
    assert order == ["model.tessera.stg", "model.tessera.mart", "model.tessera.alpha"]
    assert package_views(NODES)[1].parents == ("model.tessera.stg",)


def test_a_hash_follows_the_settings_a_view_renders_and_nothing_else():
    def hashes(settings):
        return {uid: definition_hash(uid, NODES, MACROS, settings, CONTEXT)
                for uid in ("model.tessera.stg", "model.tessera.mart")}

    base = hashes({"audit_alerts": {"min_runs_24h": 3}, "gate": "warn"})
    assert all(h.startswith("tessera:") for h in base.values())
    other_gate = hashes({"audit_alerts": {"min_runs_24h": 3}, "gate": "block"})
    assert other_gate == base
    thresholds = hashes({"audit_alerts": {"min_runs_24h": 4}, "gate": "warn"})
    assert thresholds["model.tessera.mart"] != base["model.tessera.mart"]
    assert thresholds["model.tessera.stg"] == base["model.tessera.stg"]
    assert settings_named(['{{ tessera.setting("schema") }}', "x"]) == {"schema"}
    assert settings_named(["{% set s = tessera.settings() %}"]) is None


def test_a_hash_follows_the_sql_the_macros_and_the_parents_relations():
    uid = "model.tessera.mart"
    base = definition_hash(uid, NODES, MACROS, {}, CONTEXT)
    edited = {**NODES, uid: {**NODES[uid], "raw_code": "select 2"}}
    assert definition_hash(uid, edited, MACROS, {}, CONTEXT) != base
    macro = {**MACROS, "macro.tessera.thresholds": {**MACROS["macro.tessera.thresholds"],
                                                    "macro_sql": "changed"}}
    assert definition_hash(uid, NODES, macro, {}, CONTEXT) != base
    moved = {**NODES, "model.tessera.stg": {**NODES["model.tessera.stg"],
                                            "relation_name": '"d"."other"."stg"'}}
    assert definition_hash(uid, moved, MACROS, {}, CONTEXT) != base
    assert definition_hash(uid, NODES, MACROS, {}, {**CONTEXT, "dbt": "1.12.0"}) != base


def test_what_is_stale_and_what_a_cascade_takes_with_it():
    views = package_views(NODES)
    wanted = {v.unique_id: f"tessera:{v.alias}" for v in views}
    current = {("s", v.alias): Found("view", wanted[v.unique_id]) for v in views}
    assert stale(views, current, wanted, cascade=True) == []
    changed = {**current, ("s", "mart"): Found("view", "tessera:old")}
    assert [v.alias for v in stale(views, changed, wanted, cascade=False)] == ["mart"]
    assert [v.alias for v in stale(views, changed, wanted, cascade=True)] == ["mart", "alpha"]
    missing = {k: f for k, f in current.items() if k != ("s", "stg")}
    assert [v.alias for v in stale(views, missing, wanted, cascade=False)] == ["stg"]
    table = {**current, ("s", "alpha"): Found("table", None)}
    assert [v.alias for v in stale(views, table, wanted, cascade=False)] == ["alpha"]
    # a warehouse that folds unquoted names to upper case
    upper = {(s.upper(), n.upper()): f for (s, n), f in current.items()}
    assert stale(views, upper, wanted, cascade=True) == []
    assert catalog_entries([("s", "v", "VIEW", None)]) == {("s", "v"): Found("view", None)}


def _task(which="build", select=None, exclude=None, selector=None, default=None,
          adapter="duckdb", nodes=()):
    args = SimpleNamespace(which=which, selector=selector, inline=None)
    config = SimpleNamespace(credentials=SimpleNamespace(type=adapter),
                             get_default_selector_name=lambda: default)
    manifest = SimpleNamespace(nodes={n.unique_id: n for n in nodes})
    return SimpleNamespace(args=args, config=config, manifest=manifest,
                           selection_arg=select, exclusion_arg=exclude)


def test_only_a_default_build_or_run_leaves_the_package_out():
    assert leaves_package(_task())
    assert leaves_package(_task("run", exclude=("orders",)))
    assert leaves_package(_task(exclude=("orders",), default="nightly"))
    assert not leaves_package(_task(default="nightly"))
    assert not leaves_package(_task(select=("package:tessera",)))
    assert not leaves_package(_task(selector="nightly"))
    for which in ("test", "seed", "compile", "list", "docs"):
        assert not leaves_package(_task(which))
    assert not leaves_package(_task(adapter="spark"))
    assert not leaves_package(_task(adapter="snowflake"))
    reader = SimpleNamespace(unique_id="model.shop.kpis", package_name="shop",
                             depends_on=SimpleNamespace(nodes=["model.tessera.tessera_contracts"]))
    assert not leaves_package(_task(nodes=[reader]))


# --- real dbt ----------------------------------------------------------------------------

def _results(project) -> dict[str, str]:
    data = json.loads(project.run_results.read_text())
    return {r["unique_id"]: r["status"] for r in data["results"]}


def _package_nodes(project) -> list[str]:
    return sorted(u for u in _results(project) if u.startswith("model.tessera."))


def _views(project) -> dict[str, str | None]:
    if project.target == "duckdb":
        rows = project.query("select view_name, comment from duckdb_views() "
                             "where schema_name = '{state}'")
    else:
        rows = project.query("select c.relname, obj_description(c.oid, 'pg_class') from "
                             "pg_class c join pg_namespace n on n.oid = c.relnamespace "
                             "where n.nspname = '{state}' and c.relkind = 'v'")
    return dict(rows)


def _recreated(project, run) -> set[str]:
    """The package views whose DDL the dbt invocation `run()` ran (dbt's own debug log)."""
    log = project.path / "logs" / "dbt.log"
    if log.exists():
        log.write_text("")
    run()
    text = log.read_text(errors="replace")
    return set(re.findall(rf'create (?:or replace )?view "?[^\s"]*"?\.?"?{project.state_schema}'
                          r'"?\."?(\w+)"?', text))


def _contracts(project) -> int:
    return project.query("select count(*) from {state}.tessera_contracts where is_current")[0][0]


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_a_default_build_keeps_the_marts_without_building_them(request, target, tmp_path):
    project = clone_built(request, tmp_path, target)
    before = _views(project)
    assert len(before) == VIEWS and all(h and h.startswith("tessera:") for h in before.values())
    # an unchanged package: no view DDL at all
    assert _recreated(project, lambda: project.run("build")) == set()
    assert _package_nodes(project) == []
    assert _views(project) == before
    assert _contracts(project) == UNDER_CONTRACT
    # --select package:tessera builds them as nodes, keeping the same hashes
    project.run("build", "--select", "package:tessera")
    assert len(_package_nodes(project)) == VIEWS + 2
    assert set(_results(project).values()) == {"success"}
    assert _views(project) == before
    assert _recreated(project, lambda: project.run("run")) == set()
    assert _package_nodes(project) == []


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_a_setting_a_view_renders_recreates_that_view_alone(request, target, tmp_path):
    project = clone_built(request, tmp_path, target)
    before = _views(project)
    with project.settings(audit_alerts={"min_runs_24h": 7}):
        project.run("parse")
        assert _recreated(project, lambda: project.run("build")) == {"tessera_audit_alerts"}
        after = _views(project)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"tessera_audit_alerts"}
    assert project.query("select count(*) from {state}.tessera_audit_alerts")[0][0] >= 0


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_an_edited_package_view_is_recreated_with_what_reads_it(request, target, tmp_path):
    """The package as a copy in dbt_packages (not the link to this checkout), one staging
    view's SQL edited: that view is re-created, and on PostgreSQL (drop ... cascade) every
    package view built on it after it; the marts answer."""
    project = clone_built(request, tmp_path, target)
    package = project.path / "dbt_packages" / "tessera"
    package.unlink()
    package.mkdir()
    for part in ("dbt_project.yml", "macros", "models"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, package / part)
    stg = package / "models" / "staging" / "stg_tessera__audit_log.sql"
    stg.write_text(stg.read_text() + "\n-- edited\n")
    recreated = _recreated(project, lambda: project.run("build"))
    if target == "postgres":
        assert "stg_tessera__audit_log" in recreated and "tessera_audit_runs" in recreated
        assert "tessera_contracts" not in recreated  # reads the events, not the audit log
    else:
        assert recreated == {"stg_tessera__audit_log"}
    assert _package_nodes(project) == []
    assert len(_views(project)) == VIEWS
    assert project.query("select count(*) from {state}.tessera_audit_runs")[0][0] > 0


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_a_fresh_projects_first_build_creates_everything(target, tmp_path):
    project = copy_project(tmp_path, target, deps=True)
    project.run("build")
    assert _package_nodes(project) == []
    assert len(_views(project)) == VIEWS
    assert _contracts(project) == UNDER_CONTRACT
    assert project.query("select count(*) from {state}.tessera_audit_results")[0][0] > 0


@pytest.mark.dbt
def test_a_build_of_one_model_on_a_fresh_project_leaves_the_marts_readable(tmp_path):
    project = copy_project(tmp_path, "duckdb", deps=True)
    project.run("build", "--select", "+stg_products", "--indirect-selection", "cautious")
    assert _package_nodes(project) == []
    assert len(_views(project)) == VIEWS
    current = project.query("select asset from {state}.tessera_contracts where is_current")
    assert ("warehouse.main.stg_products",) in current


def test_the_hook_and_the_materialization_read_hashes_on_the_same_adapters():
    from tessera_dbt.runtime.package import KEEPS_VIEW_HASHES

    text = (ROOT / "macros" / "materializations" / "_view_hash.sql").read_text()
    assert set(re.findall(r"macro (\w+)___view_hash\(", text)) - {"default"} == \
        set(KEEPS_VIEW_HASHES)
