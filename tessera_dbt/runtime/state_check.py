"""The state check of the on-run-start hook: a damaged state (state.integrity) stops the
invocation before dbt builds anything, so the build never re-creates or re-columns a state
table over lost history."""

from __future__ import annotations

import os
from typing import Any

from ..engine.errors import brief
from ..state.integrity import StateDamaged
from ..state.store import StateStore


def check_state(payload: dict[str, Any]) -> dict[str, Any]:
    store = StateStore(payload["adapter"], payload["relations"], payload["dialect"])
    try:
        store.check_integrity()
    except StateDamaged as exc:
        return {"messages": [], "error": exc.one_line()}
    except Exception as exc:  # a check that cannot look says so; the hook checks again
        if os.environ.get("TESSERA_DEBUG") == "1":
            raise
        return {"messages": [f"tessera: WARNING: could not check the state tables "
                             f"({brief(f'{type(exc).__name__}: {exc}')})"]}
    return {"messages": []}
