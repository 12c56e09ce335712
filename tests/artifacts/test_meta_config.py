"""`meta.tessera` validation (artifacts.meta_config): one function, reached from
`Extractor.document`, so the hook, the gate, `tessera check` and `propose` refuse the same
mistakes with the same one line; `tessera check` also runs the hook's check of declared
consumer teams, and warns when the manifest is older than the files it was parsed from.

Pure (manifests built as dicts, no dbt) but for one CLI run of `tessera check`."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera_dbt.artifacts.contracts import Extractor, extract_contracts
from tessera_dbt.artifacts.meta_config import CONSUMER_KEYS, KNOWN_KEYS, validate_tessera_meta
from tessera_dbt.artifacts.readers import Manifest
from tessera_dbt.cli.baseline import stale_manifest
from tessera_dbt.engine.asset_errors import AssetError
from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.engine.membership import Membership
from tessera_dbt.runtime.teams import (
    check_declared_consumers,
    declared_consumer_errors,
    manifest_teams,
)
from tests.conftest import ROOT

UID = "model.shop.fct_orders"
GROUPS = {"group.shop.commerce": {"name": "commerce", "owner": {"name": "commerce"}},
          "group.shop.marketing": {"name": "marketing", "owner": {"name": "marketing"}},
          "group.shop.finance": {"name": "finance", "owner": {"name": "finance"}}}
TEAMS_HINT = ("declare it as a dbt group or in the membership (tessera_teams.yml), or fix the "
              "name; known teams: commerce, finance, marketing")
CONSUMERS_HINT = "e.g. consumers: [{team: finance, purpose: revenue reporting}]"
SEMVER_HINT = "write MAJOR.MINOR.PATCH, e.g. 1.2.0 or 2.0.0-rc.1"
KEYS_HINT = "known keys: owner, compatibility, consumers, freshness, loaded_at_field, version"

# bad meta.tessera → the exact one-line problem every path reports (AssetError.problem)
BAD = {
    "misspelt key": (
        {"owner": "commerce", "compatability": "backward_transitive"},
        "meta.tessera has an unknown key 'compatability' (did you mean 'compatibility'?) "
        f"({KEYS_HINT})"),
    "two misspelt keys": (
        {"ownr": "commerce", "verison": "2.0.0"},
        "meta.tessera has unknown keys 'ownr' (did you mean 'owner'?), 'verison' (did you "
        f"mean 'version'?) ({KEYS_HINT})"),
    "owner 42": (
        {"owner": 42},
        "meta.tessera.owner must be a team name (a non-empty string), got 42 "
        "(e.g. owner: commerce)"),
    "empty owner": (
        {"owner": " "},
        "meta.tessera.owner must be a team name (a non-empty string), got ' ' "
        "(e.g. owner: commerce)"),
    "consumers a string": (
        {"owner": "commerce", "consumers": "finance"},
        "meta.tessera.consumers must be a list of {team: ...} mappings, got 'finance' "
        f"({CONSUMERS_HINT})"),
    "consumers a mapping": (
        {"owner": "commerce", "consumers": {"team": "finance"}},
        "meta.tessera.consumers must be a list of {team: ...} mappings, got "
        f"{{'team': 'finance'}} ({CONSUMERS_HINT})"),
    "consumer without team": (
        {"owner": "commerce", "consumers": [{"purpose": "revenue"}]},
        f"meta.tessera.consumers[0] names no team ({CONSUMERS_HINT})"),
    "consumer team 42": (
        {"owner": "commerce", "consumers": [{"team": "finance"}, {"team": 42}]},
        "meta.tessera.consumers[1].team must be a team name (a non-empty string), got 42 "
        f"({CONSUMERS_HINT})"),
    "consumer a number": (
        {"owner": "commerce", "consumers": [7]},
        f"meta.tessera.consumers[0] must be a {{team: ...}} mapping, got 7 ({CONSUMERS_HINT})"),
    "consumer key misspelt": (
        {"owner": "commerce", "consumers": [{"team": "finance", "colums": ["id"]}]},
        "meta.tessera.consumers[0] has an unknown key 'colums' (did you mean 'columns'?) "
        "(known keys: team, purpose, columns)"),
    "consumer columns a string": (
        {"owner": "commerce", "consumers": [{"team": "finance", "columns": "id"}]},
        "meta.tessera.consumers[0].columns must be a list of column names, got 'id' "
        "(e.g. columns: [order_id, amount])"),
    "version banana": (
        {"owner": "commerce", "version": "banana"},
        f"meta.tessera.version is 'banana', not a semantic version ({SEMVER_HINT})"),
    "version a number": (
        {"owner": "commerce", "version": 2},
        f"meta.tessera.version is 2, not a semantic version ({SEMVER_HINT})"),
}
TYPO = ({"owner": "commerce", "consumers": [{"team": "marketting"}]},
        "fct_orders: meta.tessera.consumers names team 'marketting', which is not a team this "
        f"project declares (did you mean 'marketing'?) ({TEAMS_HINT})")


def node(tessera: Any, name: str = "fct_orders") -> dict[str, Any]:
    return {"unique_id": f"model.shop.{name}", "resource_type": "model", "name": name,
            "package_name": "shop", "database": "db", "schema": "main", "alias": name,
            "original_file_path": f"models/{name}.sql",
            "patch_path": f"shop://models/{name}.yml",
            "config": {"meta": {"tessera": tessera}, "materialized": "table"},
            "columns": {"id": {"name": "id", "data_type": "integer"}},
            "depends_on": {"nodes": []}}


def manifest_of(nodes: dict[str, dict[str, Any]], path: str = "manifest.json",
                groups: dict[str, Any] | None = None) -> Manifest:
    return Manifest(path=path, schema_version=12, dbt_version="1.11.0", adapter_type="duckdb",
                    project_name="shop", nodes=nodes, sources={}, exposures={},
                    groups=GROUPS if groups is None else groups, child_map={})


def problem(tessera: Any) -> str:
    errors: list[AssetError] = []
    extract_contracts(manifest_of({UID: node(tessera)}), errors=errors)
    assert len(errors) == 1, errors
    return errors[0].problem


def hook_problem(manifest: Manifest, uid: str) -> str | None:
    """The hook's sequence (runtime.invocation.Invocation.document), without dbt."""
    try:
        check_declared_consumers(manifest, Membership(), uid)
        Extractor(manifest, ()).document(uid, manifest.nodes[uid])
    except ConfigError as exc:
        return AssetError.of(uid, "db.main.fct_orders", exc).problem
    return None


