"""Typed errors of the core. Only the CLI turns them into exit codes."""

from __future__ import annotations

# The longest message tessera prints: a rejected value is named, never echoed in full (a
# 15 MB "one line" helps nobody).
MAX_MESSAGE = 400


_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {
    0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def printable(text: str) -> str:
    """`text` with every control character escaped (`\\n`, `\\x1b`): a name holding a
    newline or a terminal escape cannot split or forge a log line."""
    return str(text).translate(_CONTROLS)


def brief(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line, cut to `limit` characters with a note of what was left out."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit} more characters)"


class TesseraError(Exception):
    """A problem the user can fix: the message names it, `hint` says how."""

    def __init__(self, message: str, hint: str = "") -> None:
        message, hint = brief(message), brief(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ArtifactError(TesseraError):
    """A dbt artifact that cannot be read: missing, corrupt, wrong kind or unknown version."""


class DocumentError(TesseraError):
    """A contract document that cannot be read or does not match the contract format."""


class ConfigError(TesseraError):
    """Bad configuration or arguments."""
