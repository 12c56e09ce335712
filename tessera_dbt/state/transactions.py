"""What the adapter's database session says of its transaction, and the rollback after a
failed statement: the edge StateStore and the served-column probes share."""

from __future__ import annotations

from typing import Any


def in_transaction(connection: Any) -> bool:
    """Whether the database session is inside a transaction: libpq knows (psycopg2's
    transaction_status, 0 = idle); elsewhere dbt's flag is all there is."""
    status = getattr(getattr(connection.handle, "info", None), "transaction_status", None)
    if isinstance(status, int):
        return status != 0
    return bool(connection.transaction_open)


def rollback(adapter: Any) -> None:
    """Roll back what the adapter's connection holds open; a failed rollback is ignored
    (the error that led here matters more)."""
    real = getattr(adapter, "_adapter", adapter)
    try:
        real.connections.rollback_if_open()
    except Exception:  # the original error matters more than a failed rollback
        pass
