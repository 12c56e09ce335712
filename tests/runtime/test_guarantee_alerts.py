"""Alerts that reach teams (issue 24): a guarantee that fails in a run opens a failure
episode (`guarantee_failed`), told once to the asset's owner team and to the consumer teams
that rely on it, one message per team and run; it is not told again while it keeps failing,
and its recovery (`guarantee_recovered`) is told once. Pure tests of the episode fold, the
teams and the messages, then a real dbt run on DuckDB with a receiver on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import doctest
import json

import pytest

from tessera_dbt.engine.membership import Membership
from tessera_dbt.render import alert_messages as messages_module
from tessera_dbt.render.alert_messages import alert_messages, alert_text
from tessera_dbt.runtime.notify import deliver_alerts, verify_signature
from tessera_dbt.state import episodes as episodes_module
from tessera_dbt.state.episodes import (
    fold_episodes,
    relying_teams,
    run_verdicts,
    transitions,
)
from tessera_dbt.state.events import guarantee_failed_event, guarantee_recovered_event
from tessera_dbt.state.records import EVENT_COLUMNS
from tessera_dbt.state.verify import verify_events
from tests.conftest import copy_project
from tests.runtime.test_notifications import SECRET, _Recorder, server  # noqa: F401 (the fixture)

ASSET = "db.main.fct_orders"
CONTEXT = {"actor": "ci", "invocation_id": "inv-1", "target_name": "prod",
           "recorded_at": dt.datetime(2026, 3, 1, 12, 0)}


def _row(status: str, guarantee: str = "nullability.amount", asset: str | None = ASSET,
         test: str = "not_null_fct_orders_amount") -> dict:
    return {"asset": asset, "guarantee": guarantee, "test_unique_id": f"test.p.{test}",
            "test_name": test, "status": status, "failures": 3 if status == "fail" else 0,
            "message": None}


# the columns StateStore.events reads back, the payload as JSON text
READ_BACK = ("event_id", "event_type", "asset", "version", "fingerprint", "proposal_id",
             "team", "status", "reason", "actor", "recorded_at", "payload")


def _run(log: list[dict], audit: list[dict], invocation: str) -> list[dict]:
    """One run of the hook's step, purely: the events it records given the log."""
    log = [{c: json.dumps(r[c]) if c == "payload" else r.get(c) for c in READ_BACK}
           for r in log]
    change = transitions(fold_episodes(log), run_verdicts(audit))
    context = {**CONTEXT, "invocation_id": invocation}
    out = [guarantee_recovered_event(e.asset, e.guarantee, e.number, "1.0.0", e.owner,
                                     e.teams, e.failed_event_id, e.failed_at, v.checks,
                                     context) for e, v in change.ended]
    out += [guarantee_failed_event(v.asset, v.guarantee, n, "1.0.0", "commerce", ["finance"],
                                   v.checks, context) for v, n in change.started]
    return out


def test_docstring_examples():
    for module in (episodes_module, messages_module):
        assert doctest.testmod(module).failed == 0


def test_an_episode_opens_once_closes_once_and_a_new_one_is_numbered_next():
    log: list[dict] = []
    first = _run(log, [_row("fail")], "i1")
    assert [(e["event_type"], json.loads(json.dumps(e["payload"]))["episode"]) for e in first] \
        == [("guarantee_failed", 1)]
    assert first[0]["payload"]["notify_teams"] == ["commerce", "finance"]
    log += first
    assert _run(log, [_row("fail")], "i2") == [], "still failing: nothing new"
    assert _run(log, [_row("error")], "i3") == [], "an error is a failure too"
    assert _run(log, [_row("skipped")], "i4") == [], "skipped says nothing"
    recovered = _run(log, [_row("pass")], "i5")
    assert [e["event_type"] for e in recovered] == ["guarantee_recovered"]
    assert recovered[0]["payload"]["failed_event_id"] == first[0]["event_id"]
    assert recovered[0]["payload"]["notify_teams"] == ["commerce", "finance"]
    assert recovered[0]["owner"] == "commerce"
    log += recovered
    assert _run(log, [_row("pass")], "i6") == [], "recovery is told once"
    again = _run(log, [_row("fail")], "i7")
    assert [e["payload"]["episode"] for e in again] == [2]
    assert again[0]["event_id"] != first[0]["event_id"]


