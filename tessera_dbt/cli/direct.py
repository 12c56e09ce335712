"""The read commands (`tessera inbox`, `status`, `export`) answered without running dbt.

`dbt run-operation` spends seconds importing dbt and loading the project before a read
that takes milliseconds. Each time the CLI runs an operation through dbt, it keeps where
dbt found the state (runtime.location: the state tables' relations, the SQL dialect, the
settings) in <target path>/tessera_state_location.json, under a fingerprint of what
decides them: the rendered profile target, dbt_project.yml, the env vars it and the
project's macros read, the macro files of the project and its packages, tessera's version.
A later read with the same fingerprint connects with the profile's own credentials
(DuckDB, PostgreSQL), reads the state tables read-only and answers through the same
functions as the operation (runtime.operations), against the project's last parsed
manifest.

Whenever that cannot be done exactly (another adapter, an unknown profile key, no
manifest, a changed fingerprint, a missing state table, a settlement or reminder that must
be written first, the connection refused), the command runs through dbt as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from .profile import ProfileTarget, profile_target

LOCATION_FILE = "tessera_state_location.json"
READS = ("inbox", "status", "export")
_KEPT_LOCATIONS = 8
# the profile keys a direct connection understands; any other key (extensions, attach,
# plugins, keepalives...) might change what the connection sees: dbt answers instead
_DUCKDB_KEYS = {"type", "path", "schema", "threads"}
_POSTGRES_KEYS = {"type", "host", "port", "user", "password", "pass", "dbname", "database",
                  "schema", "threads", "sslmode", "connect_timeout", "role", "search_path",
                  "sslcert", "sslkey", "sslrootcert", "retries", "keepalives_idle"}
_ENV_VAR = re.compile(r"env_var\(\s*['\"]([^'\"]+)['\"]")
_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class NeedsDbt(Exception):
    """This read cannot be answered exactly without dbt (the reason, for --debug-ish use)."""


# --- where the state is ----------------------------------------------------------------

@dataclass(frozen=True)
class Project:
    """The project's dbt_project.yml, read once per command."""

    directory: str
    text: bytes
    data: dict[str, Any]

    @classmethod
    def read(cls, directory: str) -> Project | None:
        """None when the file cannot be read: dbt itself says why, in one line."""
        import yaml

        try:
            with open(os.path.join(directory, "dbt_project.yml"), "rb") as handle:
                text = handle.read()
            data = yaml.safe_load(text)
        except (OSError, yaml.YAMLError):
            return None
        return cls(directory, text, data if isinstance(data, dict) else {})

    @property
    def target_path(self) -> str:
        """dbt's target path: DBT_TARGET_PATH, dbt_project.yml's target-path, else target/."""
        path = str(os.environ.get("DBT_TARGET_PATH") or self.data.get("target-path")
                   or "target")
        return path if os.path.isabs(path) else os.path.join(self.directory, path)

    def target(self, profiles_dir: str | None, name: str | None) -> ProfileTarget | None:
        return profile_target(self.data.get("profile"), profiles_dir, name)


def _macro_files(project_dir: str, roots: Sequence[str]) -> Iterator[tuple[str, int, int]]:
    for root in roots:
        for folder, _, files in os.walk(os.path.join(project_dir, str(root))):
            for name in sorted(files):
                if name.endswith(".sql"):
                    path = os.path.join(folder, name)
                    stat = os.stat(path)
                    yield os.path.relpath(path, project_dir), stat.st_mtime_ns, stat.st_size


