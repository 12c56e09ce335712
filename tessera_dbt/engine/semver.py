"""Semantic versions of contracts: parse, bump, and refuse an insufficient declared bump."""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ConfigError

BUMPS = ("none", "patch", "minor", "major")
FIRST_VERSION = "1.0.0"
# each number at most 18 digits (a 64-bit integer): a version of 5,000 digits is not one
_SEMVER = re.compile(r"^(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})"
                     r"(?:-([0-9A-Za-z.-]{1,100}))?(?:\+[0-9A-Za-z.-]{1,100})?$")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int
    prerelease: str | None = None

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core


def parse_version(text: str) -> Version:
    """`2.0.0-rc.1` → Version(2, 0, 0, 'rc.1'); anything else is a ConfigError.

    >>> parse_version("1.2.3")
    Version(major=1, minor=2, patch=3, prerelease=None)
    """
    match = _SEMVER.match(str(text).strip())
    if not match:
        raise ConfigError(f"version {text!r} is not a semantic version",
                          "write MAJOR.MINOR.PATCH, e.g. 1.2.0 or 2.0.0-rc.1")
    major, minor, patch, pre = match.groups()
    return Version(int(major), int(minor), int(patch), pre)


def is_prerelease(text: str) -> bool:
    return parse_version(text).prerelease is not None


def bump_version(current: str | None, bump: str) -> str:
    """The next version after `current` for a bump; the first publication is 1.0.0.

    A pre-release of the target version is promoted, not bumped again:
    2.0.0-rc.1 + major → 2.0.0.
    """
    if current is None:
        return FIRST_VERSION
    v = parse_version(current)
    if bump == "none":
        return str(v)
    if v.prerelease:
        return str(Version(v.major, v.minor, v.patch))
    if bump == "major":
        return str(Version(v.major + 1, 0, 0))
    if bump == "minor":
        return str(Version(v.major, v.minor + 1, 0))
    if bump == "patch":
        return str(Version(v.major, v.minor, v.patch + 1))
    raise ValueError(f"unknown bump {bump!r}")


def bump_between(old: str, new: str) -> str:
    """Which bump leads from `old` to `new` (`none` when `new` is not greater)."""
    a, b = parse_version(old), parse_version(new)
    if (b.major, b.minor, b.patch) <= (a.major, a.minor, a.patch):
        return "none"
    if b.major > a.major:
        return "major"
    if b.minor > a.minor:
        return "minor"
    return "patch"


def check_declared_version(current: str | None, declared: str, required_bump: str) -> None:
    """Refuse a declared version smaller than the computed bump (compatibility.md, Semver)."""
    target = parse_version(declared)
    if current is None:
        return
    if required_bump == "none":
        return
    base = Version(target.major, target.minor, target.patch)
    needed = parse_version(bump_version(current, required_bump))
    needed_core = (needed.major, needed.minor, needed.patch)
    if (base.major, base.minor, base.patch) < needed_core:
        raise ConfigError(
            f"insufficient version bump: {current} → {declared} is smaller than the "
            f"{required_bump} bump this change needs",
            f"declare {needed} or higher",
        )


def version_key(text: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key giving semver precedence: 1.9.0 < 1.10.0, 2.0.0-rc.1 < 2.0.0, and
    numeric pre-release identifiers below alphanumeric ones (semver.org, item 11).

    >>> sorted(["1.10.0", "1.9.0", "2.0.0", "2.0.0-rc.1"], key=version_key)
    ['1.9.0', '1.10.0', '2.0.0-rc.1', '2.0.0']
    """
    v = parse_version(text)
    if v.prerelease is None:
        return (v.major, v.minor, v.patch, 1, ())
    ids = tuple((0, int(p)) if p.isdigit() else (1, p) for p in v.prerelease.split("."))
    return (v.major, v.minor, v.patch, 0, ids)  # type: ignore[return-value]


def is_graduation(published: str | None, declared: str | None) -> bool:
    """Whether `declared` releases the pre-release `published` (2.0.0-rc.1 → 2.0.0, or a
    later pre-release of it): a new version without a content change."""
    if not published or not declared:
        return False
    try:
        return is_prerelease(published) and version_key(declared) > version_key(published)
    except ConfigError:
        return False
