"""Smoke tests of bench/: the synthetic manifest is one tessera reads, and every benchmark
runs end to end on tiny sizes. Nothing here asserts a timing (benchmarks measure
performance, as ratios, under `make bench`)."""

from __future__ import annotations

import json

import pytest

from bench import __main__ as bench_main
from bench import (
    classify_pairs,
    contracts_vs_json_load,
    dbt_parse,
    hook_overhead,
    synthetic_manifest,
)
from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.documents import validation_errors
from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.compat import classify
from tests.conftest import CORPUS, corpus_path

JAFFLE = CORPUS / "generated/jaffle_shop_duckdb_dbt1.11/manifest_failing.json"


@pytest.fixture(scope="module")
def templates():
    return synthetic_manifest.load_templates()


@pytest.fixture(scope="module")
def synthetic(templates, tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "manifest.json"
    stats = synthetic_manifest.generate(path, models=200, seed=3, templates=templates)
    return path, stats


def test_synthetic_manifest_is_a_manifest_tessera_reads(synthetic):
    path, stats = synthetic
    manifest = load_manifest(str(path))
    assert manifest.schema_version == 12
    nodes = manifest.nodes.values()
    models = [n for n in nodes if n["resource_type"] == "model"]
    tests = [n for n in nodes if n["resource_type"] == "test"]
    assert len(models) == stats["models"] == 200
    assert len(tests) == stats["tests"] > 200
    assert all(5 <= len(m["columns"]) <= 40 for m in models)
    assert all(c["data_type"] for m in models for c in m["columns"].values())
    kinds = {(t.get("test_metadata") or {}).get("name") for t in tests}
    assert {"not_null", "unique", "relationships", None} <= kinds  # None: singular
    templated = {json.loads(t).get("test_metadata", {}).get("namespace")
                 for kind in ("generic_column", "generic_model")
                 for t in synthetic_manifest.load_templates().tests.get(kind) or ()}
    if templated - {None}:  # the vendored subset has no namespaced test to copy
        assert any((t.get("test_metadata") or {}).get("namespace") for t in tests)
    assert all(t["attached_node"] in manifest.nodes or t["attached_node"] in manifest.sources
               for t in tests if t.get("attached_node"))
    assert manifest.exposures and len(manifest.groups) == 8
    for unique_id, node in manifest.nodes.items():  # the DAG is consistent both ways
        for parent in node["depends_on"].get("nodes") or ():  # seeds have only macros
            assert unique_id in manifest.child_map[parent]


def test_synthetic_manifest_yields_valid_contract_documents(synthetic):
    path, stats = synthetic
    manifest = load_manifest(str(path))
    contracted = extract_contracts(manifest)
    everything = extract_contracts(manifest, all_assets=True)
    assert 0 < len(contracted) < len(everything)
    assert len(everything) == (stats["models"] + stats["seeds"] + stats["snapshots"]
                               + stats["sources"])
    for doc in everything:
        assert validation_errors(doc) == [], doc["asset"]
    owners = {d["owner"] for d in contracted}
    assert len(owners - {None}) >= 4
    assert any(d["consumers"] for d in contracted)
    assert any(d["guarantees"].get("custom") for d in contracted)


def test_generator_is_deterministic(templates, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    synthetic_manifest.generate(first, models=30, seed=11, templates=templates)
    synthetic_manifest.generate(second, models=30, seed=11, templates=templates)
    assert first.read_bytes() == second.read_bytes()


def test_generator_command_line(templates, tmp_path, capsys):
    out = tmp_path / "m.json"
    assert synthetic_manifest.main(["--models", "12", "--out", str(out)]) == 0
    assert "models: 12" in capsys.readouterr().out
    assert json.loads(out.read_text())["metadata"]["project_name"] == "synthetic_corp"


def test_contracts_vs_json_load_runs(templates, capsys):
    code = contracts_vs_json_load.main(["--manifest", str(JAFFLE), "--models", "15",
                                        "--repeats", "1"])
    assert code in (0, 1)  # 1 only means the (meaningless at this size) ratio is over 2
    out = capsys.readouterr().out
    assert "json.load s" in out and "synthetic 15" in out and "jaffle_shop" in out


@pytest.fixture
def tuva():
    """classify_pairs draws its documents from the Tuva manifest (shared corpus only)."""
    return corpus_path(classify_pairs.TUVA)


def test_classify_pairs_builds_valid_pairs(templates, tuva):
    documents = classify_pairs.load_documents()
    pairs, kinds = classify_pairs.build_pairs(documents, 120, seed=5)
    assert len(pairs) == 120 and kinds["unchanged"] > 10 and len(kinds) > 6
    for old, new, mode in pairs:
        assert validation_errors(old) == [] and validation_errors(new) == []
        classify(old, new, mode)


def test_classify_pairs_runs(templates, tuva, capsys):
    assert classify_pairs.main(["--pairs", "30", "--repeats", "1"]) in (0, 1)
    assert "pairs/s" in capsys.readouterr().out


def test_bench_entry_point_prints_a_summary(templates, monkeypatch, capsys):
    assert bench_main.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == [name for name, _ in bench_main.BENCHMARKS]
    corpus_path(classify_pairs.TUVA)  # the summary run below classifies Tuva's documents
    monkeypatch.setattr(bench_main, "BENCHMARKS", [
        (classify_pairs.NAME,
         lambda: classify_pairs.run(pairs=20, repeats=1, profile_when_slow=False)),
    ])
    assert bench_main.main([]) in (0, 1)
    out = capsys.readouterr().out
    assert "=== summary" in out and "classify_pairs: classify 20 pairs" in out


def test_dbt_itself_accepts_the_synthetic_manifest(synthetic):
    """dbt-core's own manifest schema (v12) validates every cloned node."""
    manifest_module = pytest.importorskip("dbt.contracts.graph.manifest")
    path, stats = synthetic
    manifest = manifest_module.WritableManifest.read_and_check_versions(str(path))
    assert sum(1 for n in manifest.nodes.values() if n.resource_type == "model") == 200
    assert len(manifest.groups) == 8


@pytest.mark.dbt
def test_dbt_parse_runs_and_its_variants_are_what_they_claim(tmp_path, capsys):
    """The plugin-less variants really run dbt without `modules.tessera`, the plugin
    variant with it; the benchmark yields its two figures at a tiny size."""
    projects = dbt_parse.setup(tmp_path / "check", models=4)
    parser = dbt_parse.Parser(projects)
    parser.run("plugin", "deps")
    probe = ("compile", "--inline", "select {{ modules.tessera is defined }} as loaded")
    assert "select False as loaded" in parser.run("package", *probe)[2]
    with_plugin = parser.run("plugin", *probe)[2]
    assert "select True as loaded" in with_plugin
    assert dbt_parse._plugin_cost(with_plugin) > 0, "the plugin variant measures the plugin"
    assert not (projects["bare"] / "packages.yml").exists()

    figures = dbt_parse.run(models=6, repeats=1, keep=tmp_path / "bench")
    assert [f.baseline for f in figures] == ["the parse", "plugin not loaded", "no tessera"]
    assert all(f.seconds > 0 and f.baseline_seconds > 0 for f in figures)
    assert figures[0].ok, "the plugin's own time is far below the 0.5 s target"
    assert "package" in capsys.readouterr().out


@pytest.mark.dbt
def test_hook_overhead_reports_both_hooks(tmp_path, capsys):
    """A tiny project end to end: the comparison with and without the hooks, both hooks'
    times and statements on the steady full build, and the verdicts."""
    figures = hook_overhead.run(models=4, repeats=1, full_repeats=1, keep=tmp_path,
                                profile_when_slow=False)
    out = capsys.readouterr().out
    assert "full build, steady state" in out and "hooks s per 1,000 nodes" in out
    steady = next(line for line in out.splitlines() if line.startswith("Both hooks"))
    assert "gate" in steady and "did not run" not in steady
    names = [f.name for f in figures]
    assert any(n.startswith("slower hook on the steady full build of 4") for n in names)
    assert all(f.seconds >= 0 and f.baseline_seconds > 0 for f in figures)


def test_hook_overhead_scaling_verdicts():
    """Linear growth passes, faster-than-nodes growth and a slow hook fail."""
    def point(models, gate, hook):
        return hook_overhead.Scale(models, models * 4, gate, hook, 3, 20, 100.0)

    text, (slowest, growth) = hook_overhead.scaling([point(3000, 1.2, 1.5), point(300, 0.15,
                                                                                   0.2)])
    assert text.splitlines()[2].split()[0] == "300", "smallest first"
    assert slowest.ok and growth.ok and growth.baseline_seconds == 10.0
    _, (slowest, growth) = hook_overhead.scaling([point(300, 0.1, 0.2), point(3000, 1.0, 4.0)])
    assert not slowest.ok and not growth.ok


def test_lineage_tuva_edges_and_cache(tmp_path):
    """The lineage benchmark's timed step on a small manifest: every edge, then the cache."""
    from bench import lineage_tuva

    manifest = load_manifest(str(JAFFLE))
    cache = tmp_path / "cache.json"
    cold = lineage_tuva.lineage_of_every_edge(manifest, {}, cache)
    assert len(cold) == len(lineage_tuva.edges(manifest)) > 5 and cache.is_file()
    warm = lineage_tuva.lineage_of_every_edge(manifest, {}, cache)
    assert {k: v.to_json() for k, v in warm.items()} == {k: v.to_json() for k, v in cold.items()}


def test_check_tuva_runs_on_a_small_manifest(capsys):
    """The check benchmark end to end: edits, the answer checked, the figure."""
    from bench import check_tuva

    original = json.loads(JAFFLE.read_text())
    edited, kinds = check_tuva.edit_manifest(original, 2)
    assert len(kinds) == 2 and edited != original
    assert check_tuva.edit_manifest(original, 2) == (edited, kinds), "deterministic"
    plain, with_catalog = check_tuva.run(JAFFLE, edits=2, repeats=1)
    for figure in (plain, with_catalog):
        assert figure.seconds > 0 and figure.baseline == "json.load x2"
    assert "--catalog" in with_catalog.name
    assert "2 edits" in capsys.readouterr().out


def test_report_html_runs(templates, capsys):
    from bench import report_html

    figures = report_html.run(models=30, days=5, repeats=1)
    assert figures and figures[0].bench == "report_html" and figures[0].seconds > 0
    assert "charts" in capsys.readouterr().out


def _dbt_package(path, name, *, files=(), project="", dependencies=()):
    """A minimal dbt package folder: dbt_project.yml (plus `project` lines), the given
    (relative path, text) files, a packages.yml of hub entries."""
    path.mkdir(parents=True)
    (path / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '0.0.1'\nconfig-version: 2\n{project}")
    for relative, text in files:
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(text)
    if dependencies:
        (path / "packages.yml").write_text("packages:\n" + "".join(
            f"  - package: {d}\n    version: 1.0.0\n" for d in dependencies))
    return path


@pytest.fixture
def compared_packages(tmp_path):
    """A directory of packages for `--compare`: tiny_pkg (a model and an on-run-end hook,
    both using a macro of its hub dependency tiny_dep), tiny_dep, broken_pkg (a model
    that cannot build) and lonely_pkg (a hub dependency nobody provides)."""
    root = tmp_path / "packages"
    _dbt_package(root / "tiny_pkg", "tiny_pkg", dependencies=["example-org/tiny-dep"],
                 files=[("models/tiny_model.sql", "select {{ tiny_dep.one() }} as one\n")],
                 project="on-run-end:\n  - \"create or replace table {{ target.schema }}"
                         ".tiny_pkg_hook as select {{ tiny_dep.one() }} as ran\"\n")
    _dbt_package(root / "tiny_dep", "tiny_dep",
                 files=[("macros/one.sql", "{% macro one() %}1{% endmacro %}\n")])
    _dbt_package(root / "broken_pkg", "broken_pkg",
                 files=[("models/broken.sql", "select * from nowhere_at_all\n")])
    _dbt_package(root / "lonely_pkg", "lonely_pkg", dependencies=["someone/absent"])
    return root


def test_package_cost_resolves_hub_dependencies_among_given_folders(compared_packages,
                                                                    tmp_path):
    from bench import package_cost

    packages = package_cost.find_packages([compared_packages])
    by_name = {p.name: p for p in packages}
    assert sorted(by_name) == ["broken_pkg", "lonely_pkg", "tiny_dep", "tiny_pkg"]
    assert package_cost.depended_upon(packages) == {"tiny_dep", "absent"}
    assert package_cost.unmet(by_name["tiny_pkg"], by_name) == []
    assert package_cost.unmet(by_name["lonely_pkg"], by_name) == ["someone/absent"]
    copy = package_cost.install(by_name["tiny_pkg"], by_name, tmp_path / "installed")
    assert (copy / "packages.yml").read_text() == (
        f"packages:\n- local: {tmp_path / 'installed' / 'tiny_dep'}\n")
    assert "example-org" in (compared_packages / "tiny_pkg" / "packages.yml").read_text()
    assert package_cost.merged({"models": {"a": 1}, "x": [1]},
                               {"models": {"b": 2}, "x": [2]}) == {
        "models": {"a": 1, "b": 2}, "x": [2]}


@pytest.mark.dbt
def test_package_cost_runs_and_compares_packages(compared_packages, tmp_path, capsys):
    """The benchmark end to end at one round: tessera's three variants and the compared
    packages, real builds; the compared package's model and hook really ran."""
    import duckdb

    from bench import package_cost

    keep = tmp_path / "bench"
    code = package_cost.main(["--repeats", "1", "--compare", str(compared_packages),
                              "--keep", str(keep)])
    assert code in (0, 1)  # 1 only means one round's ratio is over the target
    out = capsys.readouterr().out
    assert "cores, load average" in out and "CPU ratio" in out
    for row in ("plain jaffle_shop_duckdb", "with tessera, own models excluded",
                "with tessera", "with tiny_pkg 0.0.1"):
        assert f"\n{row} " in out
    assert "with tiny_dep" not in out
    assert "with broken_pkg 0.0.1: could not run: `dbt build` failed:" in out
    assert "nowhere_at_all" in out
    assert "with lonely_pkg 0.0.1: could not run: needs someone/absent" in out
    with duckdb.connect(str(keep / "with_tiny_pkg" / "jaffle_shop.duckdb"),
                        read_only=True) as db:
        assert db.execute("select ran from main.tiny_pkg_hook").fetchall() == [(1,)]
        assert db.execute("select one from main.tiny_model").fetchall() == [(1,)]


@pytest.mark.dbt
def test_read_commands_runs_and_reads_without_dbt(tmp_path, capsys):
    """The read benchmark end to end at one round: a proposal waits on marketing, the CLI
    reads it directly (dbt located the state first), and both figures come back."""
    from bench import read_commands

    figures = read_commands.run(repeats=1, keep=str(tmp_path / "kept"))
    out = capsys.readouterr().out
    assert [f.name for f in figures] == ["tessera inbox", "tessera status"]
    assert all(f.seconds > 0 and f.baseline_seconds > 0 for f in figures)
    assert "round 1/1" in out and "load average" in out
    project = tmp_path / "kept" / "integration_tests"
    assert (project / "target" / "tessera_state_location.json").is_file()
