"""The BI models and the Python folds read the same event log the same way: the current
version of each asset (`tessera_contracts.is_current` against `state.folds.fold_heads`),
ties of recorded_at broken by event id on both sides, retirements included; and each
proposal's status and each required team's answer (`tessera_proposals`,
`tessera_acknowledgments` against `state.folds.fold_proposals`), counting only the
answers, withdrawals and forcings of members, never a proposal_resolved row."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import duckdb
import jinja2
import pytest

from tessera_dbt.engine.membership import Membership
from tessera_dbt.engine.vocabulary import EVENT_TYPES
from tessera_dbt.state.events import (
    acknowledgment_event,
    event,
    forced_event,
    membership_events,
    proposal_events,
    withdrawal_event,
)
from tessera_dbt.state.folds import first_rows, fold_heads, fold_proposals
from tessera_dbt.state.records import EVENT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]


class _Tessera:
    @staticmethod
    def word(kind: str, name: str) -> str:
        return f"'{name}'"

    @staticmethod
    def setting(name: str) -> str:
        return "tessera"

    @staticmethod
    def current_timestamp_utc() -> str:
        return "cast(now() at time zone 'UTC' as timestamp)"


class _Dbt:
    """dbt's cross-database macros, as DuckDB spells them."""

    @staticmethod
    def concat(fields: list[str]) -> str:
        return " || ".join(fields)

    @staticmethod
    def type_string() -> str:
        return "varchar"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"


def _render(model: str, relations: dict[str, str]) -> str:
    path = next((ROOT / "models").rglob(f"{model}.sql"))
    env = jinja2.Environment()
    return env.from_string(path.read_text(encoding="utf-8")).render(
        ref=lambda name: relations.get(name, name), config=lambda **_: "", tessera=_Tessera(),
        dbt=_Dbt(), target={"type": "duckdb"})


