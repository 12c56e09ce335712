"""Reading manifests and run results of every dbt version; every bad input is one line, exit 2."""

from __future__ import annotations

import json

import pytest

from tessera_dbt.artifacts.readers import load_manifest, load_run_results
from tessera_dbt.engine.errors import ArtifactError
from tests.conftest import CORPUS, FULL_CORPUS, corpus_files, corpus_path

MANIFESTS = corpus_files("manifest")
RUN_RESULTS = corpus_files("run_results")


def _id(path):
    return str(path.relative_to(CORPUS))


def test_corpus_is_there():
    # the shared corpus, or the subset vendored for a plain clone (manifests v4 and v12)
    assert len(MANIFESTS) >= (30 if FULL_CORPUS else 4), f"expected the corpus at {CORPUS}"
    assert len(RUN_RESULTS) >= (20 if FULL_CORPUS else 9), f"expected the corpus at {CORPUS}"


@pytest.mark.parametrize("path", MANIFESTS, ids=_id)
def test_every_corpus_manifest_loads(path):
    manifest = load_manifest(str(path))
    raw = json.loads(path.read_text())
    assert manifest.schema_version == int(
        raw["metadata"]["dbt_schema_version"].rsplit("/v", 1)[1].split(".")[0])
    assert manifest.nodes == raw["nodes"]
    assert manifest.project_name, "the root project is known (or guessed for old manifests)"
    # child_map is rebuilt from depends_on where a manifest lacks it
    for parent, children in manifest.child_map.items():
        assert isinstance(children, list), parent


@pytest.mark.parametrize("path", RUN_RESULTS, ids=_id)
def test_every_corpus_run_results_loads(path):
    results = load_run_results(str(path))
    raw = json.loads(path.read_text())
    assert len(results.results) == len(raw["results"])
    statuses = {r.status for r in results.results}
    assert statuses <= {"pass", "fail", "warn", "error", "skipped", "success", "runtimeerr",
                        "no-op", "partial success"}, statuses


def test_failing_run_results_keep_every_status(corpus):
    results = load_run_results(
        str(corpus_path("generated/jaffle_shop_duckdb_dbt1.11/run_results_failing.json")))
    counts = {}
    for r in results.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    assert counts == {"error": 3, "fail": 2, "pass": 22, "skipped": 2, "success": 10, "warn": 3}
    failed = [r for r in results.results if r.status == "fail"]
    assert all(r.failures and r.failures > 0 for r in failed)
    assert results.command == "build" and results.invocation_id


def test_old_manifest_without_child_map_gets_one_rebuilt(corpus):
    manifest = load_manifest(str(corpus_path("dbt-bouncer/dbt_20/manifest.json")))
    assert manifest.child_map, "dbt 2.0 betas omit child_map; it is rebuilt from depends_on"


BAD_INPUTS = {
    "truncated": (lambda p, c: p.write_text(c[: len(c) // 2]), "not valid JSON"),
    "empty": (lambda p, c: p.write_text(""), "the file is empty"),
    "whitespace": (lambda p, c: p.write_text("  \n"), "the file is empty"),
    "future_version": (
        lambda p, c: p.write_text(c.replace("/manifest/v12.json", "/manifest/v99.json")),
        "manifest schema v99 is newer than this tessera-dbt reads"),
    "run_results_as_manifest": (None, "this is a dbt run-results file, not a manifest"),
    "not_an_artifact": (lambda p, c: p.write_text('{"hello": 1}'), "not a dbt manifest file"),
    "json_list": (lambda p, c: p.write_text("[1, 2]"), "holds a list"),
    "binary": (lambda p, c: p.write_bytes(b"\xff\xfe\x00garbage"), "not"),
    "directory": (None, "is a directory"),
    "missing": (None, "no such file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_manifest_is_one_line_and_exit_2(case, corpus, tmp_path, cli):
    make, expected = BAD_INPUTS[case]
    source = corpus_path("dbt-core/state/v12/manifest.json")
    path = tmp_path / "manifest.json"
    if case == "run_results_as_manifest":
        path = corpus_path("dbt-core/results/v6/run_results.json")
    elif case == "directory":
        path = tmp_path
    elif case == "missing":
        path = tmp_path / "nope.json"
    else:
        make(path, source.read_text())
    result = cli("contracts", "--manifest", path, expect=2)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert expected in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.err
    with pytest.raises(ArtifactError):
        load_manifest(str(path))


def test_bad_run_results_is_one_line(corpus, tmp_path):
    manifest = corpus_path("dbt-core/state/v12/manifest.json")
    with pytest.raises(ArtifactError, match="this is a dbt manifest file, not a run-results"):
        load_run_results(str(manifest))
    future = tmp_path / "run_results.json"
    future.write_text((corpus_path("dbt-core/results/v6/run_results.json")).read_text()
                      .replace("/run-results/v6.json", "/run-results/v7.json"))
    with pytest.raises(ArtifactError, match="run-results schema v7 is newer"):
        load_run_results(str(future))


def test_guarantee_of_a_test_is_the_first_key_that_lists_it():
    """Extractor.guarantee_of (the audit's index) answers as the scan of
    tests_by_guarantee it replaces, for every test of every asset of a real project."""
    from tessera_dbt.artifacts.contracts import Extractor

    manifest = load_manifest(str(corpus_path("generated/tuva_integration_tests_dbt1.11/"
                                             "manifest.json")))
    extractor = Extractor(manifest, ())
    asked = 0
    for uid, tests in extractor.tests_of.items():
        scanned = extractor.tests_by_guarantee(uid)
        for test in tests:
            keys = [k for k, ids in scanned.items() if test["unique_id"] in ids]
            assert extractor.guarantee_of(uid, test["unique_id"]) == (keys[0] if keys else None)
            asked += 1
    assert asked > 1000
