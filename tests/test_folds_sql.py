"""The BI models and the Python folds read the same event log the same way: the current
version of each asset (`tessera_contracts.is_current` against `state.folds.fold_heads`),
ties of recorded_at broken by event id on both sides, retirements included."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import jinja2
import pytest

from tessera_dbt.engine.vocabulary import EVENT_TYPES
from tessera_dbt.state.folds import fold_heads

ROOT = Path(__file__).resolve().parents[1]


class _Tessera:
    @staticmethod
    def word(kind: str, name: str) -> str:
        return f"'{name}'"

    @staticmethod
    def setting(name: str) -> str:
        return "tessera"


def _render(model: str, relations: dict[str, str]) -> str:
    text = (ROOT / "models" / "marts" / f"{model}.sql").read_text(encoding="utf-8")
    env = jinja2.Environment()
    return env.from_string(text).render(
        ref=lambda name: relations[name], config=lambda **_: "", tessera=_Tessera())


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