def test_the_same_failure_seen_twice_is_one_event():
    """A retried hook, `tessera record` of the same run, or two writers racing on the same
    log build the same episode, hence the same id (the writer skips it)."""
    a = _run([], [_row("fail")], "i1")
    b = _run([], [_row("fail")], "i2")
    assert [e["event_id"] for e in a] == [e["event_id"] for e in b]


def test_a_warning_holds_and_any_failing_check_fails_the_guarantee():
    log = _run([], [_row("fail")], "i1")
    assert [e["event_type"] for e in _run(log, [_row("warn")], "i2")] == \
        ["guarantee_recovered"], "a warning is advisory: the guarantee holds"
    assert _run([], [_row("warn")], "i1") == [], "a warning opens nothing"
    two = [_row("pass"), _row("fail", test="custom_amount_check")]
    assert run_verdicts(two)[(ASSET, "nullability.amount")].status == "failed"
    # rows of no asset speak for no contract; a test of no guarantee goes by its name
    verdicts = run_verdicts([_row("fail", asset=None), _row("fail", guarantee=None)])
    assert list(verdicts) == [(ASSET, "not_null_fct_orders_amount")]


def test_episode_ids_are_verified_and_an_edited_guarantee_is_seen():
    rows = _run([], [_row("fail")], "i1")
    stored = [{c: (json.dumps(r[c]) if c == "payload" else r.get(c)) for c in EVENT_COLUMNS}
              for r in rows]
    assert not [f for f in verify_events(stored, Membership()).findings if f.kind == "id"]
    stored[0]["reason"] = "nullability.order_id"
    assert any(f.kind == "id" for f in verify_events(stored, Membership()).findings)


def test_relying_teams_without_lineage_are_every_consumer_but_the_owner():
    doc = {"asset": ASSET, "owner": "commerce",
           "schema": {"properties": {"amount": {}, "status": {}}},
           "consumers": [{"team": "finance", "source": "declared"},
                         {"team": "commerce", "source": "downstream"}]}
    published = {**doc, "consumers": [{"team": "risk", "source": "declared"}]}
    teams = relying_teams(None, None, doc, ["nullability.amount", "freshness"],
                          {"ml": None}, published)
    assert teams == {"nullability.amount": ["finance", "ml", "risk"],
                     "freshness": ["finance", "ml", "risk"]}


def _failed(guarantee: str, teams: list[str], invocation: str = "inv-1") -> dict:
    consumers = [t for t in teams if t != "commerce"]
    return guarantee_failed_event(ASSET, guarantee, 1, "1.0.0", "commerce", consumers,
                                  [_row("fail", guarantee)],
                                  {**CONTEXT, "invocation_id": invocation})


