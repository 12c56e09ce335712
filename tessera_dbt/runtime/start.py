"""The on-run-start hook's brain, in one call: the settings guard (engine.settings
PROTECTIVE), then the state check and the gate, each only when this run needs it.

What dbt selected decides what is worth a warehouse query: the state check
(runtime.state_check) guards the state tables against a build that would re-create or
re-column them, so it runs when the run selected one of them, and before the gate, which
must never judge against a damaged state; the gate (runtime.gate) runs when the run
selected a model, seed or snapshot under contract on a target that publishes.
A run that selected neither returns before anything is read from the warehouse, before the
state relations are looked up (the macro hands `tessera._invocation_payload` over uncalled;
it is called here only when needed) and before the heavier modules are imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..artifacts.nodes import built_under_contract
from ..engine.settings import gate_mode, publishes
from .settings_guard import check_settings

# the package's state models: a run that builds them may create or re-column them
STATE_MODELS = ("model.tessera.tessera_events", "model.tessera.tessera_audit_log")


def gated(payload: Mapping[str, Any], selected: list[str]) -> bool:
    """Whether the gate has anything to look at: a selected model, seed or snapshot under
    contract, on a target that publishes."""
    settings = payload.get("settings") or {}
    target = str((payload.get("target") or {}).get("name") or "")
    nodes = (payload.get("graph") or {}).get("nodes") or {}
    return publishes(target, settings.get("publish_targets")) \
        and bool(built_under_contract(nodes, selected))


def on_run_start(payload: dict[str, Any]) -> dict[str, Any]:
    """`tessera.on_run_start()`: the settings guard raises (a ConfigError, one line); a
    damaged state or a blocked gate returns its `error`, which the macro raises."""
    check_settings(payload)
    settings = payload.get("settings") or {}
    if not settings.get("enabled"):
        return {"messages": []}
    gate = gate_mode(settings) != "off"  # an invalid mode is refused on every run
    selected = [str(uid) for uid in payload.get("selected") or ()]
    judge = gate and gated(payload, selected)
    # the gate never judges against a damaged state: it is checked first
    if not judge and not any(uid in STATE_MODELS for uid in selected):
        return {"messages": []}
    invocation: Callable[[], Mapping[str, Any]] = payload["invocation"]
    full = {**invocation(), "selected": selected}
    from .state_check import check_state  # imported by a run that needs it

    checked = check_state(full)
    if checked.get("error") or not judge:
        return checked
    from .gate import on_run_start as run_gate

    outcome = run_gate(full)
    return {**outcome, "messages": [*checked.get("messages", []), *outcome.get("messages", [])]}
