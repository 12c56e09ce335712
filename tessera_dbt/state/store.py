"""The state tables in the warehouse, read and appended through the dbt adapter.

Runs on the connection of the dbt invocation (the user's profile is the only connection
config). The relation names, DDL and SQL dialect rules come from the package's dispatched
macros (`tessera.state_relations()`, `tessera.sql_dialect()`); this module only executes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from .audit import fit_to_columns
from .folds import fold_heads, fold_histories
from .integrity import COLUMNS, StateFacts, check
from .records import RECORD, WRITTEN_BY
from .sql import array_insert, insert_batches, insert_statements, literal, time_zone
from .transactions import in_transaction, rollback

EVENTS = "tessera_events"
AUDIT = "tessera_audit_log"
PUBLISHED = "contract_published"
_IN_LIST_CHUNK = 500
# SQL text, or SQL and the parameters the driver binds into it (state.sql.array_insert)
Statement = str | tuple[str, list[list[Any]]]
# the events that decide which published version is in force (state.folds.fold_heads)
_LIFECYCLE = "'contract_published', 'contract_retired'"


class PartialWrite(Exception):
    """A write without transactions (Spark) that failed after some rows were stored.
    `kept` counts what is stored by kind ("audit rows", "events"); `unpublished` names the
    contracts (asset version) whose contract_published event was not written."""

    def __init__(self, cause: Exception, kept: Mapping[str, int],
                 unpublished: Sequence[str]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.kept = dict(kept)
        self.unpublished = list(unpublished)

    def what_was_kept(self) -> str:
        kept = ", ".join(f"{n} {kind}" for kind, n in self.kept.items() if n) or "nothing"
        text = f"kept {kept}"
        if self.unpublished:
            text += "; not published: " + ", ".join(self.unpublished)
        return text


class StateStore:
    def __init__(self, adapter: Any, relations: Mapping[str, Mapping[str, Any]],
                 dialect: Mapping[str, Any]) -> None:
        self.adapter = adapter
        self.relations = {n: {"columns": [*COLUMNS.get(n, ())], **i} for n, i in relations.items()}
        self.dialect = dialect
        self._zone: dt.tzinfo | None = None
        self._held = False  # inside exclusive(): writes join its transaction

    @contextmanager
    def exclusive(self, check_damage: bool = True) -> Iterator[None]:
        """Read, decide and write as the only writer of this state: one transaction that
        first takes the warehouse's writer lock (`tessera.state_lock_sql()`; PostgreSQL: an
        advisory transaction lock keyed by the state schema), so every read inside sees
        what an earlier writer committed and a concurrent writer waits until this one
        commits. Where the warehouse has no lock (the SQL is empty: DuckDB, whose file has
        one writer anyway, Spark, BigQuery) the block runs as before and the deterministic
        ids and folds keep racing writers to one outcome (docs/architecture.md). A damaged
        state (state.integrity) is refused before anything is read or written."""
        lock = str(self.dialect.get("lock_sql") or "")
        if self._held or not lock or not self.dialect.get("transactions", True):
            if check_damage and not self._held:
                self.check_integrity()
            yield
            return
        with self._transaction():
            self._held = True
            try:
                self._execute(lock)
                if check_damage:
                    self.check_integrity()
                yield
            finally:
                self._held = False

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All or nothing. dbt's own transaction flag is not the truth everywhere
        (dbt-postgres 1.11 never sends BEGIN; 1.8 does on auto_begin), so the session is
        asked: idle → our own BEGIN/COMMIT; already in a transaction → join it and commit
        through dbt, so nothing is rolled back when dbt releases the connection."""
        real = getattr(self.adapter, "_adapter", self.adapter)
        connection = real.connections.get_thread_connection()
        own = not in_transaction(connection)
        if own:
            self._execute("begin")
        try:
            yield
            if own:
                self._execute("commit")
            elif connection.transaction_open:
                real.connections.commit()
        except BaseException:
            if own:
                try:
                    self._execute("rollback")
                except Exception:  # the original error matters more
                    pass
            else:
                rollback(self.adapter)
            raise

    def facts(self) -> StateFacts:
        """What state.integrity judges: each state table's kind and columns (as dbt saw
        them for this invocation) and a few counts of the event and audit tables."""
        kinds = {name: (str(info.get("type") or "table") if info.get("exists") else None)
                 for name, info in self.relations.items()}
        columns = {name: [c.lower() for c in info.get("existing_columns") or ()]
                   for name, info in self.relations.items()}
        counts: dict[str, int] = {}
        usable = {name for name, kind in kinds.items() if kind == "table"}
        if EVENTS in usable and {"event_id", "event_type", "payload"} <= set(columns[EVENTS]):
            row = self._execute(
                "select count(*) as events, "
                "sum(case when event_id is null or event_type is null then 1 else 0 end) "
                "as unidentified, "
                "sum(case when event_type = 'contract_published' and payload is null "
                "then 1 else 0 end) as empty_contracts, "
                "sum(case when event_type = 'contract_published' then 1 else 0 end) "
                f"as published from {self._relation(EVENTS)}", fetch=True)[0]
            counts.update({k: int(v or 0) for k, v in row.items()})
        if AUDIT in usable and {"invocation_id", "contract_version"} <= set(columns[AUDIT]):
            row = self._execute(
                "select count(*) as audit_rows, count(distinct invocation_id) as invocations, "
                "count(distinct case when contract_version is not null then "
                "asset end) as audited_assets "
                f"from {self._relation(AUDIT)}", fetch=True)[0]
            counts.update({k: int(v or 0) for k, v in row.items()})
        types = {name: dict(info.get("existing_types") or {})
                 for name, info in self.relations.items()}
        return StateFacts({n: str(info["relation"]) for n, info in self.relations.items()},
                          kinds, columns, counts, types)

    def check_integrity(self) -> None:
        """Raise StateDamaged (one line naming the damage and how to restore) when the state
        lost a table, columns or history; nothing is written into a damaged state."""
        check(self.facts())

    def _execute(self, sql: str, fetch: bool = False) -> list[dict[str, Any]]:
        _, table = self.adapter.execute(sql, auto_begin=False, fetch=fetch)
        if not fetch:
            return []
        names = [c.lower() for c in table.column_names]
        rows = [dict(zip(names, row.values(), strict=True)) for row in table.rows]
        if self.dialect.get("session_local_timestamps"):
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, dt.datetime) and value.tzinfo is None:
                        row[key] = self._as_written(value)
        return rows

    def _as_written(self, value: dt.datetime) -> dt.datetime:
        """A timestamp as tessera wrote it (UTC wall clock). Spark reads a literal in the
        session time zone, and pyspark hands the instant back in this process's local
        zone: shift it back into the session's zone."""
        if self._zone is None:
            _, table = self.adapter.execute("select current_timezone() as tz",
                                            auto_begin=False, fetch=True)
            self._zone = time_zone(str(table.rows[0][0]))
        return value.astimezone(self._zone).replace(tzinfo=None)

    def _relation(self, name: str) -> str:
        return str(self.relations[name]["relation"])

    def _literal(self, value: Any) -> str:
        return literal(value, self.dialect)

    def ensure_tables(self) -> None:
        """Create a missing state table (a run that did not build the tessera models); its
        DDL (tessera.state_relations(ddl=true)) is rendered only then."""
        missing = [info for info in self.relations.values() if not info.get("exists")]
        if not missing:
            return
        if any("create_sql" not in info for info in missing):  # the DDL, rendered now
            for name, info in self.dialect["state_relations"](True).items():
                self.relations[name].update(info)
        run = self._atomically if self.dialect.get("transactions", True) else self._each
        # `create ... if not exists` (tessera.create_state_table_sql): a concurrent build
        # may have created it since dbt looked
        run([sql for info in missing
                          for sql in (str(info["create_schema_sql"]), str(info["create_sql"]))])
        for info in missing:
            info["exists"] = True
            info["existing_columns"] = list(info["columns"])

    def published_heads(self) -> dict[str, dict[str, Any]]:
        """asset → the newest published version, version, fingerprint."""
        rows = self._execute(
            "select event_id, event_type, asset, version, fingerprint, recorded_at from "
            f"{self._relation(EVENTS)} where event_type in ({_LIFECYCLE})", fetch=True)
        return fold_heads(rows)

    def publications(self) -> dict[str, list[tuple[Any, str]]]:
        """asset → every (published_at, version), in no particular order."""
        out: dict[str, list[tuple[Any, str]]] = {}
        for row in self._execute(f"select asset, version, recorded_at from "
                                 f"{self._relation(EVENTS)} "
                                 "where event_type = 'contract_published'", fetch=True):
            out.setdefault(row["asset"], []).append((row["recorded_at"], row["version"]))
        return out

    def select(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a read-only query (the BI models), as dicts with lower-case keys."""
        return self._execute(sql, fetch=True)

    def contract_histories(self, assets: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """asset → every published contract document, oldest first."""
        out: dict[str, list[dict[str, Any]]] = {}
        for chunk in _chunks(sorted(set(assets)), _IN_LIST_CHUNK):
            names = ", ".join(self._literal(a) for a in chunk)
            rows = self._execute(
                "select event_id, event_type, asset, version, payload, recorded_at from "
                f"{self._relation(EVENTS)} where event_type in ({_LIFECYCLE}) "
                f"and asset in ({names})", fetch=True)
            out.update(fold_histories(rows))
        return out

    def recorded_publications(self, assets: Sequence[str]) -> dict[str, str]:
        """asset → the invocation whose record says it published the asset, for those of
        `assets` an invocation record lists (state.records) and the log does not hold as
        retired (a retired asset starts afresh)."""
        wanted = set(assets)
        if not wanted:
            return {}
        listed = ", ".join(self._literal(a) for a in sorted(wanted))
        wanted -= {str(r["asset"]) for r in self._execute(
            f"select asset from {self._relation(EVENTS)} where event_type = "
            f"'contract_retired' and asset in ({listed})", fetch=True)}
        if not wanted:
            return {}
        rows = self._execute(
            f"select invocation_id, payload from {self._relation(EVENTS)} where event_type "
            f"= {self._literal(RECORD)} and payload like {self._literal('%published%')}",
            fetch=True)
        out: dict[str, str] = {}
        for row in rows:
            for asset in set(_published_by(row.get("payload"))) & wanted:
                out.setdefault(asset, str(row.get("invocation_id")))
        return out

    def newest(self, kind: str, column: str = "event_id") -> str | None:
        """`column` of the newest event of `kind` (ties on the time broken by the id, as
        the log's order): the record state.records chains to, the membership recorded."""
        if not self.relations[EVENTS].get("exists"):
            return None
        table, word = self._relation(EVENTS), self._literal(kind)
        columns = "event_id" if column == "event_id" else f"event_id, {column}"
        rows = self._execute(
            f"select {columns} from {table} where event_type = {word} and "
            f"recorded_at = (select max(recorded_at) from {table} where event_type = {word})",
            fetch=True)
        return str(max(rows, key=lambda r: str(r["event_id"]))[column]) if rows else None

    def events(self, types: Sequence[str], asset: str | None = None) -> list[dict[str, Any]]:
        """Events of the given types (of one asset), as stored."""
        listed = ", ".join(self._literal(t) for t in types)
        where = f"event_type in ({listed})"
        if asset is not None:
            where += f" and asset = {self._literal(asset)}"
        present = {c.lower() for c in self.relations[EVENTS].get("existing_columns") or ()}
        written_by = f", {WRITTEN_BY}" if WRITTEN_BY in present else ""
        return self._execute(
            "select event_id, event_type, asset, version, fingerprint, proposal_id, team, "
            f"status, reason, actor, recorded_at, payload{written_by} from "
            f"{self._relation(EVENTS)} where {where}", fetch=True)

    def _existing_ids(self, name: str, key: str, values: Iterable[str], column: str = ""
                      ) -> set[str]:  # `key` of the rows whose `column` (or `key`) is a value
        found: set[str] = set()
        for chunk in _chunks(sorted(set(values)), _IN_LIST_CHUNK):
            listed = ", ".join(self._literal(i) for i in chunk)
            rows = self._execute(f"select {key} from {self._relation(name)} "
                                 f"where {column or key} in ({listed})", fetch=True)
            found.update(str(r[key]) for r in rows)
        return found

    def _columns(self, name: str) -> list[str]:
        """The columns to write: tessera's list, less any an older table does not have yet
        and the one the warehouse fills (state.records.WRITTEN_BY)."""
        info = self.relations[name]
        existing = {c.lower() for c in info.get("existing_columns") or ()}
        return [c for c in info["columns"] if (not existing or c in existing)
                and c != WRITTEN_BY]

    def write(self, events: Sequence[Mapping[str, Any]], audit: Sequence[Mapping[str, Any]],
              invocation_id: str) -> tuple[list[Mapping[str, Any]], int]:
        """Append events and audit rows in one transaction; rows already there (a retried
        hook) are skipped. Returns the events written and the number of audit rows.

        Without transactions (the dialect's `transactions: false`, Spark) every insert is
        its own commit, so the order is what keeps the log sound: audit rows first, then
        the other events, the contract_published events last. A failure part-way never
        leaves a published version without its audit rows; it raises PartialWrite saying
        what was kept, and a retry writes only the missing ids (they are deterministic)."""
        if events:
            seen = self._existing_ids(EVENTS, "event_id", [e["event_id"] for e in events])
            events = [e for e in events if e["event_id"] not in seen]
        if audit:  # by invocation (an audit id hashes it): one scan of the log, not one per 500
            column = "invocation_id" if all(a.get("invocation_id") for a in audit) else "audit_id"
            seen = self._existing_ids(AUDIT, "audit_id", {str(a[column]) for a in audit}, column)
            audit = [a for a in audit if a["audit_id"] not in seen]
        if not events and not audit:
            return [], 0
        audit = fit_to_columns(audit, (self.relations[AUDIT].get("existing_types") or {})
                               .get("failures"))
        if not self.dialect.get("transactions", True):
            self._in_order(events, audit)
            return list(events), len(audit)
        self._atomically([statement for name, rows in ((EVENTS, events), (AUDIT, audit))
                          for statement in self._inserts(name, rows)])
        return list(events), len(audit)

    def _inserts(self, name: str, rows: Sequence[Mapping[str, Any]]) -> list[Statement]:
        """The statements that append `rows`: one bound array insert where the dialect has
        one (state.sql.array_insert), else batches of escaped VALUES."""
        relation, columns = self._relation(name), self._columns(name)
        bound = array_insert(relation, columns, rows, self.dialect)
        return [bound] if bound else [*insert_statements(relation, columns, rows, self.dialect)]

    def _in_order(self, events: Sequence[Mapping[str, Any]],
                  audit: Sequence[Mapping[str, Any]]) -> None:
        published = [e for e in events if e["event_type"] == PUBLISHED]
        steps = (("audit rows", AUDIT, list(audit)),
                 ("events", EVENTS, [e for e in events if e["event_type"] != PUBLISHED]),
                 ("events", EVENTS, published))
        kept = {"audit rows": 0, "events": 0}
        done: set[str] = set()
        try:
            for kind, name, rows in steps:
                offset = 0
                for statement, n in insert_batches(self._relation(name), self._columns(name),
                                                   rows, self.dialect):
                    self._execute(statement)
                    done.update(str(r.get("event_id")) for r in rows[offset:offset + n])
                    offset += n
                    kept[kind] += n
        except Exception as exc:
            if not any(kept.values()):
                raise
            raise PartialWrite(exc, kept, [f"{e['asset']} {e['version']}" for e in published
                                           if str(e["event_id"]) not in done]) from exc

    def _each(self, statements: Sequence[Statement]) -> None:
        for statement in statements:
            if isinstance(statement, str):
                self._execute(statement)
            else:  # a statement and its parameters, bound by the driver
                sql, bindings = statement
                real = getattr(self.adapter, "_adapter", self.adapter)
                real.connections.add_query(sql, auto_begin=False, bindings=bindings)

    def run_statements(self, statements: Sequence[str]) -> None:
        self._atomically(statements)

    def _atomically(self, statements: Sequence[Statement]) -> None:
        """All or nothing (`_transaction`); inside exclusive() the statements join its
        transaction, committed there."""
        with nullcontext() if self._held else self._transaction():
            self._each(statements)


def _published_by(payload: Any) -> list[str]:
    try:
        body = json.loads(payload) if isinstance(payload, str) else payload
    except ValueError:
        return []
    published = body.get("published") if isinstance(body, dict) else None
    return [str(a) for a in published] if isinstance(published, list) else []


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
