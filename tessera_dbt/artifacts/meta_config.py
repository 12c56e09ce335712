"""`meta.tessera` of one asset, validated in one place: `Extractor.document` calls
`validate_tessera_meta` first, so the on-run-end hook, the on-run-start gate, `tessera
check` and `propose` refuse the same mistakes with the same words, and each reports it as
that asset's error alone (docs/configuration.md, "Per asset").

`KNOWN_KEYS` is the one list of the keys an asset's `meta.tessera` may hold (a test holds
docs/configuration.md to it); a key left empty (null) counts as unset. An exposure's
`meta.tessera.columns` is read by column lineage and is not an asset's config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.errors import ConfigError
from ..engine.semver import parse_version
from ..engine.suggest import did_you_mean
from .nodes import tessera_meta

# every key an asset's meta.tessera may hold, in the order docs/configuration.md lists them
KNOWN_KEYS = ("owner", "compatibility", "consumers", "freshness", "loaded_at_field", "version")
# the keys of one declared consumer, `{team, purpose, columns}`
CONSUMER_KEYS = ("team", "purpose", "columns")
_CONSUMERS_HINT = "e.g. consumers: [{team: finance, purpose: revenue reporting}]"


def declared_consumers(tessera: Mapping[str, Any]) -> list[Any]:
    """`meta.tessera.consumers` as written, or [] when it is not a list (never a string
    read letter by letter; `validate_tessera_meta` refuses it)."""
    value = tessera.get("consumers")
    return value if isinstance(value, list) else []


def _unknown(where: str, keys: Sequence[Any], known: Sequence[str]) -> ConfigError | None:
    unknown = [k for k in keys if k not in known]
    if not unknown:
        return None
    named = ", ".join(f"{k!r}{did_you_mean(str(k), known)}" for k in unknown)
    plural = "an unknown key" if len(unknown) == 1 else "unknown keys"
    return ConfigError(f"{where} has {plural} {named}", "known keys: " + ", ".join(known))


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _consumer(where: str, index: int, entry: Any) -> ConfigError | None:
    at = f"{where}.consumers[{index}]"
    if _is_name(entry):  # `[finance]`: a bare team name, read as {team: finance}
        return None
    if not isinstance(entry, Mapping):
        return ConfigError(f"{at} must be a {{team: ...}} mapping, got {entry!r}",
                           _CONSUMERS_HINT)
    problem = _unknown(at, list(entry), CONSUMER_KEYS)
    if problem:
        return problem
    team = entry.get("team")
    if team is None:
        return ConfigError(f"{at} names no team", _CONSUMERS_HINT)
    if not _is_name(team):
        return ConfigError(f"{at}.team must be a team name (a non-empty string), got {team!r}",
                           _CONSUMERS_HINT)
    columns = entry.get("columns")
    if columns is not None and not (isinstance(columns, list)
                                    and all(_is_name(c) for c in columns)):
        return ConfigError(f"{at}.columns must be a list of column names, got {columns!r}",
                           "e.g. columns: [order_id, amount]")
    return None


def problem_of(node: dict[str, Any]) -> ConfigError | None:
    """What is wrong with the asset's `meta.tessera` (the first problem), or None."""
    tessera = tessera_meta(node)  # not a mapping: raised there
    if not tessera:
        return None
    where = f"{node.get('unique_id')}: meta.tessera"
    problem = _unknown(where, list(tessera), KNOWN_KEYS)
    if problem:
        return problem
    owner = tessera.get("owner")
    if owner is not None and not _is_name(owner):
        return ConfigError(f"{where}.owner must be a team name (a non-empty string), "
                           f"got {owner!r}", "e.g. owner: commerce")
    consumers = tessera.get("consumers")
    if consumers is not None and not isinstance(consumers, list):
        return ConfigError(f"{where}.consumers must be a list of {{team: ...}} mappings, "
                           f"got {consumers!r}", _CONSUMERS_HINT)
    for index, entry in enumerate(consumers or ()):
        problem = _consumer(where, index, entry)
        if problem:
            return problem
    version = tessera.get("version")
    if version is not None:
        try:
            parse_version(str(version))
        except ConfigError as exc:
            return ConfigError(f"{where}.version is {version!r}, not a semantic version",
                               exc.hint)
    return None


def validate_tessera_meta(node: dict[str, Any]) -> None:
    """Raise the asset's ConfigError when its `meta.tessera` holds an unknown key (with
    "did you mean"), an owner that is not a team name, consumers that are not a list of
    `{team: ...}` mappings, or a version that is not a semantic version."""
    problem = problem_of(node)
    if problem is not None:
        raise problem