def check_problem(manifest: Manifest, tmp_path: Path) -> str | None:
    """`tessera check`'s sequence (cli.check.run): extraction, then the consumer check."""
    errors: list[AssetError] = []
    documents = extract_contracts(manifest, errors=errors)
    declared_consumer_errors(manifest, str(tmp_path), documents, errors)
    return errors[0].problem if errors else None


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_meta_is_one_line(case):
    tessera, expected = BAD[case]
    assert problem(tessera) == expected


@pytest.mark.parametrize("case", [*sorted(BAD), "typo", "typo and misspelt key"])
def test_check_and_the_hook_say_the_same(case, tmp_path):
    if case == "typo":
        tessera, expected = TYPO
    elif case == "typo and misspelt key":  # the hook checks the consumers first; so does check
        tessera, expected = {**TYPO[0], "compatability": "full"}, TYPO[1]
    else:
        tessera, expected = BAD[case]
    manifest = manifest_of({UID: node(tessera)})
    assert hook_problem(manifest, UID) == expected
    assert check_problem(manifest, tmp_path) == expected


def test_a_string_of_consumers_is_never_read_letter_by_letter():
    manifest = manifest_of({UID: node({"owner": "commerce", "consumers": "finance"})})
    assert "f" not in manifest_teams(manifest)
    check_declared_consumers(manifest, Membership(), UID)  # no "names team 'f'"


def test_good_meta_stays_accepted():
    for tessera in ({}, {"owner": "commerce"}, {"owner": None, "version": None},
                    {"consumers": ["finance", {"team": "marketing"}]},
                    {"consumers": [{"team": "finance", "purpose": "x", "columns": ["id"]}]},
                    {"version": "2.0.0-rc.1"}, {"version": "1.2.3+build.7"},
                    {"compatibility": "FULL_TRANSITIVE", "loaded_at_field": "updated_at",
                     "freshness": {"warn_after": {"count": 12, "period": "hour"}}}):
        validate_tessera_meta(node(tessera))
    validate_tessera_meta({"unique_id": UID, "config": {}})  # no meta.tessera at all


def _documented_yaml() -> list[tuple[str, Any]]:
    out = []
    for path in sorted((ROOT / "integration_tests").rglob("*.yml")):
        if "dbt_packages" not in path.parts and "target" not in path.parts:
            out.append((str(path.relative_to(ROOT)), yaml.safe_load(path.read_text())))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for block in re.findall(r"^```yaml\n(.*?)^```", path.read_text(), re.M | re.S):
            if "meta" in block and "tessera" in block:
                out.append((str(path.relative_to(ROOT)), yaml.safe_load(block)))
    return out


def test_every_example_in_the_docs_and_integration_tests_validates():
    found = 0
    for where, data in _documented_yaml():
        for tessera in _asset_metas(data):
            try:
                validate_tessera_meta(node(tessera))
            except ConfigError as exc:
                raise AssertionError(f"{where}: {exc.one_line()}") from None
            found += 1
    assert found >= 6, found  # integration_tests' four, configuration.md, lineage.md, README


