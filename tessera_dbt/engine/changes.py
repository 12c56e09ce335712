"""The value types of a verdict: one classified `Change`, and the `Report` on a change of
contract under one mode; and which modes a change breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .rules import RULES_BY_ID, Level
from .vocabulary import MODES


def base_mode(mode: str) -> str:
    return mode.removesuffix("_transitive")


def breaks_in(breaks_under: frozenset[str], mode: str) -> bool:
    base = base_mode(mode)
    if base == "none":
        return False
    if base == "full":
        return bool(breaks_under)
    return base in breaks_under


@dataclass(frozen=True)
class Change:
    """One classified difference between two contract documents."""

    rule: str
    path: str
    old: Any
    new: Any
    breaks_under: frozenset[str]
    message: str
    note: str = ""
    guarantee: str | None = None
    against: str | None = None  # the published version this was found against (transitive)

    @property
    def level(self) -> Level:
        return RULES_BY_ID[self.rule].level

    def breaks(self, mode: str) -> bool:
        return breaks_in(self.breaks_under, mode)

    def to_json(self, mode: str) -> dict[str, Any]:
        rule = RULES_BY_ID[self.rule]
        out: dict[str, Any] = {
            "rule": self.rule,
            "path": self.path,
            "breaking": self.breaks(mode),
            "message": self.message,
            "old": self.old,
            "new": self.new,
            "breaks_under": _modes_breaking(self.breaks_under),
            "fix": rule.fix,
        }
        if self.note:
            out["note"] = self.note
        if self.guarantee:
            out["guarantee"] = self.guarantee
        if self.against:
            out["against"] = self.against
        return out


def _modes_breaking(breaks_under: frozenset[str]) -> list[str]:
    return [m for m in MODES if breaks_in(breaks_under, m)]


@dataclass(frozen=True)
class Report:
    """The verdict on one change of contract under one mode."""

    asset: str | None
    mode: str
    changes: tuple[Change, ...]
    breaking: bool
    suggested_bump: str
    first_failing_version: str | None = None
    consumers: tuple[dict[str, Any], ...] = field(default=())

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaks(self.mode))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "asset": self.asset,
            "breaking": self.breaking,
            "mode": self.mode,
            "suggested_bump": self.suggested_bump,
            "changes": [c.to_json(self.mode) for c in self.changes],
        }
        if self.first_failing_version:
            out["first_failing_version"] = self.first_failing_version
        return out
