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

        # this project's database (a clone has its own: clone_built)
        pg = {**postgres_env(), **self.env}
        con = psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                               user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                               dbname=pg["TESSERA_PG_DBNAME"])
        try:
            with con, con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description is not None else []
        finally:
            con.close()  # `with con` only ends the transaction

    def execute(self, sql: str) -> None:
        """Run statements on the warehouse directly (not through dbt), committed."""
        self.query(sql)

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


def copy_project(tmp: Path, target: str, extra_env: dict[str, str] | None = None, *,
                 deps: bool = False) -> DbtProject:
    """Copy integration_tests into tmp, pointing its `local: ../` package at this checkout.
    With `deps`, the copy is as after `dbt deps`: the packages this worker's one real
    `dbt deps` installed (_deps_template) are installed into it the same way."""
    dest = copy_example(tmp / "integration_tests", ROOT)
    env = {"TESSERA_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target == "postgres":
        env.update(postgres_env())
        env["TESSERA_PG_SCHEMA"] = f"it_{os.getpid()}_{abs(hash(str(tmp))) % 10**6}"
    env.update(extra_env or {})
    if deps:
        _copy_packages(_deps_template(), dest)
    return DbtProject(dest, target, env)


# --- one build per worker, a clone per test ---------------------------------------------
#
# `dbt deps` and a full `dbt build` of integration_tests cost most of a dbt test's time.
# Each worker process runs them once per engine (pristine_duckdb, pristine_postgres), and a
# test that starts from exactly that state (copy, deps, build: no edit before the build, no
# assertion on the build's own output) takes a clone: the project directory (target/ with
# its artifacts and partial parse, dbt_packages) and the warehouse, byte for byte (DuckDB:
# the file; PostgreSQL: CREATE DATABASE ... TEMPLATE). The clone is the real output of a
# real build of the same project; what the test runs on it is real dbt on a real warehouse.

_DEPS: Path | None = None


def _deps_template() -> Path:
    """integration_tests after one real `dbt deps`, once per process."""
    global _DEPS
    if _DEPS is None:
        import atexit

        tmp = Path(tempfile.mkdtemp(prefix="tessera-deps-"))
        atexit.register(shutil.rmtree, tmp, True)
        project = copy_project(tmp, "duckdb")
        project.run("deps")
        _DEPS = project.path
    return _DEPS


def _copy_packages(src: Path, dest: Path) -> None:
    """What `dbt deps` installed in project `src` (dbt_packages, package-lock.yml), installed
    in `dest` as deps would have: a local package inside the project (test_packages) is
    linked to dest's own copy, any other (this checkout) to the same place."""
    shutil.copy2(src / "package-lock.yml", dest / "package-lock.yml")
    packages = dest / "dbt_packages"
    packages.mkdir()
    for entry in (src / "dbt_packages").iterdir():
        if not entry.is_symlink():
            shutil.copytree(entry, packages / entry.name, symlinks=True)
            continue
        target = Path(os.readlink(entry))
        if target.is_relative_to(src):
            target = dest / target.relative_to(src)
        (packages / entry.name).symlink_to(target, target_is_directory=True)


def _repoint(value, old: str, new: str):
    """`value` (decoded msgpack) with every string path under `old` moved under `new`."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_repoint(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_repoint(k, old, new): _repoint(v, old, new) for k, v in value.items()}
    return value


def _profile_checksum(project: DbtProject) -> str | None:
    """The checksum of the connection a DuckDB target renders to, as dbt keeps it in its
    partial parse (ManifestLoader.build_manifest_state_check: sha256 of the pformat of the
    sorted connection_info, the file's path included), or None when it cannot be told."""
    import hashlib
    import pprint

    from tessera_dbt.cli.profile import profile_target

    try:
        from dbt.adapters.duckdb.credentials import DuckDBCredentials

        with environment(project.env):
            found = profile_target(str(project.path), str(project.path), project.target)
        values = {k: v for k, v in found.values.items() if k not in ("type", "threads")}
        credentials = DuckDBCredentials.from_dict(DuckDBCredentials.translate_aliases(values))
        info = pprint.pformat(sorted(credentials.connection_info()))
    except Exception:  # then the clone's first dbt command parses in full, as dbt decides
        return None
    return hashlib.sha256(info.encode("utf-8")).hexdigest()


def _relocate_target(target: Path, old: str, new: str,
                     profile: tuple[str, str] | None = None) -> None:
    """The artifacts in `target` as the build would have written them in the clone: the
    pristine's absolute paths (project root, the DuckDB file) replaced by the clone's, and
    in the partial parse, the checksum of the connection (`profile`: the pristine's, the
    clone's), which holds the DuckDB file's path."""
    import msgpack

    old_b, new_b = old.encode(), new.encode()
    for path in target.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if old_b not in raw:
            continue
        if path.suffix == ".msgpack":  # dbt's partial parse: paths are length-prefixed
            data = _repoint(msgpack.unpackb(raw, raw=False, strict_map_key=False), old, new)
            kept = data.get("state_check", {}).get("profile_hash", {})
            if profile and profile[1] and kept.get("checksum") == profile[0]:
                kept["checksum"] = profile[1]
            path.write_bytes(msgpack.packb(data, use_bin_type=True))
        else:
            path.write_bytes(raw.replace(old_b, new_b))


def _pg_admin(*statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg2

    pg = postgres_env()
    con = psycopg2.connect(host=pg["TESSERA_PG_HOST"], port=int(pg["TESSERA_PG_PORT"]),
                           user=pg["TESSERA_PG_USER"], password=pg["TESSERA_PG_PASSWORD"],
                           dbname="postgres")
    try:
        con.autocommit = True
        with con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        con.close()


@pytest.fixture(scope="session")
def pristine_duckdb(tmp_path_factory) -> DbtProject:
    """integration_tests built once in this worker on DuckDB (dbt deps + dbt build); never
    touched after: tests get clones (clone_built)."""
    project = copy_project(tmp_path_factory.mktemp("pristine_duckdb"), "duckdb", deps=True)
    project.run("build")
    import duckdb

    # what the build wrote, in the file itself (same configuration as dbt-duckdb's open one)
    with duckdb.connect(project.env["TESSERA_DUCKDB_PATH"]) as con:
        con.execute("checkpoint")
    project.profile_checksum = _profile_checksum(project)
    return project


@pytest.fixture(scope="session")
def pristine_postgres(tmp_path_factory) -> Iterator[DbtProject]:
    """integration_tests built once in this worker on PostgreSQL, in a database of its own
    (the worker's slot, named by its pid), then kept as the template of its clones. A
    relation's name includes its database, so every clone is created under the slot's
    name: one live clone per worker at a time (clone_built enforces it)."""
    slot = f"{postgres_env()['TESSERA_PG_DBNAME']}_w{os.getpid()}"
    template = f"{slot}_built"
    _pg_admin(f'drop database if exists "{slot}" with (force)',
              f'drop database if exists "{template}" with (force)',
              f'create database "{slot}"')
    project = copy_project(tmp_path_factory.mktemp("pristine_postgres"), "postgres",
                           {"TESSERA_PG_DBNAME": slot}, deps=True)
    project.run("build")
    # CREATE DATABASE ... TEMPLATE needs the source without sessions: dbt's are closed
    _pg_admin("select pg_terminate_backend(pid) from pg_stat_activity "
              f"where datname = '{slot}' and pid <> pg_backend_pid()",
              f'create database "{template}" template "{slot}"')
    project.template = template
    yield project
    _pg_admin(f'drop database if exists "{slot}" with (force)',
              f'drop database if exists "{template}" with (force)')


_LIVE_PG_CLONE: list[Path] = []


def clone_built(request, tmp: Path, target: str) -> DbtProject:
    """A private copy of this worker's pristine build on `target` in `tmp` (laid out as
    copy_project lays it out): the state after `copy_project`, `dbt deps`, `dbt build`.
    Usable from a fixture of any scope (`request` is that fixture's)."""
    pristine: DbtProject = request.getfixturevalue(f"pristine_{target}")
    src, dest = pristine.path.parent, tmp
    shutil.copytree(pristine.path, dest / "integration_tests", symlinks=True,
                    ignore=shutil.ignore_patterns("logs", "dbt_packages"))
    _copy_packages(pristine.path, dest / "integration_tests")
    old, new = f"{src}{os.sep}", f"{dest}{os.sep}"
    env = {key: value.replace(old, new) for key, value in pristine.env.items()}
    clone = DbtProject(dest / "integration_tests", target, env)
    profile = None
    if getattr(pristine, "profile_checksum", None):
        profile = (pristine.profile_checksum, _profile_checksum(clone))
    _relocate_target(clone.path / "target", old, new, profile)
    if target == "duckdb":
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            if (src / name).exists():
                shutil.copy2(src / name, dest / name)
    elif target == "postgres":
        if _LIVE_PG_CLONE:
            raise RuntimeError(f"a PostgreSQL clone is still live ({_LIVE_PG_CLONE[0]}): one "
                               "per worker at a time, as its database has the slot's name")
        slot = env["TESSERA_PG_DBNAME"]
        _pg_admin(f'drop database if exists "{slot}" with (force)',
                  f'create database "{slot}" template "{pristine.template}"')
        _LIVE_PG_CLONE.append(dest)
        request.addfinalizer(_LIVE_PG_CLONE.clear)
    else:
        raise ValueError(f"no pristine build on {target}")
    return clone


@pytest.fixture(scope="session")
def built_duckdb(request, tmp_path_factory) -> DbtProject:
    """integration_tests built once on DuckDB (dbt deps + dbt build): a clone of this
    worker's pristine build, shared by the tests that only read it."""
    return clone_built(request, tmp_path_factory.mktemp("it_duckdb"), "duckdb")


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
