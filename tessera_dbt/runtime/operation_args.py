"""The arguments each `dbt run-operation tessera.<op>` takes, and their check.

Apart from the operations themselves so the CLI can build its parser without importing
the brain (the SQL parser behind column lineage costs a few tenths of a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.errors import ConfigError, brief

OPERATION_ARGS: dict[str, dict[str, tuple[type, bool]]] = {
    "propose": {"model": (str, True), "version": (str, False), "reason": (str, False)},
    "acknowledge": {"proposal_id": (str, True), "team": (str, True), "response": (str, True),
                    "comment": (str, False), "migration_deadline": (str, False)},
    "withdraw": {"proposal_id": (str, True), "reason": (str, False)},
    "force_publish": {"proposal_id": (str, True), "reason": (str, True)},
    "register": {"model": (str, True), "team": (str, True), "purpose": (str, False)},
    "unregister": {"model": (str, True), "team": (str, True)},
    "status": {"model": (str, False)},
    "export": {"out": (str, True), "format": (str, False)},
    "inbox": {"team": (str, True)},
    "publish_contract": {"file": (str, True), "propose": (bool, False),
                         "reason": (str, False)},
}
# operations whose `tessera` command is written by hand (cli/parser.py), not generated
OWN_COMMANDS = frozenset({"publish_contract"})

# The help of each argument, shown by `tessera <operation> --help`.
ARG_HELP: dict[str, str] = {
    "model": "the model, seed, snapshot or source: name, name.vN or unique_id",
    "version": "the version to propose (default: the next major)",
    "reason": "why, recorded and shown to the consumer teams",
    "proposal_id": "the proposal (p_...), as printed by propose, status and inbox",
    "team": "the consumer team",
    "response": "approved, migrating (approves, a migration under way) or blocked (rejects)",
    "comment": "free text, kept exactly as given in tessera_acknowledgments.comment",
    "migration_deadline": "when the team's migration is due (free text, e.g. 2025-07-01)",
    "purpose": "what the team uses the asset for",
    "out": "the directory to write the export to",
    "file": "a hand-written contract: an ODCS v3.1.0 document or a tessera contract document",
    "propose": "when the edit is breaking, propose it to the consumer teams",
    "format": "tessera (default: what `tessera check --baseline` reads) or odcs (one ODCS "
              "v3.1.0 document per contract, docs/contracts.md)",
}


def check_args(op: str, args: Mapping[str, Any],
               spec: Mapping[str, tuple[type, bool]] | None = None) -> dict[str, Any]:
    """Every argument known, present when required, of the right type, non-empty
    (`spec` for operations outside OPERATION_ARGS, e.g. audit_ingest)."""
    spec = spec if spec is not None else OPERATION_ARGS[op]
    unknown = sorted(set(args) - set(spec))
    if unknown:
        raise ConfigError(f"tessera.{op}: unknown argument {unknown[0]!r}",
                          f"it takes: {', '.join(spec)}")
    out: dict[str, Any] = {}
    for name, (kind, required) in spec.items():
        value = args.get(name)
        if value is None:
            if required:
                raise ConfigError(f"tessera.{op}: missing argument {name!r}",
                                  f"pass --args '{{{name}: ...}}'")
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and kind is str \
                and name == "version":
            value = str(value)
        if isinstance(value, str) and "\x00" in value:
            raise ConfigError(f"tessera.{op}: argument {name!r} holds a NUL byte",
                              "no warehouse stores one in a string; remove it")
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"tessera.{op}: argument {name!r} must be a non-empty "
                              f"{kind.__name__}, got {value!r}")
        out[name] = value.strip() if isinstance(value, str) else value
    return out


def check_choice(op: str, name: str, value: str, choices: tuple[str, ...]) -> str:
    """An argument that takes one of a few words (`format: text|json`)."""
    if value not in choices:
        raise ConfigError(f"tessera.{op}: argument {name!r} is {value!r}",
                          f"use one of: {', '.join(choices)}")
    return value


def raw_args(op: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The `--args` mapping an operation's macro handed over, refused in one line when it is
    not a mapping (a YAML scalar or list)."""
    raw = payload.get("args") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"tessera.{op}: --args must be a mapping, got {brief(repr(raw), 80)}")
    return dict(raw)