def test_one_message_per_team_and_run_listing_its_guarantees():
    amount = _failed("nullability.amount", ["commerce", "finance"])
    status = _failed("accepted_values.status", ["commerce", "finance", "marketing"])
    recovered = guarantee_recovered_event(ASSET, "unique.order_id", 1, "1.0.0", "commerce",
                                          ["commerce", "data_platform"], "e0",
                                          dt.datetime(2026, 2, 28), [_row("pass")], CONTEXT)
    unrelated = {"event_type": "proposal_created", "event_id": "x", "invocation_id": "inv-1"}
    out = {m.team: m.body for m in alert_messages([amount, status, recovered, unrelated])}
    assert sorted(out, key=str) == [None, "commerce", "data_platform", "finance", "marketing"]
    assert [f["guarantee"] for f in out["finance"]["failed"]] == [
        "accepted_values.status", "nullability.amount"]
    assert out["finance"]["recovered"] == []
    assert {f["role"] for f in out["finance"]["failed"]} == {"consumer"}
    assert {f["role"] for f in out["commerce"]["failed"]} == {"owner"}
    assert [f["guarantee"] for f in out["data_platform"]["recovered"]] == ["unique.order_id"]
    assert out["data_platform"]["failed"] == []
    assert len(out[None]["failed"]) == 2 and len(out[None]["recovered"]) == 1
    check = out["finance"]["failed"][1]["checks"][0]
    assert check["test_name"] == "not_null_fct_orders_amount" and check["failures"] == 3
    text = alert_text(out["finance"])
    assert text.splitlines()[0] == ("tessera: guarantee alert for team finance · 2 failing, "
                                    "0 recovered · run inv-1 (target prod)")
    assert "✗ db.main.fct_orders 1.0.0 · nullability.amount failing (owner commerce; your " \
        "team consumes it): not_null_fct_orders_amount fail, 3 rows" in text
    assert "✓ db.main.fct_orders 1.0.0 · unique.order_id recovered (owner commerce; your " \
        "team owns it, failing since 2026-02-28 00:00:00)" in alert_text(out["commerce"])
    # two runs delivered together stay two messages per team
    later = _failed("nullability.amount", ["commerce", "finance"], "inv-2")
    assert len([m for m in alert_messages([amount, later]) if m.team == "finance"]) == 2


def test_messages_go_to_their_teams_channels_signed(server):  # noqa: F811
    amount = _failed("nullability.amount", ["commerce", "finance"])
    settings = {"webhooks": [{"url": f"{server}/all", "secret": SECRET}],
                "team_webhooks": {t: [{"url": f"{server}/{t}", "secret": SECRET}]
                                  for t in ("commerce", "finance", "marketing")},
                "team_slack": {"finance": f"{server}/slack-finance"}}
    deliveries = deliver_alerts(settings, alert_messages([amount]))
    assert [d.error for d in deliveries] == [None] * 4
    assert sorted(p for p, _, _ in _Recorder.received) == [
        "/all", "/commerce", "/finance", "/slack-finance"]
    for (path, body, signature), raw, stamp in zip(_Recorder.received, _Recorder.raw,
                                                   _Recorder.stamps, strict=True):
        if path == "/slack-finance":
            assert set(body) == {"text"} and "nullability.amount" in body["text"]
            continue
        assert verify_signature(SECRET, raw, stamp, signature)
        assert body["event"] == "guarantee_alert"
        assert body["team"] == (None if path == "/all" else path[1:])


# --- a real dbt run ---------------------------------------------------------------------

NULL_AMOUNT = ("cast(coalesce(order_items.amount, 0) as numeric(12, 2)) as amount",
               "cast(case when orders.order_id = 1 then null else coalesce(order_items.amount, "
               "0) end as numeric(12, 2)) as amount")
UNKNOWN_STATUS = ("cast(orders.status as {{ tessera_it_type('varchar') }}) as status",
                  "cast(case when orders.order_id = 1 then 'lost' else orders.status end as "
                  "{{ tessera_it_type('varchar') }}) as status")
TEAMS = ("commerce", "finance", "marketing", "data_platform")


def _received(path: str) -> list[tuple[dict, str, str, bytes]]:
    return [(body, sig, stamp, raw) for (p, body, sig), raw, stamp in
            zip(_Recorder.received, _Recorder.raw, _Recorder.stamps, strict=True) if p == path]


