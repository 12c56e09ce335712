"""What tessera adds to a real `dbt build` of integration_tests on Apache Spark.

integration_tests is copied into a temporary directory (its `local: ../` package pointed at
this checkout) and built on its `spark` target: dbt-spark's session method, a local pyspark
(`local[2]`), Parquet tables, a Derby metastore and the warehouse under a directory of the
benchmark's own (TESSERA_SPARK_DIR). Two variants, each `dbt` as a fresh process (its own
JVM; runs follow each other, so the metastore is never opened twice at once):

  with     `dbt build` (the package's 14 nodes: two state tables, staging views and marts,
           plus the on-run-end hook that audits and publishes);
  without  `dbt build --exclude package:tessera --vars '{tessera: {enabled: false}}'` (on a
           second target of the same session, outside the committed publish_targets)
           (the project's own nodes only, no hook).

Each variant gets its own fresh TESSERA_SPARK_DIR: a first build (which creates every table
and publishes every contract) reported on its own, then `--repeats` steady-state builds,
alternating between the variants, best of N. Figures are wall seconds (the JVM start-up and
Hive metastore boot included: that is what a user waits for); dbt's own "Finished running"
time is printed beside them. Informational: no acceptance target.

    python -m bench.spark_build [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._common import ROOT, Figure, table, workdir

NAME = "spark_build"
DEFAULT_REPEATS = 2
VARIANTS = {
    "with": ["build"],
    # the hook off on a second target of the same Spark session, outside the committed
    # publish_targets: on a publishing target tessera refuses a --vars override
    "without": ["build", "--exclude", "package:tessera", "--vars",
                "{tessera: {enabled: false, publish_targets: [spark]}}"],
}
TARGETS = {"with": "spark", "without": "spark_off"}
_FINISHED = re.compile(r"Finished running .* in .*?\(([\d.]+)s\)")
_DONE = re.compile(r"Done\. PASS=(\d+)")


def copy_project(dest: Path) -> Path:
    """integration_tests in dest, installing this checkout as its tessera package."""
    import yaml

    from tessera_dbt.cli.demo import copy_example

    project = copy_example(dest / "integration_tests", ROOT)
    settings = project / "dbt_project.yml"
    config = yaml.safe_load(settings.read_text())
    config.setdefault("vars", {})["tessera"] = {"publish_targets": ["spark"]}
    settings.write_text(yaml.safe_dump(config, sort_keys=False))
    profiles = project / "profiles.yml"
    text = profiles.read_text()
    spark = text[text.index("    spark:\n"):]
    profiles.write_text(text + spark.replace("    spark:\n", "    spark_off:\n", 1))
    return project


def spark_env(spark_dir: Path) -> dict[str, str]:
    conf = spark_dir / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "log4j2.properties").write_text(
        "rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
        "appender.console.type = Console\nappender.console.name = console\n"
        "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = %m%n\n")
    return {**os.environ, "TESSERA_SPARK_DIR": str(spark_dir), "SPARK_CONF_DIR": str(conf),
            "SPARK_LOCAL_IP": "127.0.0.1", "TESSERA_SPARK_SCHEMA": "tessera_bench",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def commands(project: Path, variant: str) -> list[str]:
    dbt = str(Path(sys.executable).with_name("dbt"))
    return [dbt, *VARIANTS[variant], "--project-dir", str(project), "--profiles-dir",
            str(project), "--target", TARGETS[variant], "--target-path", f"target_{variant}"]


def build(project: Path, variant: str, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, dbt's own seconds, nodes passed) of one build as a fresh process."""
    start = time.perf_counter()
    done = subprocess.run(commands(project, variant), env=env, capture_output=True,
                          text=True, timeout=3600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench.spark_build: dbt build ({variant}) failed:\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    finished = _FINISHED.search(done.stdout)
    passed = _DONE.search(done.stdout)
    return wall, float(finished.group(1)) if finished else float("nan"), \
        int(passed.group(1)) if passed else 0


def unavailable() -> str | None:
    """Why Spark cannot run here (pyspark and dbt-spark: the spark extra; Java), or None."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None or not Path(sys.executable).with_name(
            "dbt").exists():
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime"
    return None


def run(repeats: int = DEFAULT_REPEATS, keep: Path | None = None) -> list[Figure]:
    reason = unavailable()
    if reason:
        print(f"  skipped: {reason}")
        return []
    with workdir(keep, "tessera-bench-spark-") as work:
        project = copy_project(work)
        envs = {v: spark_env(work / f"spark_{v}") for v in VARIANTS}
        deps = subprocess.run([str(Path(sys.executable).with_name("dbt")), "deps",
                               "--project-dir", str(project), "--profiles-dir", str(project)],
                              env=envs["with"], capture_output=True, text=True)
        if deps.returncode != 0:
            raise SystemExit(f"bench.spark_build: dbt deps failed:\n{deps.stdout[-2000:]}")
        rows, first, best = [], {}, {v: (float("inf"), 0.0, 0) for v in VARIANTS}
        for variant in VARIANTS:  # fresh metastore: creates every table
            first[variant] = build(project, variant, envs[variant])
            rows.append([f"{variant} (first build)", *_cells(first[variant])])
            print(f"  {variant} first: {first[variant][0]:.1f} s", flush=True)
        for i in range(repeats):
            for variant in VARIANTS:
                measured = build(project, variant, envs[variant])
                rows.append([f"{variant} (steady {i + 1})", *_cells(measured)])
                print(f"  {variant} steady {i + 1}: {measured[0]:.1f} s", flush=True)
                if measured[0] < best[variant][0]:
                    best[variant] = measured
    print(table(["build", "wall s", "dbt s", "nodes passed"], rows))
    return [
        Figure(NAME, "dbt build on Spark with tessera (steady, best)", best["with"][0],
               "without tessera", best["without"][0]),
        Figure(NAME, "first dbt build on Spark with tessera (fresh metastore)",
               first["with"][0], "without tessera, fresh", first["without"][0]),
    ]


def _cells(measured: tuple[float, float, int]) -> list[str]:
    wall, dbt_seconds, passed = measured
    return [f"{wall:.1f}", f"{dbt_seconds:.1f}", str(passed)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark_build",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help="steady-state builds per variant (best of N)")
    parser.add_argument("--keep", type=Path, help="work in DIR and leave it (emptied first)")
    args = parser.parse_args(argv)
    for figure in run(args.repeats, args.keep):
        print(f"{figure.name}: {figure.seconds:.1f} s vs {figure.baseline} "
              f"{figure.baseline_seconds:.1f} s (ratio {figure.ratio:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
