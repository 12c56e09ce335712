"""Column types for columns whose YAML declares no data_type: from catalog.json (marked
`x-type-source: catalog`), or, for an asset dbt does not hold to its YAML, what its relation
serves (`served`: read by the hook from the first build, by `tessera check` from
catalog.json); a retyped column is then caught by `tessera check`."""

from __future__ import annotations

import json
import re

import pytest

from tessera_dbt.artifacts.catalog import adopt_catalog_types, catalog_types
from tests.conftest import copy_project, environment

YML = "models/commerce/dim_products.yml"
SQL = "models/commerce/dim_products.sql"


def test_catalog_types_fill_only_untyped_declared_columns():
    raw = {"nodes": {"model.p.m": {"columns": {"ID": {"type": "INTEGER", "name": "ID"},
                                               "NOTE": {"type": "VARCHAR", "name": "NOTE"}}}}}
    assert catalog_types(raw) == {"model.p.m": {"id": "INTEGER", "note": "VARCHAR"}}
    old = {"schema": {"properties": {"id": {}, "x": {"x-data-type": "int"}}}}
    new = {"schema": {"properties": {
        "id": {"type": ["integer", "null"], "x-data-type": "INTEGER",
               "x-type-source": "catalog"}, "x": {"x-data-type": "bigint"}}}}
    adopted = adopt_catalog_types(old, new)["schema"]["properties"]
    # the type and its source: learning a type is no change, not even a META one
    assert adopted["id"] == {"type": ["integer", "null"], "x-data-type": "INTEGER",
                             "x-type-source": "catalog"}
    assert adopted["x"] == {"x-data-type": "int"}, "a declared type is never replaced"
    # a build without a catalog: the published catalog type is unknown now, not changed
    back = adopt_catalog_types(new, {"schema": {"properties": {"id": {}, "x": {}}}})
    assert back["schema"]["properties"]["id"] == {}
    assert back["schema"]["properties"]["x"] == {"x-data-type": "bigint"}


@pytest.mark.dbt
def test_retyping_an_untyped_column_is_caught_after_docs_generate(tmp_path, cli, capsys):
    project = copy_project(tmp_path, "duckdb", deps=True)
    text = (project.path / YML).read_text()
    text = re.sub(r"\n +data_type: [^\n]+", "", text).replace("compatibility: forward",
                                                               "compatibility: backward")
    (project.path / YML).write_text(text)
    project.run("build")
    project.run("docs", "generate")
    catalog = project.path / "target" / "catalog.json"
    assert catalog.is_file()
    capsys.readouterr()  # dbt's own output
    documents = json.loads(cli("contracts", "--manifest", project.manifest, "--select",
                               "dim_products", "--format", "json").out)
    units = documents[0]["schema"]["properties"]["units_sold"]
    # an asset dbt does not hold to its YAML: the catalog's columns are what it serves
    assert units["x-data-type"].lower() == "bigint" and units["x-type-source"] == "served"

    # the hook read the built relation from the first build on: the types were published
    # then, and a catalog adds nothing (no new version)
    build = project.run("build", "--select", "dim_products", "--indirect-selection",
                        "cautious")
    assert not [m for m in build.messages if "WARNING" in m], build.messages
    current = json.loads(project.query(
        "select contract from {state}.tessera_contracts "
        "where is_current and asset like '%.dim_products'")[0][0])
    assert current["schema"]["properties"]["units_sold"]["x-type-source"] == "served"
    version = current["version"]
    assert version == "1.0.0", "the served types were in the first publication"

    catalog.unlink()  # a build without a catalog (a fresh checkout) publishes nothing
    project.run("build", "--select", "dim_products", "--indirect-selection", "cautious")
    assert project.query("select version from {state}.tessera_contracts where is_current "
                         "and asset like '%.dim_products'") == [(version,)]

    project.edit(SQL, "as bigint) as units_sold", "as integer) as units_sold")
    project.run("run", "--select", "dim_products")
    project.run("docs", "generate")
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    capsys.readouterr()
    with environment(project.env):
        caught = cli("check", "--state-from-warehouse", "--format", "json", *where, expect=1)
        unseen = cli("check", "--state-from-warehouse", "--no-catalog", *where)
    verdict = json.loads(caught.out)
    rules = {(c["rule"], c["path"]) for a in verdict["assets"] for c in a.get("changes", [])
             if c.get("breaking")}
    assert ("TYPE_NARROWED", "units_sold") in rules, verdict
    assert "TYPE_NARROWED" not in unseen.out and "judged on their YAML only" in unseen.out
    bad = cli("check", "--state-from-warehouse", "--catalog", tmp_path / "nope.json", *where,
              expect=2)
    assert "nope.json: no such file" in bad.err
