"""'Did you mean' for names a user typed (pure)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str], n: int = 1) -> str:
    """' (did you mean 'finance'?)' for the closest known name(s), or '' when none is close.

    >>> did_you_mean("fiannce", ["finance", "marketing"])
    " (did you mean 'finance'?)"
    """
    close = difflib.get_close_matches(name, sorted(set(known)), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def close_to(name: str, known: Iterable[str]) -> list[str]:
    """The known names close to `name` (but not `name` itself)."""
    return [c for c in difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.6)
            if c != name]
