"""Who is acting: the warehouse session's own user, asked of the connection.

Never what a payload says: a project macro can call `modules.tessera.call(...)` with any
`target` it likes. The question is a Python table keyed by the real adapter's type, not a
dispatched macro, because the root project may override a dispatched macro
(`dispatch: search_order`) and identity must not be something the project restates.

`actor_source` says where the name came from and is recorded with every write:
- `session`: the warehouse said (PostgreSQL `session_user`, the login role, unchanged by
  SET ROLE; Snowflake/Databricks/Spark `current_user()`, BigQuery `session_user()`);
- `target`: the warehouse has no users (DuckDB): the profile's `user`, from dbt's own
  credentials object, unverified;
- `os`: neither: the operating-system user running dbt, unverified.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..state.records import RECORD, invocation_records
from ..state.store import EVENTS, StateStore

SESSION_USER_SQL: dict[str, str] = {
    "postgres": "select session_user",
    "redshift": "select session_user",
    "snowflake": "select current_user()",
    "bigquery": "select session_user()",
    "databricks": "select current_user()",
    "spark": "select current_user()",
    "trino": "select current_user",
}


def os_user() -> str | None:
    """The operating-system user running dbt, or None when the system cannot tell."""
    try:
        return getpass.getuser() or None
    except Exception:  # no USER/LOGNAME and no passwd entry (some containers)
        return None


def real_adapter(adapter: Any) -> Any:
    """The adapter behind the proxy dbt hands to Jinja."""
    return getattr(adapter, "_adapter", adapter)


def adapter_type(adapter: Any) -> str | None:
    try:
        return str(real_adapter(adapter).type())
    except Exception:  # not a dbt adapter (a stub)
        return None


def session_user(adapter: Any) -> tuple[str | None, str]:
    """(user, actor_source) of the connection `adapter` holds."""
    sql = SESSION_USER_SQL.get(adapter_type(adapter) or "")
    if sql is not None:
        try:
            _, table = adapter.execute(sql, auto_begin=False, fetch=True)
            value = table.rows[0][0] if table.rows else None
        except Exception:  # an engine without the function (older Spark): fall back
            value = None
        if value:
            return str(value), "session"
    credentials = getattr(getattr(real_adapter(adapter), "config", None), "credentials", None)
    user = getattr(credentials, "user", None)
    if user:
        return str(user), "target"
    return os_user(), "os"


class RecordingStore(StateStore):
    """The state store of one invocation: every write of events also writes the
    invocation's records (state.records), in the same transaction, so `tessera verify`
    can tell the rows tessera wrote from rows edited or inserted by hand."""

    def __init__(self, invocation: Any, *args: Any) -> None:
        super().__init__(*args)
        self._invocation = invocation

    @contextmanager
    def exclusive(self, check_damage: bool = True) -> Iterator[None]:
        """As StateStore's, and the invocation's clock is read again once the writer lock is
        held: the log is ordered by `recorded_at`, so a writer that started first but waited
        for the lock must not sort before the events it judged against."""
        with super().exclusive(check_damage):
            self._invocation.stamp()
            yield

    def write(self, events: Sequence[Mapping[str, Any]], audit: Sequence[Mapping[str, Any]],
              invocation_id: str) -> tuple[list[Mapping[str, Any]], int]:
        if events and self.relations[EVENTS].get("exists"):
            seen = self._existing_ids(EVENTS, "event_id", [e["event_id"] for e in events])
            events = [e for e in events if e["event_id"] not in seen]
        if not events:
            return super().write(events, audit, invocation_id)
        inv = self._invocation
        records = invocation_records(events, self._columns(EVENTS), inv.event_context,
                                     inv.actor_source, inv.command or None,
                                     self.newest(RECORD))
        written, audited = super().write([*events, *records], audit, invocation_id)
        return [e for e in written if e["event_type"] != RECORD], audited
