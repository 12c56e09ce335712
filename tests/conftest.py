"""Shared fixtures: the artifact corpus, the CLI runner, and real dbt builds of
integration_tests on DuckDB and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tessera_dbt.cli import main
from tessera_dbt.cli.demo import copy_example

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESSERA_SHARED", ROOT.parent / "shared"))
SHARED_CORPUS = SHARED / "corpus" / "artifacts"
# Without the shared corpus beside the repository (a plain clone), the corpus tests run on
# the subset vendored with its provenance and licence in tests/fixtures/corpus.
VENDORED_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
FULL_CORPUS = SHARED_CORPUS.is_dir()
CORPUS = SHARED_CORPUS if FULL_CORPUS else VENDORED_CORPUS
# the lineage cache of this session: neither the user's cache directory nor the corpus
os.environ.setdefault("TESSERA_CACHE_DIR", tempfile.mkdtemp(prefix="tessera-test-cache-"))


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """`env` set in os.environ for the block (dbt and the CLI run in this process), then
    the previous values back."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def corpus_files(kind: str) -> list[Path]:
    """Every manifest (`manifest`) or run results (`run_results`) file of the corpus."""
    return sorted(p for p in CORPUS.rglob("*.json") if kind in p.name)


def pytest_report_header() -> str:
    if FULL_CORPUS:
        return f"artifact corpus: {SHARED_CORPUS}"
    return (f"artifact corpus: the vendored subset ({VENDORED_CORPUS}); {SHARED_CORPUS} is "
            "absent, so tests of files only the shared corpus has are skipped "
            "(set TESSERA_SHARED to run them)")


def corpus_path(relative: str) -> Path:
    """A corpus file, or a skip naming it when only the shared corpus has it."""
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"{relative} is only in the shared corpus ({SHARED_CORPUS} is absent)")
    return path


@pytest.fixture
def corpus() -> Path:
    return CORPUS


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run `tessera ARGS` in-process; anything but SystemExit propagates (a traceback is
    a bug, never an answer)."""

    def run(*args: str, expect: int | None = 0) -> CliResult:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        result = CliResult(code, captured.out, captured.err)
        if expect is not None:
            assert code == expect, f"exit {code}, expected {expect}\n{result.out}\n{result.err}"
        return result

    return run


# --- PostgreSQL -----------------------------------------------------------------------

def postgres_env() -> dict[str, str]:
    return {
        "TESSERA_PG_HOST": os.environ.get("TESSERA_PG_HOST", "127.0.0.1"),
        "TESSERA_PG_PORT": os.environ.get("TESSERA_PG_PORT", "5432"),
        "TESSERA_PG_USER": os.environ.get("TESSERA_PG_USER", "postgres"),
        "TESSERA_PG_PASSWORD": os.environ.get("TESSERA_PG_PASSWORD", "postgres"),
        "TESSERA_PG_DBNAME": os.environ.get("TESSERA_PG_DBNAME", "tessera_it"),
    }


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when a server answers."""
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 (dbt-postgres) is not installed"
    env = postgres_env()
    try:
        psycopg2.connect(host=env["TESSERA_PG_HOST"], port=int(env["TESSERA_PG_PORT"]),
                         user=env["TESSERA_PG_USER"], password=env["TESSERA_PG_PASSWORD"],
                         dbname=env["TESSERA_PG_DBNAME"], connect_timeout=3).close()
    except Exception as exc:  # any failure to connect means "no server here"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (f"no PostgreSQL at {env['TESSERA_PG_HOST']}:{env['TESSERA_PG_PORT']} "
                f"({first}); run `eval \"$(make -s postgres)\"` first")
    return None


# --- Apache Spark ---------------------------------------------------------------------

def spark_unavailable() -> str | None:
    """Why the Spark tests cannot run here (dbt-spark's session method needs pyspark and a
    Java runtime), or None."""
    import importlib.util

    for module, extra in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{extra} is not installed (pip install -e '.[spark]')"
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") \
        else shutil.which("java")
    if not java or not Path(java).exists():
        return "no Java runtime (java on PATH or JAVA_HOME; Debian: openjdk-17-jre-headless)"
    return None


_ENGINES = (("postgres", postgres_unavailable, "TESSERA_REQUIRE_POSTGRES", "PostgreSQL"),
            ("spark", spark_unavailable, "TESSERA_REQUIRE_SPARK", "Spark"))


def pytest_collection_modifyitems(config, items):
    for marker, unavailable, required, name in _ENGINES:
        if not any(item.get_closest_marker(marker) for item in items):
            continue
        reason = unavailable()
        if reason is None:
            continue
        if os.environ.get(required) == "1":
            raise pytest.UsageError(f"{required}=1 but {reason}")
        skip = pytest.mark.skip(reason=f"{name} tests skipped: {reason}")
        for item in items:
            if item.get_closest_marker(marker):
                item.add_marker(skip)


# --- dbt projects ----------------------------------------------------------------------

