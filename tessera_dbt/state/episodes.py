"""Failure episodes of guarantees (pure): when a guarantee starts failing, when it holds
again, and which teams are told (docs/audit.md, "Alerts that reach teams").

An episode is one stretch of runs in which a guarantee of an asset fails: it opens with a
`guarantee_failed` event the first run a check of it fails or errors, and closes with a
`guarantee_recovered` event the first later run in which its checks pass. Episodes are
numbered per (asset, guarantee); the number is part of both events' ids, so a retried hook,
`tessera record` of the same run or two writers racing on the same log record one of each.

A run's verdict on a guarantee comes from its audit rows: `failed` when any check failed
or errored (FAILED_STATUSES); `held` when checks ran and none failed (a warning holds: it is
advisory, as for `require_audit_pass`); none when every check was skipped (no evidence
either way: an open episode stays open, none opens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..artifacts.readers import Manifest
from ..engine.vocabulary import FAILED_STATUSES, EventType
from .events import body

EPISODE_EVENTS: tuple[EventType, ...] = ("guarantee_failed", "guarantee_recovered")
Key = tuple[str, str]  # (asset, guarantee)
_HOLDS = ("pass", "warn")


@dataclass(frozen=True)
class Episode:
    """The latest failure episode of one guarantee, as the log holds it."""

    asset: str
    guarantee: str
    number: int
    open: bool
    teams: tuple[str, ...]  # the teams told when it opened (told again when it closes)
    owner: str | None
    failed_event_id: str
    failed_at: Any


@dataclass(frozen=True)
class Verdict:
    """What one run's checks said about one guarantee: `failed` or `held`, and the
    checks that said it (audit rows)."""

    asset: str
    guarantee: str
    status: str
    checks: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Transitions:
    """What a run changes: episodes it opens (verdicts, each with its episode number)
    and episodes it closes (with the verdict that closed each)."""

    started: tuple[tuple[Verdict, int], ...] = ()
    ended: tuple[tuple[Episode, Verdict], ...] = ()


def guarantee_key(row: Mapping[str, Any]) -> str:
    """The guarantee an audit row speaks for; the test's name (or id) when it maps to
    none, as `state.audit.failed_guarantees` names it."""
    return str(row.get("guarantee") or row.get("test_name") or row.get("test_unique_id"))


def fold_episodes(events: Iterable[Mapping[str, Any]]) -> dict[Key, Episode]:
    """(asset, guarantee) → its latest episode, from `guarantee_failed` and
    `guarantee_recovered` events in any order: the highest episode number opened is open
    unless a recovery of that number is recorded.

    >>> failed = {"event_type": "guarantee_failed", "event_id": "e1", "asset": "a",
    ...           "reason": "nullability.x", "payload": {"episode": 1, "notify_teams": ["t"]}}
    >>> fold_episodes([failed])[("a", "nullability.x")].open
    True
    >>> fold_episodes([failed, {**failed, "event_type": "guarantee_recovered"}]
    ...               )[("a", "nullability.x")].open
    False
    """
    opened: dict[Key, dict[int, Mapping[str, Any]]] = {}
    closed: dict[Key, set[int]] = {}
    for row in events:
        number = body(row).get("episode")
        if not isinstance(number, int):
            continue
        key = (str(row.get("asset")), str(row.get("reason")))
        if row.get("event_type") == "guarantee_failed":
            opened.setdefault(key, {}).setdefault(number, row)
        elif row.get("event_type") == "guarantee_recovered":
            closed.setdefault(key, set()).add(number)
    out: dict[Key, Episode] = {}
    for key, numbers in opened.items():
        number = max(numbers)
        row = numbers[number]
        out[key] = Episode(key[0], key[1], number, number not in closed.get(key, set()),
                           tuple(str(t) for t in body(row).get("notify_teams") or ()),
                           body(row).get("owner") or row.get("owner"),
                           str(row.get("event_id")), row.get("recorded_at"))
    return out


def run_verdicts(audit: Iterable[Mapping[str, Any]]) -> dict[Key, Verdict]:
    """(asset, guarantee) → this run's verdict, from its audit rows (rows of no asset
    speak for no contract and are left out)."""
    checks: dict[Key, list[Mapping[str, Any]]] = {}
    for row in audit:
        if row.get("asset"):
            checks.setdefault((str(row["asset"]), guarantee_key(row)), []).append(row)
    out: dict[Key, Verdict] = {}
    for key, rows in checks.items():
        failing = [r for r in rows if r.get("status") in FAILED_STATUSES]
        if failing:
            out[key] = Verdict(*key, "failed", tuple(failing))
        elif any(r.get("status") in _HOLDS for r in rows):
            out[key] = Verdict(*key, "held", tuple(r for r in rows if r.get("status") in _HOLDS))
    return out


def transitions(episodes: Mapping[Key, Episode], verdicts: Mapping[Key, Verdict]
                ) -> Transitions:
    """The episodes this run opens (a failure with no open episode: the next number) and
    closes (an open episode whose guarantee held); a failure of an open episode, or a
    guarantee that holds with none open, changes nothing.

    >>> v = Verdict("a", "nullability.x", "failed", ())
    >>> [n for _, n in transitions({}, {("a", "nullability.x"): v}).started]
    [1]
    >>> open_one = Episode("a", "nullability.x", 1, True, ("t",), "o", "e1", None)
    >>> transitions({("a", "nullability.x"): open_one}, {("a", "nullability.x"): v})
    Transitions(started=(), ended=())
    """
    started, ended = [], []
    for key in sorted(verdicts):
        verdict, episode = verdicts[key], episodes.get(key)
        if verdict.status == "failed" and (episode is None or not episode.open):
            started.append((verdict, episode.number + 1 if episode else 1))
        elif verdict.status == "held" and episode is not None and episode.open:
            ended.append((episode, verdict))
    return Transitions(tuple(started), tuple(ended))


def relying_teams(
    manifest: Manifest | None,
    unique_id: str | None,
    document: Mapping[str, Any],
    guarantees: Sequence[str],
    registered: Mapping[str, str | None] = {},  # noqa: B006 (read only)
    published: Mapping[str, Any] | None = None,
    compile_sql: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> dict[str, list[str]]:
    """guarantee → the consumer teams that rely on it (the owner is never among them).

    The candidates are the consumers of the version in force and of the current contract
    and the registered teams (`lineage.consumers.in_force_consumers`, as a proposal asks).
    A guarantee on columns (`nullability.amount`, `accepted_values.status`, ...) is relied
    on by the teams column lineage finds reading one of them, and by every team lineage
    knows nothing about or that reads every column (a declared consumer without
    `columns`, an exposure); a guarantee on no column (freshness, a table-level test)
    by every candidate. One lineage walk per asset, whatever the number of guarantees."""
    # lineage parses SQL (sqlglot, a heavy import): only when an episode starts or ends
    from ..lineage.columns import changed_columns_of
    from ..lineage.consumers import affected_consumers, in_force_consumers

    owner = document.get("owner")
    consumers = in_force_consumers(document, published)
    candidates = sorted(({str(c["team"]) for c in consumers} | set(registered)) - {owner})
    columns = [*((document.get("schema") or {}).get("properties") or {}),
               *(((published or {}).get("schema") or {}).get("properties") or {})]
    wanted = {g: changed_columns_of([{"guarantee": g}], columns) for g in guarantees}
    if not candidates or all(cols is None for cols in wanted.values()) or manifest is None \
            or unique_id is None or (unique_id not in manifest.nodes
                                     and unique_id not in manifest.sources):
        return {g: list(candidates) for g in guarantees}
    reads: dict[str, set[str] | None] = {}  # team → the columns it reads (None: all)
    for verdict in affected_consumers(manifest, unique_id, {**document, "consumers": consumers},
                                      None, (), registered=dict.fromkeys(registered),
                                      compile_sql=compile_sql):
        if verdict.reads_everything or reads.get(verdict.team, set()) is None:
            reads[verdict.team] = None
        else:
            reads[verdict.team] = reads.get(verdict.team, set()) | set(verdict.columns)

    def relies(team: str, cols: frozenset[str] | None) -> bool:
        read = reads.get(team)
        return cols is None or team not in reads or read is None or bool(cols & read)

    return {g: [t for t in candidates if relies(t, cols)] for g, cols in wanted.items()}
