"""What tessera's on-run-end hook adds to a real `dbt build`, on DuckDB.

A dbt project is generated in a temporary directory: N models (default 3,000) in layers,
each model ref'ing one to three models of earlier layers, three tests per model (not_null
and unique on `id`, then accepted_values on `status` or relationships from `parent_id` to
an upstream model: 9,000 tests by default), about 20% of the models under contract (half
`contract: {enforced: true}` with typed columns, half `meta: {tessera: {owner: ...}}`),
owners across eight teams (dbt groups). The models are trivial one-row views, so dbt's own
work stays small and the hook's share shows. The project installs this checkout through
packages.yml (`local:`), as a user project installs the package, and builds into a DuckDB
file beside it.

Every scenario runs `<venv>/bin/dbt` as a fresh process, without the hook
(`--vars '{tessera: {enabled: false}}'` on a second target of the same warehouse, outside the
committed `publish_targets`) and with it, alternating, best of N each:

  (a) a full `dbt build`: the first run, with the hook, creates every relation and the
      state tables and publishes every contract (reported on its own, once, against the
      best steady-state build without the hook); then steady-state full builds;
  (b) `dbt build --select <one model under contract>` (the model, its tests and the
      relationships tests of its children that point at it) in the same project.
      Acceptance target: the hook adds less than 1.0 s (exit 1 otherwise, with a cProfile
      of a hooked run).

The ratio is with / without. The two variants parse into their own target paths (the vars
differ, and dbt re-parses everything when the vars change), each parsed once up front, so
every timed run parses partially and equally. The SQL statements come from dbt's own debug
file log (`--log-format-file json`; dbt writes it at debug level anyway): the `SQLQuery`
events of each run, and those whose node is tessera's hook; the hook's own time is the
execution time dbt logs for that hook (its compilation, where the Python runs, included).
That time can include a full garbage collection of dbt's heap (0.7-0.9 s at 3,000 models
on a small machine) that falls in the hook's window: dbt runs as many with the hook off.

Both hooks are reported on the steady full build: the on-run-start gate (which probes
the compiled SQL of every selected model under contract through `meta.tessera`) and the
on-run-end hook, each with its statements. Given several sizes (`--models 300,1000,3000`),
each gets its own project and a scaling table follows: nodes that ran, each hook's seconds
and statements, and both hooks' seconds per 1,000 nodes that ran (flat when the cost is
linear); verdicts: each hook < 3 s at the largest size (issue 23), and both hooks' time
growing no faster than the nodes that ran (x 1.25 for noise). `--hooks-only` skips the
builds without the hooks (half the time; no ratios then).

On a 2-core machine a full build of the default project takes about 15 minutes, so
`--full-repeats 1` keeps a run near an hour.

    python -m bench.hook_overhead [--models N[,N...]] [--repeats N] [--full-repeats N]
                                  [--threads N] [--profile] [--keep DIR] [--hooks-only]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._common import ROOT, Figure, children_cpu, figures_table, table, workdir

NAME = "hook_overhead"
DEFAULT_MODELS = 3_000
DEFAULT_REPEATS = 3
DEFAULT_THREADS = 4
DEFAULT_SEED = 2_024
TARGET_ADDED_SECONDS = 1.0
TARGET_GATE_SECONDS = 1.0  # issue: the gate costs < 1 s on 3,000 models, one selected
TARGET_FULL_SECONDS = 3.0  # issue 23: each hook < 3 s on the steady full build of 3,000
GROWTH_SLACK = 1.25  # both hooks may grow this much faster than the nodes (noise)
CONTRACT_SHARE = 0.20
PROJECT = "hook_bench"
# The hook off for the baseline: on a target outside the committed publish_targets, where
# --vars may set it (on a publishing target tessera refuses the override); both targets
# are the same warehouse and schema.
HOOK_OFF = "{tessera: {enabled: false, publish_targets: [duckdb]}}"
OFF_TARGET = "duckdb_off"
TEAMS = (("finance", 18), ("growth", 15), ("marketing", 14), ("platform", 13),
         ("product", 12), ("risk", 10), ("sales", 10), ("supply_chain", 8))
STATUSES = ["active", "pending", "closed"]
COLUMNS = (("id", "integer"), ("name", "varchar"), ("status", "varchar"),
           ("parent_id", "integer"))
VARIANTS = ("without", "with")


# --- the generated project -------------------------------------------------------------

@dataclass
class Project:
    path: Path
    warehouse: Path
    models: int
    tests: int
    contracted: list[str]  # model names under contract (enforced or meta.tessera)
    enforced: list[str]
    layers: int
    one_model: str  # the model of scenario (b)


def _layer_count(models: int) -> int:
    return max(2, min(10, models // 30))


def generate(dest: Path, models: int = DEFAULT_MODELS, seed: int = DEFAULT_SEED,
             threads: int = DEFAULT_THREADS) -> Project:
    """Write the dbt project into `dest` (created); the warehouse is `dest/warehouse.duckdb`."""
    import yaml  # a dbt dependency: present wherever this benchmark can run

    if models < 2:
        raise ValueError("at least 2 models")
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    warehouse = dest / "warehouse.duckdb"
    (dest / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": PROJECT, "version": "1.0.0", "config-version": 2, "profile": PROJECT,
        "model-paths": ["models"], "test-paths": [], "seed-paths": [], "macro-paths": [],
        "snapshot-paths": [], "analysis-paths": [],
        "clean-targets": ["target_with", "target_without", "dbt_packages", "logs"],
        "flags": {"send_anonymous_usage_stats": False,
                  # generic test arguments at the top level, as integration_tests writes them
                  "require_generic_test_arguments_property": False},
        "models": {PROJECT: {"+materialized": "view"}},
        "vars": {"tessera": {"publish_targets": ["duckdb"]}},
    }, sort_keys=False))
    (dest / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(ROOT)}]}))
    (dest / "profiles.yml").write_text(yaml.safe_dump({PROJECT: {
        "target": "duckdb",
        "outputs": {name: {"type": "duckdb", "path": str(warehouse), "schema": "main",
                           "threads": threads} for name in ("duckdb", OFF_TARGET)}}},
        sort_keys=False))
    models_dir = dest / "models"
    models_dir.mkdir(exist_ok=True)
    team_names = [t for t, _ in TEAMS]
    team_weights = [w for _, w in TEAMS]
    (models_dir / "_groups.yml").write_text(yaml.safe_dump({"version": 2, "groups": [
        {"name": team, "owner": {"name": f"{team} team", "email": f"{team}@example.com"}}
        for team in team_names]}, sort_keys=False))

    layers = _layer_count(models)
    # layer 0 a little wider (the sources' staging), the rest even
    sizes = [models // layers] * layers
    sizes[0] += models - sum(sizes)
    width = len(str(models - 1))
    names_by_layer: list[list[str]] = []
    next_index = 0
    for size in sizes:
        names_by_layer.append([f"m_{i:0{width}d}" for i in range(next_index, next_index + size)])
        next_index += size
    all_names = [n for layer in names_by_layer for n in layer]
    contracted = set(rng.sample(all_names, max(1, round(len(all_names) * CONTRACT_SHARE))))
    enforced = {n for n in sorted(contracted) if rng.random() < 0.5}
    tests = 0
    for layer, names in enumerate(names_by_layer):
        folder = models_dir / f"layer_{layer:02d}"
        folder.mkdir(exist_ok=True)
        entries = []
        for name in names:
            team = rng.choices(team_names, team_weights)[0]
            if layer == 0:
                parents: list[str] = []
                sql = (f"select cast({rng.randint(1, 9)} as integer) as id, "
                       f"cast('{name}' as varchar) as name, "
                       f"cast('{rng.choice(STATUSES)}' as varchar) as status, "
                       "cast(null as integer) as parent_id\n")
            else:
                # mostly the previous layer, sometimes further up
                pool = names_by_layer[layer - 1] if rng.random() < 0.7 else \
                    [n for earlier in names_by_layer[:layer] for n in earlier]
                parents = rng.sample(pool, min(len(pool), rng.choices((1, 2, 3), (50, 35, 15))[0]))
                lines = ["select p0.id, p0.name, p0.status, p0.id as parent_id",
                         f"from {{{{ ref('{parents[0]}') }}}} as p0"]
                lines += [f"left join {{{{ ref('{p}') }}}} as p{i} on p{i}.id = p0.id"
                          for i, p in enumerate(parents[1:], start=1)]
                sql = "\n".join(lines) + "\n"
            (folder / f"{name}.sql").write_text(sql)
            if parents and rng.random() < 0.7:
                third = {"relationships": {"to": f"ref('{parents[0]}')", "field": "id"}}
                third_column = "parent_id"
            else:
                third = {"accepted_values": {"values": STATUSES}}
                third_column = "status"
            under_contract = name in contracted
            columns = []
            for column, data_type in COLUMNS:
                entry: dict[str, Any] = {"name": column}
                if under_contract:
                    entry["data_type"] = data_type
                column_tests: list[Any] = []
                if column == "id":
                    column_tests = ["not_null", "unique"]
                elif column == third_column:
                    column_tests = [third]
                if column_tests:
                    entry["data_tests"] = column_tests
                    tests += len(column_tests)
                columns.append(entry)
            config: dict[str, Any] = {"group": team}
            if name in enforced:
                config["contract"] = {"enforced": True}
            elif under_contract:
                config["meta"] = {"tessera": {"owner": team}}
            entries.append({"name": name, "description": f"Layer {layer} model of {team}.",
                            "config": config, "columns": columns})
        (folder / "_models.yml").write_text(
            yaml.safe_dump({"version": 2, "models": entries}, sort_keys=False))
    # scenario (b): a model under contract through meta.tessera in the middle of the DAG,
    # so the gate probes its compiled SQL (issue 27); else any contracted one
    middle = names_by_layer[len(names_by_layer) // 2]
    probed = contracted - enforced
    candidates = [n for n in middle if n in probed] or sorted(probed) or sorted(contracted)
    return Project(dest, warehouse, len(all_names), tests, sorted(contracted), sorted(enforced),
                   layers, candidates[0])


# --- running dbt -----------------------------------------------------------------------

def dbt_executable() -> str:
    """The `dbt` next to this interpreter (the venv's), else on PATH."""
    script = Path(sys.executable).parent / "dbt"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    found = shutil.which("dbt")
    if not found:
        raise SystemExit("bench: no `dbt` executable next to this Python nor on PATH")
    return found


@dataclass
class Run:
    """One dbt invocation: its times and what its debug log says."""

    label: str
    variant: str
    wall: float
    cpu: float
    statements: int = 0  # SQLQuery events of the whole invocation
    hook_statements: int = 0  # those between START and OK of tessera's on-run-end hook
    hook_seconds: float | None = None  # dbt's execution time of that hook
    gate_seconds: float | None = None  # dbt's execution time of tessera's on-run-start gate
    gate_statements: int = 0  # those of the gate (its state check included)
    tests: int = 0  # tests dbt ran (run_results.json)
    nodes: int = 0  # nodes dbt ran, tests included (run_results.json)
    full_reparse: str | None = None  # why dbt could not parse partially, if it could not
    log_megabytes: float = 0.0
    tessera_lines: list[str] = field(default_factory=list)


class Runner:
    def __init__(self, project: Project, out: TextIO | None = None) -> None:
        self.project = project
        self.dbt = dbt_executable()
        self.out = out
        # the debug file log is read whole: no rotation (dbt keeps only 6 x 10 MB otherwise)
        self.env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                    "DBT_LOG_FILE_MAX_BYTES": "0"}
        for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR"):
            self.env.pop(key, None)
        self.counter = 0

    def command(self, variant: str, *args: str, log_path: Path | None = None) -> list[str]:
        p = self.project.path
        cmd = [self.dbt, *args, "--project-dir", str(p), "--profiles-dir", str(p)]
        if args[0] != "deps":  # deps takes no --target-path
            cmd += ["--target-path", str(p / f"target_{variant}")]
        if log_path is not None:
            cmd += ["--log-path", str(log_path), "--log-format-file", "json"]
        if variant == "without" and args[0] != "deps":
            cmd += ["--vars", HOOK_OFF, "--target", OFF_TARGET]
        return cmd

    def run(self, label: str, variant: str, *args: str) -> Run:
        self.counter += 1
        log_path = self.project.path / "logs" / f"{self.counter:03d}_{variant}"
        cmd = self.command(variant, *args, log_path=log_path)
        cpu = children_cpu()
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=self.project.path, env=self.env, capture_output=True,
                              text=True)
        wall = time.perf_counter() - start
        result = Run(label, variant, wall, children_cpu() - cpu)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` exited {done.returncode}:\n"
                               f"{(done.stdout + done.stderr)[-4000:]}")
        rotated = sorted(log_path.glob("dbt.log.*"))
        if rotated:
            raise RuntimeError(f"dbt rotated its log ({rotated[0]}): the counts would be short")
        read_log(log_path / "dbt.log", result)
        if args[0] == "build":
            results = json.loads((self.project.path / f"target_{variant}" /
                                  "run_results.json").read_text())["results"]
            result.nodes = len(results)
            result.tests = sum(1 for r in results if r["unique_id"].startswith("test."))
        shutil.rmtree(log_path, ignore_errors=True)  # tens of MB per full build
        errors = [line for line in result.tessera_lines if "ERROR" in line]
        if errors:
            raise RuntimeError(f"tessera's hook failed (soft) in `{' '.join(cmd)}`: {errors[0]}")
        return result


def read_log(path: Path, run: Run) -> None:
    """Fill `run` from dbt's JSON debug log of one invocation. The hook's statements are
    the SQLQuery events whose node is tessera's on-run-end hook (dbt logs the hook's START
    and OK lines after running it)."""
    run.log_megabytes = path.stat().st_size / 1e6
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            # cheap prefilters: most lines are none of these events
            if '"SQLQuery"' in line:
                event = json.loads(line)
                if event["info"]["name"] == "SQLQuery":
                    run.statements += 1
                    node = (event.get("data") or {}).get("node_info") or {}
                    run.hook_statements += _is_tessera_hook(str(node.get("node_name") or ""))
                    run.gate_statements += _is_tessera_gate(str(node.get("node_name") or ""))
                continue
            if "LogHookEndLine" in line or "UnableToPartialParse" in line or "tessera:" in line:
                event = json.loads(line)
                name, data = event["info"]["name"], event.get("data") or {}
                if name == "LogHookEndLine" and _is_tessera_hook(str(data.get("statement"))):
                    run.hook_seconds = (run.hook_seconds or 0.0) + \
                        float(data.get("execution_time") or 0.0)
                elif name == "LogHookEndLine" and _is_tessera_gate(str(data.get("statement"))):
                    run.gate_seconds = (run.gate_seconds or 0.0) + \
                        float(data.get("execution_time") or 0.0)
                elif name == "UnableToPartialParse":
                    run.full_reparse = str(data.get("reason") or "unknown reason")
                elif name == "JinjaLogInfo":
                    msg = str(data.get("msg") or "")
                    if msg.startswith("tessera:"):
                        run.tessera_lines.append(msg)


def _is_tessera_gate(name: str) -> bool:
    """`tessera.on-run-start.0` (the gate's statement, it asks before any node runs) or
    `tessera-on-run-start-0` (its node)."""
    return name.replace("-", ".").startswith("tessera.on.run.start")


def _is_tessera_hook(name: str) -> bool:
    """`tessera.on-run-end.0` (the hook's statement) or `tessera-on-run-end-0` (its node)."""
    return name.replace("-", ".").startswith("tessera.on.run.end")


def warehouse_count(project: Project, sql: str) -> int:
    """Read the warehouse between runs (dbt is not running: no lock held)."""
    import duckdb

    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        return int(con.execute(sql).fetchone()[0])


# --- measuring -------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    runs: dict[str, list[Run]] = field(default_factory=lambda: {v: [] for v in VARIANTS})

    def best(self, variant: str) -> Run:
        return min(self.runs[variant], key=lambda r: r.wall)

    def best_cpu(self, variant: str) -> float:
        return min(r.cpu for r in self.runs[variant])

    def fastest(self, seconds: str) -> float | None:
        """The best `gate_seconds` or `hook_seconds` of the hooked runs (dbt's own time)."""
        found = [getattr(r, seconds) for r in self.runs["with"]]
        return min((s for s in found if s is not None), default=None)

    @property
    def added(self) -> float:
        return self.best("with").wall - self.best("without").wall

    @property
    def statements_added(self) -> int:
        return self.best("with").statements - self.best("without").statements


def alternate(runner: Runner, scenario: Scenario, repeats: int, *args: str,
              variants: Sequence[str] = VARIANTS) -> None:
    """`repeats` rounds of the variants, the order flipped every round."""
    for round_ in range(max(1, repeats)):
        order = variants if round_ % 2 == 0 else variants[::-1]
        for variant in order:
            run = runner.run(scenario.name, variant, *args)
            scenario.runs[variant].append(run)
            print(f"[{NAME}]   {scenario.name}, {variant} hook: {run.wall:.2f} s "
                  f"(cpu {run.cpu:.2f} s, {run.statements} statements"
                  + (f", gate {run.gate_seconds:.2f} s" if run.gate_seconds is not None else "")
                  + (f", hook {run.hook_seconds:.2f} s" if run.hook_seconds is not None else "")
                  + ")", file=runner.out, flush=True)


def profile_hooked_run(runner: Runner, args: Sequence[str], top: int = 30) -> str:
    """cProfile of one hooked dbt invocation (as a fresh process): dbt's hook runner and
    tessera's functions by cumulative time, and what the gate and the hook call."""
    prof = runner.project.path / "hook.prof"
    cmd = runner.command("with", *args)
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "dbt.cli.main", *cmd[1:]]
    done = subprocess.run(cmd, cwd=runner.project.path, env=runner.env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        return f"(profiled run failed, exit {done.returncode}: {done.stderr[-2000:]})"
    text = io.StringIO()
    stats = pstats.Stats(str(prof), stream=text)
    # dbt's hook runner, the macro's Python side, and where tessera's own time goes
    stats.sort_stats("cumulative").print_stats(r"safe_run_hooks|run_hooks|tessera_dbt", top)
    stats.print_callees(r"tessera_dbt/runtime/(hook|gate)\.py:\d+\((_run|unapproved)\)")
    return text.getvalue().replace(str(ROOT) + "/", "")


@dataclass(frozen=True)
class Scale:
    """Both hooks on the steady full build of one project size (dbt's own hook times)."""

    models: int
    nodes: int  # nodes that ran: models and tests
    gate: float
    hook: float
    gate_statements: int
    hook_statements: int
    build: float  # the hooked build's wall seconds

    @property
    def per_thousand(self) -> float:
        """Both hooks' seconds per 1,000 nodes that ran: flat when the cost is linear."""
        return (self.gate + self.hook) * 1000 / self.nodes


def scaling(points: Sequence[Scale]) -> tuple[str, list[Figure]]:
    """The scaling table of several sizes and its verdicts: each hook under
    TARGET_FULL_SECONDS at the largest size, and both hooks' time growing no faster than
    the nodes that ran (within GROWTH_SLACK, the machine's noise) from the smallest."""
    points = sorted(points, key=lambda p: p.nodes)
    text = table(("models", "nodes ran", "gate s", "hook s", "gate statements",
                  "hook statements", "hooks s per 1,000 nodes", "build s"),
                 [(p.models, p.nodes, f"{p.gate:.2f}", f"{p.hook:.2f}", p.gate_statements,
                   p.hook_statements, f"{p.per_thousand:.3f}", f"{p.build:.1f}")
                  for p in points])
    large = points[-1]
    worst = max(large.gate, large.hook)
    figures = [Figure(NAME, f"slower hook on the steady full build of {large.models} models",
                      worst, "the hooked build", large.build,
                      f"each hook < {TARGET_FULL_SECONDS:g} s", worst < TARGET_FULL_SECONDS)]
    if len(points) > 1:
        small = points[0]
        growth = (large.gate + large.hook) / (small.gate + small.hook)
        nodes = large.nodes / small.nodes
        figures.append(Figure(
            NAME, f"both hooks' growth, {small.models} to {large.models} models", growth,
            "growth of the nodes that ran", nodes, f"ratio <= {GROWTH_SLACK:g} (linear)",
            growth <= GROWTH_SLACK * nodes))
    return text, figures


def run(models: int = DEFAULT_MODELS, repeats: int = DEFAULT_REPEATS,
        full_repeats: int | None = None, threads: int = DEFAULT_THREADS,
        seed: int = DEFAULT_SEED, keep: Path | str | None = None,
        profile_when_slow: bool = True, always_profile: bool = False,
        out: TextIO | None = None, hooks_only: bool = False) -> list[Figure]:
    return run_sizes([models], repeats, full_repeats, threads, seed, keep, profile_when_slow,
                     always_profile, out, hooks_only)


def run_sizes(sizes: Sequence[int], repeats: int = DEFAULT_REPEATS,
              full_repeats: int | None = None, threads: int = DEFAULT_THREADS,
              seed: int = DEFAULT_SEED, keep: Path | str | None = None,
              profile_when_slow: bool = True, always_profile: bool = False,
              out: TextIO | None = None, hooks_only: bool = False) -> list[Figure]:
    """Each size in its own project, then the scaling table of both hooks."""
    figures: list[Figure] = []
    points: list[Scale] = []
    with workdir(keep, "tessera-hook-bench-") as base:
        for models in sizes:
            dest = base / (PROJECT if len(sizes) == 1 else f"{PROJECT}_{models}")
            found, point = _run(dest, models, repeats,
                                repeats if full_repeats is None else full_repeats, threads,
                                seed, profile_when_slow, always_profile, out, hooks_only)
            figures += found
            points.append(point)
    text, verdicts = scaling(points)
    print(f"\n[{NAME}] both hooks on the steady full build, by size (dbt's execution time "
          "of each hook, best of the hooked runs; statements: SQLQuery events in each hook's "
          f"node):\n{text}", file=out, flush=True)
    return figures + verdicts


def _run(dest: Path, models: int, repeats: int, full_repeats: int, threads: int, seed: int,
         profile_when_slow: bool, always_profile: bool, out: TextIO | None,
         hooks_only: bool = False) -> tuple[list[Figure], Scale]:
    start = time.perf_counter()
    variants = ("with",) if hooks_only else VARIANTS
    project = generate(dest, models, seed, threads)
    print(f"[{NAME}] project {dest}: {project.models} models in {project.layers} layers, "
          f"{project.tests} tests, {len(project.contracted)} under contract "
          f"({len(project.enforced)} enforced), threads {threads}; generated in "
          f"{time.perf_counter() - start:.1f} s", file=out, flush=True)
    runner = Runner(project, out)
    setup = [runner.run("deps", "with", "deps")]
    for variant in variants:
        setup.append(runner.run("parse", variant, "parse"))
    print(f"[{NAME}] dbt deps {setup[0].wall:.1f} s; dbt parse: "
          + ", ".join(f"{r.variant} hook {r.wall:.1f} s" for r in setup[1:]), file=out,
          flush=True)

    # (a) full builds: the first, with the hook, creates every relation (the state tables
    # too) and publishes every contract; then steady-state rounds
    audit_sql = "select count(*) from main_tessera.tessera_audit_log"
    published_sql = ("select count(*) from main_tessera.tessera_events "
                     "where event_type = 'contract_published'")
    first = runner.run("first publication", "with", "build")
    published = warehouse_count(project, published_sql)
    audited = warehouse_count(project, audit_sql)
    print(f"[{NAME}] first full build, with the hook (creates everything, publishes): "
          f"{first.wall:.1f} s (cpu {first.cpu:.1f} s), hook {first.hook_seconds or 0:.2f} s, "
          f"{first.hook_statements} statements in the hook; {published} contracts published, "
          f"{audited} audit rows; debug log {first.log_megabytes:.0f} MB", file=out, flush=True)
    checks = []
    if published != len(project.contracted):
        checks.append(f"published {published} contracts, expected {len(project.contracted)}")
    if audited != project.tests or first.tests != project.tests:
        checks.append(f"{audited} audit rows after the first build, {first.tests} tests ran, "
                      f"expected {project.tests}")

    full = Scenario("full build")
    print(f"[{NAME}] (a) steady-state full builds, {full_repeats} rounds ...", file=out,
          flush=True)
    alternate(runner, full, full_repeats, "build", variants=variants)
    after_full = warehouse_count(project, audit_sql)
    expected = sum(r.tests for r in full.runs["with"])
    if after_full - audited != expected:
        checks.append(f"{after_full - audited} audit rows from the hooked full builds, "
                      f"expected {expected}")
    if warehouse_count(project, published_sql) != published:
        checks.append("a steady-state build published contracts again")

    one = Scenario("one model")
    one_args = ("build", "--select", project.one_model)
    print(f"[{NAME}] (b) `dbt build --select {project.one_model}`, {repeats} rounds ...",
          file=out, flush=True)
    alternate(runner, one, repeats, *one_args, variants=variants)
    after_one = warehouse_count(project, audit_sql)
    expected = sum(r.tests for r in one.runs["with"])
    if after_one - after_full != expected or not expected:
        checks.append(f"{after_one - after_full} audit rows from the hooked one-model builds, "
                      f"expected {expected}")

    reparsed = [r for r in [first, *(r for s in (full, one) for v in s.runs.values()
                                     for r in v)] if r.full_reparse]
    if reparsed:
        checks.append(f"{len(reparsed)} timed run(s) re-parsed the whole project "
                      f"({reparsed[0].full_reparse})")

    if not hooks_only:
        print(file=out)
        print(comparison(first, full, one, project, full_repeats, repeats), file=out)
    steady = full.best("with")
    point = Scale(project.models, steady.nodes, full.fastest("gate_seconds") or 0.0,
                  full.fastest("hook_seconds") or 0.0, steady.gate_statements,
                  steady.hook_statements, steady.wall)
    gate = one.fastest("gate_seconds")
    hook = one.fastest("hook_seconds") or 0.0
    print(f"Both hooks, dbt's execution time of each (best of the hooked runs): steady full "
          f"build ({point.nodes} nodes ran) gate {point.gate:.2f} s ({point.gate_statements} "
          f"statements), on-run-end {point.hook:.2f} s ({point.hook_statements} statements); "
          f"`dbt build --select {project.one_model}` gate "
          + (f"{gate:.2f} s" if gate is not None else "did not run")
          + f", on-run-end {hook:.2f} s (targets: < {TARGET_GATE_SECONDS:g} s each on one "
          f"model, < {TARGET_FULL_SECONDS:g} s each on the full build).", file=out)
    if gate is None:
        checks.append("the on-run-start gate did not run in the hooked one-model builds")
    if full.fastest("gate_seconds") is None:
        checks.append("the on-run-start gate did not run in the hooked full builds")
    for check in checks:
        print(f"[{NAME}] CHECK FAILED: {check}", file=out)
    if checks:
        raise RuntimeError("; ".join(checks))

    # without a baseline, the hook's own time stands for what it adds
    added = hook if hooks_only else one.added
    ok = added < TARGET_ADDED_SECONDS
    if always_profile or (profile_when_slow and not ok):
        print(f"\n[{NAME}] cProfile of a hooked `dbt {' '.join(one_args)}`:\n"
              f"{profile_hooked_run(runner, one_args)}", file=out, flush=True)
        if always_profile:
            print(f"\n[{NAME}] cProfile of a hooked full `dbt build`:\n"
                  f"{profile_hooked_run(runner, ('build',))}", file=out, flush=True)
    one_base = hook if hooks_only else one.best("without").wall
    figures = [] if hooks_only else [
        Figure(NAME, f"first full build, {project.models} models (publishes)", first.wall,
               "no hook", full.best("without").wall),
        Figure(NAME, f"full build, {project.models} models, {project.tests} tests",
               steady.wall, "no hook", full.best("without").wall)]
    figures += [
        Figure(NAME, f"one-model build in {project.models} models"
               + (" (the on-run-end hook)" if hooks_only else ""),
               hook if hooks_only else one.best("with").wall,
               "the on-run-end hook" if hooks_only else "no hook", one_base,
               f"added < {TARGET_ADDED_SECONDS:g} s (added {added:+.2f} s)", ok),
        Figure(NAME, f"the gate (on-run-start) in a one-model build of {project.models} "
               "models", gate or 0.0, "one-model build with the hooks",
               one.best("with").wall, f"< {TARGET_GATE_SECONDS:g} s",
               (gate or 0.0) < TARGET_GATE_SECONDS),
    ]
    return figures, point


def comparison(first: Run, full: Scenario, one: Scenario, project: Project,
               full_repeats: int, repeats: int) -> str:
    """The builds with the hooks against the same builds without them."""
    baseline = full.best("without")
    # (label, without s, with s, statements added, hook node s, hook statements, cpu added s)
    rows = [("full build, first publication (1 run)", baseline.wall, first.wall,
             first.hook_statements - baseline.hook_statements, first.hook_seconds,
             first.hook_statements, first.cpu - full.best_cpu("without"))]
    for s in (full, one):
        w = s.best("with")
        rows.append((f"{s.name}, steady state" if s is full else
                     f"one model + its tests ({project.one_model})",
                     s.best("without").wall, w.wall, s.statements_added,
                     s.fastest("hook_seconds") or 0.0, w.hook_statements,
                     s.best_cpu("with") - s.best_cpu("without")))
    return "\n".join((
        table(("scenario", "without hook s", "with hook s", "added s", "ratio",
               "statements added", "hook node s", "hook statements", "cpu added s"),
              [(label, f"{a:.2f}", f"{b:.2f}", f"{b - a:+.2f}", f"{b / a:.2f}",
                f"{stmts:+d}", f"{hook:.2f}" if hook is not None else "-", hook_stmts,
                f"{cpu:+.2f}")
               for label, a, b, stmts, hook, hook_stmts, cpu in rows]),
        f"Wall time of `dbt` as a fresh process, best of {full_repeats} (full builds) and "
        f"{repeats} (one model) per variant, alternating. The first publication is one run, "
        "which also creates every relation, against the best steady-state build without "
        "the hook; its statements added are the hook's. Statements: SQLQuery events in "
        "dbt's debug log, with minus without. Hook node: dbt's execution time of tessera's "
        "on-run-end hook (best of the hooked runs) and the statements run in it. cpu added: "
        "user + system time of dbt, best with minus best without. Target: the one-model "
        f"build adds < {TARGET_ADDED_SECONDS:g} s.",
        f"Without the hook, dbt runs {baseline.statements} statements in a full build "
        f"({baseline.tests} tests) and {one.best('without').statements} in the one-model "
        f"build ({one.best('without').tests} tests); debug log of a full build "
        f"{baseline.log_megabytes:.0f} MB."))


def sizes_arg(text: str) -> list[int]:
    """`3000` or `300,1000,3000`."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size or a list of sizes: {text!r}") from None
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("sizes of at least 2 models")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=sizes_arg, default=[DEFAULT_MODELS],
                        help=f"models in the generated project (default {DEFAULT_MODELS}; "
                             "three tests each); several sizes, comma-separated, print the "
                             "scaling table of both hooks")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"best of how many runs per variant (default {DEFAULT_REPEATS})")
    parser.add_argument("--full-repeats", type=int, default=None, metavar="N",
                        help="best of how many steady-state full builds per variant "
                             "(default: --repeats; a full build of the default project takes "
                             "minutes on a small machine)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"dbt threads (default {DEFAULT_THREADS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--keep", metavar="DIR",
                        help="generate the project(s) in DIR (emptied first) and keep them, "
                             "instead of a temporary directory")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of hooked runs even when within the target")
    parser.add_argument("--hooks-only", action="store_true",
                        help="only the hooked builds (no baseline without the hooks): both "
                             "hooks' own times, in about half the time")
    args = parser.parse_args(argv)
    figures = run_sizes(args.models, args.repeats, args.full_repeats, args.threads, args.seed,
                        args.keep, always_profile=args.profile, hooks_only=args.hooks_only)
    print(f"\n{figures_table(figures)}")
    failed = [f for f in figures if f.ok is False]
    for f in failed:
        print(f"FAIL {f.name}: {f.target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