@dataclass
class DbtProject:
    """A private copy of integration_tests wired to a fresh warehouse."""

    path: Path
    target: str
    env: dict[str, str]

    def run(self, *args: str, expect_success: bool = True):
        """Invoke dbt in-process; `.messages` on the result holds what macros logged."""
        from dbt.cli.main import dbtRunner

        messages: list[str] = []

        def capture(event) -> None:
            if event.info.name in ("JinjaLogInfo", "JinjaLogDebug"):
                messages.append(event.data.msg)

        with environment(self.env):
            result = dbtRunner(callbacks=[capture]).invoke(
                [*args, "--project-dir", str(self.path), "--profiles-dir", str(self.path),
                 "--target", self.target])
            result.messages = messages
        if expect_success:
            assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"
        return result

    @property
    def state_schema(self) -> str:
        base = {"postgres": self.env.get("TESSERA_PG_SCHEMA"),
                "spark": self.env.get("TESSERA_SPARK_SCHEMA")}.get(self.target) or "main"
        return f"{base}_tessera"

    def query(self, sql: str) -> list[tuple]:
        """Read the warehouse directly (not through dbt): what a BI tool would see."""
        sql = sql.replace("{state}", self.state_schema)
        if self.target == "spark":
            from pyspark.sql import SparkSession

            # the session dbt-spark started in this process (one JVM per test session)
            return [tuple(row) for row in SparkSession.builder.getOrCreate().sql(sql).collect()]
        if self.target == "duckdb":
            import duckdb

            # dbt-duckdb keeps its connection open in this process: same configuration
            with duckdb.connect(self.env["TESSERA_DUCKDB_PATH"]) as con:
                return con.execute(sql).fetchall()
        import psycopg2

        pg = postgres_env()
        with psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                              user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                              dbname=pg["TESSERA_PG_DBNAME"]) as con, con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    @contextmanager
    def settings(self, **values) -> Iterator[None]:
        """`vars.tessera` committed in the project's dbt_project.yml for the block: on a
        target that publishes, the settings that guard production are read from the
        files, never from --vars (runtime.settings_guard)."""
        import yaml

        path = self.path / "dbt_project.yml"
        original = path.read_text()
        project = yaml.safe_load(original)
        variables = project.setdefault("vars", {}) or {}
        project["vars"] = variables
        variables["tessera"] = {**(variables.get("tessera") or {}), **values}
        path.write_text(yaml.safe_dump(project, sort_keys=False))
        try:
            yield
        finally:
            path.write_text(original)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.path / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}"
        path.write_text(text.replace(old, new, 1))

    @property
    def manifest(self) -> Path:
        return self.path / "target" / "manifest.json"

    @property
    def run_results(self) -> Path:
        return self.path / "target" / "run_results.json"


def copy_project(tmp: Path, target: str, extra_env: dict[str, str] | None = None) -> DbtProject:
    """Copy integration_tests into tmp, pointing its `local: ../` package at this checkout."""
    dest = copy_example(tmp / "integration_tests", ROOT)
    env = {"TESSERA_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target == "postgres":
        env.update(postgres_env())
        env["TESSERA_PG_SCHEMA"] = f"it_{os.getpid()}_{abs(hash(str(tmp))) % 10**6}"
    env.update(extra_env or {})
    return DbtProject(dest, target, env)


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory) -> DbtProject:
    """integration_tests built once on DuckDB (dbt deps + dbt build)."""
    project = copy_project(tmp_path_factory.mktemp("it_duckdb"), "duckdb")
    project.run("deps")
    project.run("build")
    return project


@pytest.fixture(scope="session")
def spark_env(tmp_path_factory) -> dict[str, str]:
    """The environment of every Spark invocation of this test session. dbt-spark's session
    method starts one JVM per process and its static settings (warehouse dir, the Derby
    metastore, which allows one JVM per directory) are fixed by the first invocation: one
    TESSERA_SPARK_DIR per test session; tests are apart by schema, never by directory."""
    root = tmp_path_factory.mktemp("spark")
    conf = root / "conf"
    conf.mkdir()
    (conf / "log4j2.properties").write_text(
        "rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
        "appender.console.type = Console\nappender.console.name = console\n"
        "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n")
    # one JVM serves the whole session: keep its UI bookkeeping (every query's plan) small,
    # or a long session fills the driver's heap (docs/spark.md, "Long sessions")
    (conf / "spark-defaults.conf").write_text(
        "spark.driver.memory 2g\nspark.ui.enabled false\n"
        "spark.sql.ui.retainedExecutions 20\nspark.ui.retainedJobs 50\n"
        "spark.ui.retainedStages 50\nspark.ui.retainedTasks 1000\n")
    return {"TESSERA_SPARK_DIR": str(root), "SPARK_CONF_DIR": str(conf),
            "SPARK_LOCAL_IP": "127.0.0.1", "TESSERA_SPARK_SCHEMA": "tessera_it"}