def _asset_metas(data: Any, inside_exposures: bool = False):
    """meta.tessera of assets only: `tessera` directly under a `meta` key."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "meta" and isinstance(value, dict) and "tessera" in value \
                    and not inside_exposures:
                yield value["tessera"]
            yield from _asset_metas(value, inside_exposures or key == "exposures")
    elif isinstance(data, list):
        for item in data:
            yield from _asset_metas(item, inside_exposures)


def test_configuration_md_documents_every_known_key():
    text = (ROOT / "docs" / "configuration.md").read_text()
    per_asset = text[text.index("## Per asset"):]
    for key in KNOWN_KEYS:
        assert f"| `{key}` |" in per_asset, key
    for key in CONSUMER_KEYS:
        assert key in per_asset, key


def test_every_key_the_code_reads_is_known():
    """The keys read from an asset's meta.tessera anywhere in the package are KNOWN_KEYS."""
    package = ROOT / "tessera_dbt"
    read: set[str] = set()
    for path in (package / "artifacts", package / "runtime", package / "cli"):
        for source in path.glob("*.py"):
            text = source.read_text()
            read.update(re.findall(r"tessera_meta\([^()]*(?:\([^()]*\))?[^()]*\) or \{\}\)"
                                   r"\.get\(\"(\w+)\"", text))
    for name in ("contracts.py", "consumers.py", "nodes.py"):
        text = (package / "artifacts" / name).read_text()
        read.update(re.findall(r"\btessera(?:\.get\(|\[)\"(\w+)\"", text))
    assert {"owner", "compatibility", "freshness", "version"} <= read, read
    assert read <= set(KNOWN_KEYS), read - set(KNOWN_KEYS)


# --- a manifest older than its files --------------------------------------------------------

def _project(tmp_path: Path, tessera: Any) -> tuple[Path, Path]:
    """A project with one model under contract and its parsed manifest."""
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: shop\nvars:\n  tessera:\n    teams: {commerce: [alice], marketing: [bob]}\n")
    (tmp_path / "models" / "fct_orders.sql").write_text("select 1 as id\n")
    (tmp_path / "models" / "fct_orders.yml").write_text("models:\n  - name: fct_orders\n")
    (tmp_path / "target").mkdir()
    manifest = tmp_path / "target" / "manifest.json"
    manifest.write_text(json.dumps({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                     "dbt_version": "1.11.0", "adapter_type": "duckdb", "project_name": "shop"},
        "nodes": {UID: node(tessera)}, "sources": {}, "exposures": {}, "groups": {}}))
    old = time.time() - 60
    for path in (tmp_path / "models").iterdir():
        os.utime(path, (old, old))
    return tmp_path, manifest


def test_a_manifest_older_than_its_files_is_named(tmp_path):
    project, path = _project(tmp_path, {"owner": "commerce"})
    manifest = manifest_of({UID: node({"owner": "commerce"})}, str(path))
    assert stale_manifest(manifest, str(project)) is None
    later = time.time() + 60
    os.utime(project / "models" / "fct_orders.yml", (later, later))
    assert stale_manifest(manifest, str(project)) == (
        f"warning: {path} is older than models/fct_orders.yml it was parsed from; the check "
        "may not see your latest changes (run `dbt parse` again)")
    os.utime(project / "models" / "fct_orders.sql", (later, later))
    assert "models/fct_orders.sql and 1 other file(s) it was" in stale_manifest(
        manifest, str(project))
    (project / "models" / "fct_orders.sql").unlink()
    (project / "models" / "fct_orders.yml").unlink()
    assert stale_manifest(manifest, str(project)) is None  # a missing file never fails


def test_tessera_check_names_a_consumer_typo_as_the_build_does(cli, tmp_path):
    project, manifest = _project(tmp_path, TYPO[0])
    result = cli("check", "--manifest", manifest, "--baseline", manifest,
                 "--project-dir", project, "--format", "json", expect=2)
    errors = json.loads(result.out)["errors"]
    assert [(e["unique_id"], e["message"]) for e in errors] == [(
        UID, "fct_orders: meta.tessera.consumers names team 'marketting', which is not a team "
        "this project declares (did you mean 'marketing'?)")]
    assert "marketting" in result.err and "did you mean 'marketing'?" in result.err
    assert "older than" not in result.err
    later = time.time() + 60
    os.utime(project / "models" / "fct_orders.yml", (later, later))
    stale = cli("check", "--manifest", manifest, "--baseline", manifest,
                "--project-dir", project, expect=2).err
    assert f"tessera check: warning: {manifest} is older than models/fct_orders.yml" in stale
