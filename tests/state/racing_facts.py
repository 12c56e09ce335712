"""The rows racing writers leave in `tessera_events` where no lock serialises them (Spark,
BigQuery): each writer read the same state, found none of its ids stored, and inserted.

The rows are built by the operations' and the hook's own event builders
(`state.events`) and rendered by the writer's `state.sql.insert_statements`, so they are
what real racers write; `assert_one_outcome` then asks every reader (the SQL models,
`tessera.status`, the Python folds) and asserts they report one outcome.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tessera_dbt.engine.publish import Decision, fingerprint
from tessera_dbt.runtime.invocation import utc_now
from tessera_dbt.state.events import (
    acknowledgment_event,
    decision_events,
    forced_event,
    proposal_events,
    proposal_id,
    withdrawal_event,
)
from tessera_dbt.state.folds import fold_heads, fold_proposals
from tessera_dbt.state.integrity import REQUIRED
from tessera_dbt.state.sql import insert_statements

COLUMNS = REQUIRED["tessera_events"]


@dataclass(frozen=True)
class Race:
    asset: str
    contested: str   # (a) created twice with other content, then (b) answered twice
    second: str      # (a) the asset's second proposal, then (c) forced and withdrawn
    team: str        # (b) the team that answered approved and blocked at once
    version: str     # (d) published twice with other fingerprints


def racing_rows(head: Mapping[str, Any], earlier_proposals: int, version: str,
                at: dt.datetime) -> tuple[Race, list[dict[str, Any]]]:
    """The facts of four races on the asset of `head` (its published contract_published
    row, payload parsed), the first at `at`."""
    doc = head["payload"]
    asset, published = head["asset"], head["version"]
    required = sorted({c["team"] for c in doc.get("consumers") or ()} - {doc.get("owner")})

    def context(racer: int, seconds: int) -> dict[str, Any]:
        return {"actor": f"racer{racer}", "invocation_id": f"race-{racer}",
                "target_name": "race", "recorded_at": at + dt.timedelta(seconds=seconds)}

    def created(pid: str, proposed: str, racer: int, seconds: int) -> list[dict[str, Any]]:
        body = {"required_acks": required, "breaking_changes": [], "exempt": {},
                "retire": False, "approve_without_consumers": True,
                "expires_at": (at + dt.timedelta(days=30)).isoformat(),
                "contract": {**doc, "version": proposed}}
        return proposal_events(pid, asset, proposed, body, context(racer, seconds),
                               owner=doc.get("owner"), compatibility=doc.get("compatibility"),
                               fingerprint=fingerprint(doc), reason=f"racer {racer}")

    # (a) two racers counted the same earlier proposals: one id, two contents; a third
    # counted one more (it saw the first creation, not the open proposal)
    contested = proposal_id(asset, published, earlier_proposals)
    second = proposal_id(asset, published, earlier_proposals + 1)
    rows = [*created(contested, "3.0.0", 1, 0), *created(contested, "4.0.0", 2, 1),
            *created(second, "5.0.0", 3, 2)]
    # (b) one team answers both ways at the same moment; a team nobody asked answers
    # before, another asked team after the proposal was settled (both ignored)
    team, late = required[0], required[1]
    rows += [acknowledgment_event(contested, asset, "not_asked", "blocked", None, None,
                                  context(4, 5)),
             *(acknowledgment_event(contested, asset, team, answer, f"{answer} by racer {i}",
                                    None, context(i, 10))
               for i, answer in ((4, "approved"), (5, "blocked"))),
             acknowledgment_event(contested, asset, late, "approved", None, None,
                                  context(6, 15))]
    # (c) the owner forces and withdraws the second proposal at the same moment
    rows += [forced_event(second, asset, "urgent", context(6, 20)),
             withdrawal_event(second, asset, None, context(7, 20))]
    # (d) two builds publish one version of two different contracts at the same moment
    for racer, description in ((8, "built by racer 8"), (9, "built by racer 9")):
        contract = {**doc, "description": description}
        rows += decision_events(Decision(asset, "publish", version, "minor", None,
                                         "racing builds", contract), context(racer, 30))
    return Race(asset, contested, second, team, version), rows


DIALECT_MACRO = """
{% macro race_dialect() %}{% do log(tojson(tessera.sql_dialect()), info=true) %}{% endmacro %}
"""


def sql_dialect(project) -> dict[str, Any]:
    """The adapter's `tessera.sql_dialect()`, as dbt hands it to the writer."""
    (project.path / "macros" / "race_dialect.sql").write_text(DIALECT_MACRO)
    result = project.run("run-operation", "race_dialect")
    return json.loads(result.messages[-1])