@pytest.mark.dbt
def test_failing_guarantees_reach_owner_and_relying_consumers_once_per_episode(
        tmp_path, server):  # noqa: F811
    """fct_orders (owner commerce) loses `amount` and `status` on one order: its not_null
    and accepted_values tests fail. Commerce, finance (declared, reads every column) and
    data_platform (an exposure: every column) each get one message listing both; marketing
    reads neither column (column lineage) and hears nothing. A second failing run tells
    nobody; once the model is fixed each of them gets one recovery message."""
    project = copy_project(tmp_path, "duckdb", deps=True)
    with project.settings(
            webhooks=[{"url": f"{server}/all", "secret": SECRET}],
            team_webhooks={t: [{"url": f"{server}/{t}", "secret": SECRET}] for t in TEAMS},
            team_slack={"finance": [f"{server}/slack-finance"]}):
        project.run("build")
        assert _Recorder.received == [], "every guarantee holds: nothing to tell"

        project.edit("models/commerce/fct_orders.sql", *NULL_AMOUNT)
        project.edit("models/commerce/fct_orders.sql", *UNKNOWN_STATUS)
        project.run("build", "--select", "fct_orders", expect_success=False)
        for team in ("commerce", "finance", "data_platform"):
            got = _received(f"/{team}")
            assert len(got) == 1, f"{team}: one message for the run, got {len(got)}"
            body, signature, stamp, raw = got[0]
            assert verify_signature(SECRET, raw, stamp, signature)
            assert body["event"] == "guarantee_alert" and body["team"] == team
            assert [(f["asset"].rsplit(".", 1)[-1], f["guarantee"]) for f in body["failed"]] \
                == [("fct_orders", "accepted_values.status"),
                    ("fct_orders", "nullability.amount")]
            assert {f["role"] for f in body["failed"]} == \
                {"owner" if team == "commerce" else "consumer"}
            assert body["recovered"] == []
        assert _received("/marketing") == [], "marketing reads neither amount nor status"
        assert len(_received("/all")) == 1
        slack = _received("/slack-finance")
        assert len(slack) == 1 and "nullability.amount failing" in slack[0][0]["text"]
        failing = {f["guarantee"]: f for f in _received("/commerce")[0][0]["failed"]}
        assert failing["nullability.amount"]["checks"][0]["status"] == "fail"
        assert failing["nullability.amount"]["checks"][0]["failures"] == 1

        told = len(_Recorder.received)
        project.run("build", "--select", "fct_orders", expect_success=False)
        assert len(_Recorder.received) == told, "still failing: nobody is told again"

        project.edit("models/commerce/fct_orders.sql", NULL_AMOUNT[1], NULL_AMOUNT[0])
        project.edit("models/commerce/fct_orders.sql", UNKNOWN_STATUS[1], UNKNOWN_STATUS[0])
        project.run("build", "--select", "fct_orders")
        for team in ("commerce", "finance", "data_platform"):
            got = _received(f"/{team}")
            assert len(got) == 2, f"{team}: one recovery message"
            body, signature, stamp, raw = got[1]
            assert verify_signature(SECRET, raw, stamp, signature)
            assert body["failed"] == []
            assert [f["guarantee"] for f in body["recovered"]] == [
                "accepted_values.status", "nullability.amount"]
            assert {f["role"] for f in body["recovered"]} == \
                {"owner" if team == "commerce" else "consumer"}
            assert all(f["failing_since"] for f in body["recovered"])
        assert _received("/marketing") == []

        told = len(_Recorder.received)
        project.run("build", "--select", "fct_orders")
        assert len(_Recorder.received) == told, "the recovery is told once"

    episodes = project.query(
        "select event_type, reason, count(*) from {state}.tessera_events where event_type "
        "in ('guarantee_failed', 'guarantee_recovered') group by 1, 2 order by 1, 2")
    assert episodes == [("guarantee_failed", "accepted_values.status", 1),
                        ("guarantee_failed", "nullability.amount", 1),
                        ("guarantee_recovered", "accepted_values.status", 1),
                        ("guarantee_recovered", "nullability.amount", 1)]
    sent = project.query("select team, count(*) from {state}.tessera_events where "
                         "event_type = 'notification_sent' and status = 'guarantee_alert' "
                         "group by 1 order by 1")
    assert sent == [("commerce", 2), ("data_platform", 2), ("finance", 4), (None, 2)]
