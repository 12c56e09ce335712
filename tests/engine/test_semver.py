"""Semantic versions: bumps, pre-releases and the refusal of an insufficient declared bump."""

from __future__ import annotations

import pytest

from tessera_dbt.engine.errors import ConfigError
from tessera_dbt.engine.semver import (
    bump_between,
    bump_version,
    check_declared_version,
    is_prerelease,
    parse_version,
)


@pytest.mark.parametrize("current,bump,expected", [
    (None, "major", "1.0.0"), (None, "none", "1.0.0"),
    ("1.2.3", "major", "2.0.0"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "patch", "1.2.4"),
    ("1.2.3", "none", "1.2.3"),
    ("2.0.0-rc.1", "major", "2.0.0"),  # a pre-release is promoted, not bumped again
    ("1.3.0-beta", "minor", "1.3.0"),
])
def test_bump_version(current, bump, expected):
    assert bump_version(current, bump) == expected


@pytest.mark.parametrize("current,declared,bump", [
    ("1.2.3", "2.0.0", "major"), ("1.2.3", "3.0.0", "major"), ("1.2.3", "1.3.0", "minor"),
    ("1.2.3", "2.0.0", "minor"), ("1.2.3", "1.2.4", "patch"), (None, "1.0.0", "major"),
    ("1.2.3", "1.2.3", "none"), ("1.2.3", "2.0.0-rc.1", "major"),
])
def test_sufficient_declared_versions_pass(current, declared, bump):
    check_declared_version(current, declared, bump)


@pytest.mark.parametrize("current,declared,bump", [
    ("1.2.3", "1.3.0", "major"), ("1.2.3", "1.2.4", "minor"), ("1.2.3", "1.2.3", "patch"),
    ("1.2.3", "1.9.9", "major"),
])
def test_insufficient_declared_versions_are_refused(current, declared, bump):
    with pytest.raises(ConfigError, match="insufficient version bump"):
        check_declared_version(current, declared, bump)


def test_parse_and_prerelease():
    assert parse_version("2.0.0-rc.1").prerelease == "rc.1"
    assert is_prerelease("2.0.0-rc.1") and not is_prerelease("2.0.0")
    assert bump_between("1.2.3", "2.0.0") == "major"
    assert bump_between("1.2.3", "1.2.9") == "patch"
    assert bump_between("1.2.3", "1.2.3") == "none"
    for bad in ("1.2", "v1.2.3", "01.2.3", "", "1.2.3.4"):
        with pytest.raises(ConfigError, match="not a semantic version"):
            parse_version(bad)


def test_versions_order_by_semver_precedence():
    from tessera_dbt.engine.semver import is_graduation, version_key

    ordered = ["1.0.0", "1.9.0", "1.10.0", "2.0.0-alpha", "2.0.0-rc.1", "2.0.0-rc.2",
               "2.0.0-rc.10", "2.0.0", "10.0.0"]
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert is_graduation("2.0.0-rc.1", "2.0.0") and is_graduation("2.0.0-rc.1", "2.0.0-rc.2")
    assert not is_graduation("2.0.0", "2.0.1") and not is_graduation("2.0.0-rc.2", "2.0.0-rc.1")
    assert not is_graduation(None, "2.0.0") and not is_graduation("2.0.0-rc.1", "nonsense")