def write_rows(project, execute: Callable[[str], Any], rows: Sequence[Mapping[str, Any]]
               ) -> None:
    """Insert every row as the writer renders it, without its skip of stored ids (the
    racers each checked before the other wrote)."""
    relation = f"{project.state_schema}.tessera_events"
    for statement in insert_statements(relation, COLUMNS, rows, sql_dialect(project)):
        execute(statement)


READ = ("select event_id, event_type, asset, version, fingerprint, proposal_id, team, status, "
        "reason, actor, recorded_at, payload from {state}.tessera_events")


def stored_rows(project) -> list[dict[str, Any]]:
    names = [c.strip() for c in READ.split(" from ")[0].removeprefix("select ").split(",")]
    return [dict(zip(names, row, strict=True)) for row in project.query(READ)]


def head_row(project, asset_like: str) -> dict[str, Any]:
    [head] = [h for a, h in fold_heads(r for r in stored_rows(project) if r["event_type"] in (
        "contract_published", "contract_retired")).items() if re.fullmatch(
        asset_like.replace("%", ".*"), a)]
    return {**head, "payload": json.loads(head["payload"])}


def racing_rows_on(project, asset_like: str, version: str
                   ) -> tuple[Race, list[dict[str, Any]]]:
    """`racing_rows` on the project's published asset, numbered after its proposals so
    far, starting now."""
    head = head_row(project, asset_like)
    earlier = len({r["proposal_id"] for r in stored_rows(project)
                   if r["event_type"] == "proposal_created" and r["asset"] == head["asset"]})
    return racing_rows(head, earlier, version, utc_now())


def assert_one_outcome(project, capsys, race: Race) -> dict[str, Any]:
    """Every reader reports the same outcome of the races; returns it."""
    capsys.readouterr()
    # a reader: it records the settlements it sees first (proposal_resolved), as every
    # operation and the hook do, so the models show them
    project.run("run-operation", "tessera.status", "--args", "{model: fct_orders}")
    said = capsys.readouterr().out
    told = dict(re.findall(r"proposal (p_[0-9a-f]{16}) → \S+: (\w+)", said))
    rows = stored_rows(project)
    folded = fold_proposals([r for r in rows if r["proposal_id"]], utc_now())
    heads = fold_heads(r for r in rows if r["event_type"] in ("contract_published",
                                                             "contract_retired"))
    pids = (race.contested, race.second)
    python = {
        "status": {p: folded[p].status for p in pids},
        "proposed_version": {p: folded[p].proposed_version for p in pids},
        "reason": {p: folded[p].reason for p in pids},
        "forced": {p: folded[p].forced for p in pids},
        "answers": {t: folded[race.contested].acks.get(t, {}).get("response", "waiting")
                    for t in folded[race.contested].required},
        "received": {p: sum(t in folded[p].acks for t in folded[p].required) for p in pids},
        "head": (heads[race.asset]["version"], heads[race.asset]["fingerprint"]),
        "open": sum(p.asset == race.asset and p.status in ("pending", "approved")
                    for p in folded.values()),
    }
    listed = ", ".join(f"'{p}'" for p in pids)
    proposals = {r[0]: r[1:] for r in project.query(
        "select proposal_id, status, proposed_version, reason, forced, received_acks from "
        f"{{state}}.tessera_proposals where proposal_id in ({listed})")}
    answers = dict(project.query("select team, response from {state}.tessera_acknowledgments "
                                 f"where proposal_id = '{race.contested}'"))
    [head] = project.query("select version, fingerprint from {state}.tessera_contracts "
                           f"where is_current and asset = '{race.asset}'")
    [(current, open_)] = project.query(
        "select current_version, open_proposals from {state}.tessera_contract_status "
        f"where asset = '{race.asset}'")
    sql = {
        "status": {p: proposals[p][0] for p in pids},
        "proposed_version": {p: proposals[p][1] for p in pids},
        "reason": {p: proposals[p][2] for p in pids},
        "forced": {p: bool(proposals[p][3]) for p in pids},
        "answers": answers,
        "received": {p: proposals[p][4] for p in pids},
        "head": tuple(head),
        "open": open_,
    }
    assert sql == python, (sql, python)
    assert current == python["head"][0]
    assert {p: told.get(p) for p in pids} == python["status"], said
    return python


def assert_the_first_writer_wins(outcome: Mapping[str, Any], race: Race, version: str) -> None:
    """What every reader agreed on (assert_one_outcome) is the outcome the rules give."""
    assert outcome["status"] == {race.contested: "rejected", race.second: "withdrawn"}
    assert outcome["reason"][race.contested] == "racer 1"  # the first creation stands
    assert outcome["answers"][race.team] == "blocked" and outcome["open"] == 0
    assert outcome["received"][race.contested] == 1  # the late and the unasked are ignored
    assert outcome["head"][0] == version