def fingerprint(project: Project, target: ProfileTarget) -> str:
    """A hash of what decides the state's relations, dialect and settings."""
    own = [str(p) for p in project.data.get("macro-paths") or ["macros"]]
    packages = str(project.data.get("packages-install-path") or "dbt_packages")
    names = set(_ENV_VAR.findall(project.text.decode("utf-8", "replace")))
    for path, _, _ in _macro_files(project.directory, own):
        with open(os.path.join(project.directory, path), encoding="utf-8",
                  errors="replace") as handle:
            names |= set(_ENV_VAR.findall(handle.read()))
    digest = hashlib.sha256(project.text)
    digest.update(json.dumps({
        "tessera": __version__, "profile": target.profile, "target": target.name,
        "values": target.values, "env": {n: os.environ.get(n) for n in sorted(names)},
        "macros": list(_macro_files(project.directory, [*own, packages])),
    }, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _kept(project: Project) -> dict[str, Any]:
    """fingerprint → location, newest last."""
    try:
        with open(os.path.join(project.target_path, LOCATION_FILE), encoding="utf-8") as handle:
            kept = json.load(handle)
    except (OSError, ValueError):
        return {}
    found = kept.get("locations") if isinstance(kept, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def remember(project_dir: str, profiles_dir: str | None, target_name: str | None) -> None:
    """After an operation through dbt: keep where it found the state, for the next read."""
    from ..runtime.location import last

    found = last()
    project = Project.read(project_dir)
    target = project.target(profiles_dir, target_name) if project else None
    if found is None or project is None or target is None \
            or found["target"].get("name") != target.name:
        return
    key = fingerprint(project, target)
    kept = {k: v for k, v in _kept(project).items() if k != key}
    # one per target and profile state; the newest few, so switching targets stays fast
    locations = dict(list(kept.items())[-(_KEPT_LOCATIONS - 1):] + [(key, found)])
    directory = project.target_path
    try:
        text = json.dumps({"locations": locations}, indent=1, default=str)
        os.makedirs(directory, exist_ok=True)
        staged = os.path.join(directory, f".{LOCATION_FILE}.{os.getpid()}")
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staged, os.path.join(directory, LOCATION_FILE))
    except OSError:  # a read-only project: the next read goes through dbt again
        pass


def answer(project_dir: str, profiles_dir: str | None, target_name: str | None, op: str,
           op_args: Mapping[str, Any], through_dbt: Callable[[], list[str]]) -> list[str]:
    """What operation `op` prints: read directly when it is a read (READS) dbt located the
    state for; else `through_dbt()`, after which where dbt found the state is kept."""
    if op in READS:
        try:
            return read(project_dir, profiles_dir, target_name, op, op_args)
        except NeedsDbt:
            pass
    lines = through_dbt()
    remember(project_dir, profiles_dir, target_name)
    return lines


# --- a read-only connection with the profile's credentials ------------------------------

@dataclass
class _Row:
    cells: tuple[Any, ...]

    def values(self) -> tuple[Any, ...]:
        return self.cells

    def __getitem__(self, index: int) -> Any:
        return self.cells[index]


@dataclass
class _Table:
    column_names: list[str]
    rows: list[_Row]


@dataclass
class _Config:
    project_root: str
    project_target_path: str


class DirectAdapter:
    """What runtime.Operations asks of dbt's adapter, over a read-only DB-API connection:
    `execute` answers reads; anything else means the command needs dbt (NeedsDbt)."""

    def __init__(self, connection: Any, kind: str, config: _Config) -> None:
        self.connection = connection
        self.kind = kind
        self.config = config

    def type(self) -> str:
        return self.kind

    @property
    def connections(self) -> Any:
        """dbt's connection manager, which only a write (its transaction) asks for."""
        raise NeedsDbt("the command writes to the state")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def execute(self, sql: str, auto_begin: bool = False, fetch: bool = False
                ) -> tuple[None, _Table]:
        if not fetch or not _READ_ONLY.match(sql):
            raise NeedsDbt("the command writes to the state")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            names = [d[0] for d in cursor.description]
            return None, _Table(names, [_Row(tuple(r)) for r in cursor.fetchall()])
        finally:
            cursor.close()


def _connect(target: ProfileTarget, location: Mapping[str, Any]) -> tuple[Any, str]:
    values = target.values
    kind = str(values.get("type") or "")
    if kind != location.get("adapter_type"):
        raise NeedsDbt("the profile's adapter changed")
    if kind == "duckdb" and set(values) <= _DUCKDB_KEYS:
        import duckdb

        path = str(values.get("path") or "")
        if not path or path == ":memory:" or not os.path.isfile(path):
            raise NeedsDbt("no DuckDB file to read")
        try:
            return duckdb.connect(path, read_only=True), "?"
        except duckdb.ConnectionException as exc:
            if "different configuration" not in str(exc):
                raise
            # dbt-duckdb holds the file open in this process (the demo, the tests): share
            # its configuration; DirectAdapter still runs nothing but reads
            return duckdb.connect(path), "?"
    if kind == "postgres" and set(values) <= _POSTGRES_KEYS:
        import psycopg2

        options = {"host": values.get("host"), "port": values.get("port"),
                   "user": values.get("user"),
                   "password": values.get("password", values.get("pass")),
                   "dbname": values.get("dbname", values.get("database"))}
        for key in ("sslmode", "connect_timeout", "sslcert", "sslkey", "sslrootcert"):
            if values.get(key) is not None:
                options[key] = values[key]
        connection = psycopg2.connect(**{k: v for k, v in options.items() if v is not None})
        connection.set_session(readonly=True, autocommit=True)
        if values.get("role"):
            with connection.cursor() as cursor:
                cursor.execute("set role %s", (str(values["role"]),))
        return connection, "%s"
    raise NeedsDbt(f"no direct read for this {kind or 'unknown'} profile")


def _relations(adapter: DirectAdapter, marker: str,
               kept: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The state tables as the warehouse has them now (kind, columns, types), as
    tessera.state_relations() reports them to the operations."""
    out: dict[str, dict[str, Any]] = {}
    where = (f"lower(table_catalog) = lower({marker}) and lower(table_schema) = "
             f"lower({marker}) and lower(table_name) = lower({marker})")
    for name, info in kept.items():
        key = (str(info.get("database") or ""), str(info.get("schema") or ""),
               str(info.get("identifier") or name))
        kinds = adapter.query(f"select table_type from information_schema.tables where {where}",
                              key)
        if not kinds:
            raise NeedsDbt(f"{info['relation']} does not exist yet")
        columns = adapter.query("select column_name, data_type from information_schema.columns "
                                f"where {where} order by ordinal_position", key)
        out[name] = {**info, "exists": True,
                     "type": "view" if "VIEW" in str(kinds[0][0]).upper() else "table",
                     "existing_columns": [str(c).lower() for c, _ in columns],
                     "existing_types": {str(c).lower(): str(t).lower() for c, t in columns}}
    return out


# --- the read -------------------------------------------------------------------------

def read(project_dir: str, profiles_dir: str | None, target_name: str | None, op: str,
         op_args: Mapping[str, Any]) -> list[str]:
    """The lines `dbt run-operation tessera.<op>` would print, read directly; NeedsDbt
    when only dbt can answer exactly."""
    from ..artifacts.readers import load_manifest
    from ..engine.errors import ArtifactError
    from ..runtime.operation_args import check_args, raw_args
    from ..runtime.operations import run_read

    project = Project.read(project_dir)
    target = project.target(profiles_dir, target_name) if project else None
    if project is None or target is None:
        raise NeedsDbt("the project or its profile needs dbt's renderer")
    location = _kept(project).get(fingerprint(project, target))
    if not isinstance(location, dict):
        raise NeedsDbt("dbt has not located the state of this target and project as they "
                       "stand")
    try:
        manifest = load_manifest(os.path.join(project.target_path, "manifest.json"))
    except ArtifactError:
        raise NeedsDbt("no manifest.json of the project yet") from None
    try:
        connection, marker = _connect(target, location)
    except NeedsDbt:
        raise
    except Exception as exc:  # locked file, refused login: dbt reports it its own way
        raise NeedsDbt(f"cannot connect: {type(exc).__name__}") from None
    try:
        adapter = DirectAdapter(connection, target.values["type"], _Config(
            os.path.abspath(project_dir), os.path.abspath(project.target_path)))
        payload = {
            "op": op, "args": dict(op_args), "adapter": adapter, "manifest": manifest,
            "invocation_id": str(uuid.uuid4()), "project_name": location.get("project_name"),
            "command": "tessera", "target": location["target"],
            "settings": location["settings"], "dialect": location["dialect"],
            "relations": _relations(adapter, marker, location["relations"]),
        }
        return run_read(payload, check_args(op, raw_args(op, payload)))
    finally:
        connection.close()