def _log(seed: int) -> list[dict]:
    rnd = random.Random(seed)
    base = dt.datetime(2024, 1, 1)
    rows = []
    for _ in range(60):
        asset = rnd.choice(["a", "b", "c"])
        kind = "contract_retired" if rnd.random() < 0.15 else "contract_published"
        version = rnd.choice(["1.9.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "1.0.0"])
        # few distinct timestamps: many ties, broken by the event id
        at = base + dt.timedelta(minutes=rnd.randrange(4))
        rows.append({"event_id": f"{rnd.getrandbits(64):016x}", "event_type": kind,
                     "asset": asset, "version": version if kind != "contract_retired" else None,
                     "recorded_at": at})
    return rows


@pytest.mark.parametrize("seed", range(20))
def test_tessera_contracts_is_current_equals_the_python_fold(seed):
    assert "contract_retired" in EVENT_TYPES
    rows = _log(seed)
    con = duckdb.connect()
    con.execute("create table events (event_id varchar, event_type varchar, asset varchar, "
                "version varchar, compatibility varchar, owner varchar, recorded_at timestamp, "
                "proposal_id varchar, reason varchar, invocation_id varchar, "
                "fingerprint varchar, payload varchar)")
    con.executemany("insert into events (event_id, event_type, asset, version, recorded_at) "
                    "values (?, ?, ?, ?, ?)",
                    [(r["event_id"], r["event_type"], r["asset"], r["version"],
                      r["recorded_at"]) for r in rows])
    sql = _render("tessera_contracts", {"stg_tessera__events": "events"})
    current = con.execute(f"select asset, version from ({sql}) where is_current").fetchall()
    heads = fold_heads(rows)
    assert sorted(current) == sorted((a, h["version"]) for a, h in heads.items())
    # every current row is the head's own event, not just the same version
    ids = con.execute(f"select count(*) from ({sql}) where is_current").fetchone()[0]
    assert ids == len(heads)


# --- proposals ----------------------------------------------------------------------------

MEMBERS = Membership({"a": ("u1",), "b": ("u2",), "c": ("u1", "u3"), "own": ("o1",)},
                     ("adm",))
ACTORS = ("u1", "u2", "u3", "o1", "adm", "mallory")


def _proposal_log(seed: int) -> tuple[list[dict], Membership]:
    """Three proposals and random answers, withdrawals, forcings and forged settlements by
    members and others, each at its own second."""
    rnd = random.Random(seed)
    membership = rnd.choice([MEMBERS, Membership()])
    clock = [dt.datetime(2026, 1, 1)]

    def context(actor: str = "deployer") -> dict:
        clock[0] += dt.timedelta(seconds=1)
        return {"actor": actor, "invocation_id": f"i{clock[0].second}{clock[0].minute}",
                "target_name": "prod", "recorded_at": clock[0]}

    rows = membership_events(membership, context()) if membership.configured \
        or rnd.random() < 0.5 else []
    for i in range(3):
        required = sorted(rnd.sample(["a", "b", "c"], rnd.randrange(4)))
        rows += proposal_events(f"p{i}", f"asset{i}", "2.0.0", {
            "required_acks": required, "breaking_changes": [], "expires_at": "2099-01-01",
            "approve_without_consumers": rnd.random() < 0.8, "contract": {"owner": "own"}},
            context(), owner="own",
            fingerprint="f", reason="r")
    for _ in range(rnd.randrange(4, 16)):
        pid, actor, roll = f"p{rnd.randrange(3)}", rnd.choice(ACTORS), rnd.random()
        if roll < 0.7:
            rows.append(acknowledgment_event(
                pid, "x", rnd.choice(["a", "b", "c", "z"]),
                rnd.choice(["approved", "approved", "migrating", "blocked"]),
                rnd.choice([None, "ok"]), None, context(actor)))
        elif roll < 0.8:
            rows.append(withdrawal_event(pid, "x", None, context(actor)))
        elif roll < 0.9:
            rows.append(forced_event(pid, "x", "hurry", context(actor)))
        else:  # a hand-made settlement, as a writer with INSERT could add
            rows.append(event("proposal_resolved", **context("mallory"), proposal_id=pid,
                              status=rnd.choice(["approved", "rejected"]), reason="forged"))
    return [{**r, "payload": json.dumps(r.get("payload") or {})} for r in rows], membership


@pytest.mark.parametrize("seed", range(60))
def test_tessera_proposals_and_acknowledgments_equal_the_python_fold(seed):
    rows, membership = _proposal_log(seed)
    stored = first_rows(rows)  # one row per event id, as stg_tessera__events
    con = duckdb.connect()
    con.execute("create table events (" + ", ".join(
        f"{c} {'timestamp' if c == 'recorded_at' else 'varchar'}" for c in EVENT_COLUMNS) +
        ", written_by varchar)")
    con.executemany(f"insert into events ({', '.join(EVENT_COLUMNS)}) "
                    f"values ({', '.join('?' for _ in EVENT_COLUMNS)})",
                    [[r.get(c) for c in EVENT_COLUMNS] for r in stored])
    for model in ("tessera_memberships", "int_tessera__authority", "int_tessera__settlements",
                  "tessera_acknowledgments", "tessera_proposals"):
        sql = _render(model, {"stg_tessera__events": "events"})
        con.execute(f"create view {model} as {sql}")
    folded = fold_proposals(rows, dt.datetime(2026, 6, 1), membership)
    statuses = dict(con.execute("select proposal_id, status from tessera_proposals").fetchall())
    assert statuses == {pid: p.status for pid, p in folded.items()}
    answers = {(pid, team): response for pid, team, response in con.execute(
        "select proposal_id, team, response from tessera_acknowledgments").fetchall()}
    for pid, proposal in folded.items():
        for team in proposal.required:
            expected = proposal.acks.get(team, {}).get("response", "waiting")
            assert answers[(pid, team)] == expected, (pid, team)
