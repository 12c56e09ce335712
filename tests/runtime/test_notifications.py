"""Webhooks (HMAC-signed JSON) and Slack notifications of proposal events, delivered to a
local HTTP server by real dbt runs; a dead endpoint never fails the operation."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import copy_project
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import TARGETS, _proposal_id, op

SECRET = "s3cret"


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, str]] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body),
                              self.headers.get("X-Tessera-Signature", "")))
        _Recorder.stamps.append(self.headers.get("X-Tessera-Timestamp", ""))
        _Recorder.raw.append(body)
        if _Recorder.on_post:
            _Recorder.on_post(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


_Recorder.raw = []
_Recorder.stamps = []
_Recorder.on_post = None


@pytest.fixture
def server():
    _Recorder.received, _Recorder.raw, _Recorder.stamps = [], [], []
    httpd = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    _Recorder.on_post = None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_proposal_events_are_delivered_signed(tmp_path, capsys, server, target, monkeypatch):
    project = copy_project(tmp_path, target, deps=True)
    monkeypatch.setenv("TESSERA_IT_FINANCE_SECRET", "finance-s3cret")
    dead = f"http://127.0.0.1:{_closed_port()}/gone"
    project.edit("dbt_project.yml", "vars:\n",
                 "vars:\n  tessera:\n"
                 f"    webhooks: [{{url: '{server}/all', secret: {SECRET}}}]\n"
                 f"    team_webhooks: {{finance: [{{url: '{server}/finance', "
                 "secret_env: TESSERA_IT_FINANCE_SECRET}]}\n"
                 f"    slack_webhooks: ['{server}/slack', '{dead}']\n")
    project.run("build")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    out = op(project, capsys, "propose", "{model: fct_orders}")
    shown = dead.rsplit("/", 1)[0] + "/***"  # a webhook URL is a secret: redacted
    assert "notification proposal_created to " + shown in out and "failed" in out, \
        "a dead endpoint is reported, the proposal is still made"
    assert dead not in out
    pid = _proposal_id(out)
    for team in ("finance", "marketing", "data_platform"):
        op(project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: {team}, "
                                           "response: approved}")
    project.run("build", "--select", "fct_orders", "--indirect-selection", "cautious")

    signed = [(body, sig, (stamp, raw)) for (path, body, sig), raw, stamp in
              zip(_Recorder.received, _Recorder.raw, _Recorder.stamps, strict=True)
              if path == "/all"]
    assert [b["event"] for b, _, _ in signed] == [
        "proposal_created", "proposal_acknowledged", "proposal_acknowledged",
        "proposal_acknowledged", "proposal_approved", "proposal_published"]
    for body, signature, (stamp, raw) in signed:  # over the timestamp and the body
        expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw,
                            hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert body["proposal_id"] == pid
    finance = [(body, sig, (stamp, raw)) for (path, body, sig), raw, stamp in
               zip(_Recorder.received, _Recorder.raw, _Recorder.stamps, strict=True)
               if path == "/finance"]
    assert [b["event"] for b, _, _ in finance] == [b["event"] for b, _, _ in signed], \
        "a team's webhook gets every event of the proposals it must acknowledge"
    for _, signature, (stamp, raw) in finance:  # signed with the secret named by secret_env
        expected = hmac.new(b"finance-s3cret", stamp.encode() + b"." + raw,
                            hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
    slack = [body for path, body, _ in _Recorder.received if path == "/slack"]
    assert slack and all(set(b) == {"text"} and "tessera:" in b["text"] for b in slack)
    failed = project.query("select count(*) from {state}.tessera_events "
                           "where event_type = 'notification_failed'")
    assert failed[0][0] >= 1


@pytest.mark.dbt
@pytest.mark.postgres
def test_a_notification_is_sent_after_its_event_is_committed(tmp_path, capsys, server):
    """Delivered once the writes are committed and the writer lock released: another
    session already sees the announced proposal, and a slow webhook never holds the lock."""
    project = copy_project(tmp_path, "postgres", deps=True)
    project.edit("dbt_project.yml", "vars:\n",
                 f"vars:\n  tessera:\n    webhooks: [{{url: '{server}/all', secret: {SECRET}}}]\n")
    project.run("build")
    seen = []
    _Recorder.on_post = lambda body: seen.append((body["event"], project.query(
        "select count(*) from {state}.tessera_events where event_type = 'proposal_created' "
        f"and proposal_id = '{body['proposal_id']}'")[0][0]))
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    op(project, capsys, "propose", "{model: fct_orders}")
    assert seen == [("proposal_created", 1)], seen


@pytest.mark.dbt
def test_messages_carry_changes_teams_deadline_reminders_and_are_recorded(
        tmp_path, capsys, server):
    from tessera_dbt.runtime.notify import verify_signature

    project = copy_project(tmp_path, "duckdb", deps=True)
    project.edit("dbt_project.yml", "vars:\n",
                 "vars:\n  tessera:\n"
                 f"    webhooks: [{{url: '{server}/all/token-xyz', secret: {SECRET}}}]\n"
                 f"    team_slack: {{marketing: ['{server}/slack-marketing/T0/B0/XXXX']}}\n"
                 "    proposal_expiry_days: 2\n    reminder_days_before_expiry: 3\n")
    project.run("build")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(project, capsys, "status", "{}")  # reads the state again: no second reminder
    op(project, capsys, "acknowledge",
       f"{{proposal_id: {pid}, team: finance, response: approved}}")

    hooks = [(body, sig, stamp, raw) for (path, body, sig), raw, stamp in
             zip(_Recorder.received, _Recorder.raw, _Recorder.stamps, strict=True)
             if path.startswith("/all")]
    names = [b["event"] for b, *_ in hooks]
    assert names == ["proposal_created", "proposal_reminder", "proposal_acknowledged"], names
    created = hooks[0][0]
    assert created["asset"].endswith(".fct_orders") and created["proposed_version"] == "2.0.0"
    assert {"rule": "COLUMN_REMOVED", "path": "is_paid"}.items() <= \
        created["breaking_changes"][0].items() and created["breaking_changes"][0]["message"]
    assert created["required_teams"] == ["data_platform", "finance", "marketing"]
    assert created["deadline"]
    assert hooks[1][0]["waiting_on"] == ["data_platform", "finance", "marketing"]
    assert hooks[2][0]["waiting_on"] == ["data_platform", "marketing"]
    for _, signature, stamp, raw in hooks:
        assert verify_signature(SECRET, raw, stamp, signature)
        # a replay: the same body and signature, a day later
        assert not verify_signature(SECRET, raw, stamp, signature, now=int(stamp) + 86400)
        # the same body with a fresh timestamp but the old signature
        assert not verify_signature(SECRET, raw, str(int(stamp) + 1), signature)

    slack = [b["text"] for path, b, _ in _Recorder.received if path.startswith("/slack-")]
    assert len(slack) == 3, "marketing's Slack gets the events of proposals it must answer"
    assert "COLUMN_REMOVED at `is_paid`" in slack[0] and "must answer: data_platform, " \
        "finance, marketing" in slack[0] and "deadline" in slack[0]

    assert project.query("select count(*) from {state}.tessera_events "
                         "where event_type = 'proposal_reminder'") == [(1,)]
    sent = project.query("select status, reason from {state}.tessera_events "
                         "where event_type = 'notification_sent' order by recorded_at")
    assert len(sent) == 6 and {s for s, _ in sent} == set(names)
    texts = project.query("select coalesce(reason, '') || coalesce(payload, '') "
                          "from {state}.tessera_events")
    assert not [t for (t,) in texts if "token-xyz" in t or "XXXX" in t], \
        "webhook URLs are redacted in every event"


def test_signature_helpers_and_redaction():
    import doctest

    from tessera_dbt.engine import signature, suggest
    from tessera_dbt.runtime import notify

    for module in (signature, suggest, notify):
        assert doctest.testmod(module).failed == 0
    body = b'{"event": "proposal_created"}'
    stamp = "1767225600"
    good = signature.sign("k", stamp, body)
    assert signature.verify_signature("k", body, stamp, good, now=1767225600 + 10)
    assert not signature.verify_signature("k", body + b" ", stamp, good, now=1767225600)
    assert not signature.verify_signature("other", body, stamp, good, now=1767225600)
    assert not signature.verify_signature("k", body, None, good)
    assert notify.redact("http://127.0.0.1:8080/hook/secret") == "http://127.0.0.1:8080/***"


def test_drift_is_notified_to_the_owner_and_consumer_teams(server):
    """A drift_detected event reaches the webhooks of the asset's owner team and of each
    consumer team (issue 27), with the line naming the columns."""
    import datetime as dt

    from tessera_dbt.engine.served import Drift
    from tessera_dbt.runtime.drift import teams_of
    from tessera_dbt.runtime.notify import deliver
    from tessera_dbt.state.events import drift_event

    contract = {"asset": "db.main.fct_orders", "owner": "commerce",
                "consumers": [{"team": "finance", "source": "declared"}]}
    context = {"actor": "ci", "invocation_id": "i1", "target_name": "prod",
               "recorded_at": dt.datetime(2026, 1, 1)}
    found = drift_event(Drift("db.main.fct_orders", dropped=("is_paid",)), "1.0.0",
                        teams_of(contract), context)
    settings = {"team_webhooks": {team: [{"url": f"{server}/{team}"}]
                                  for team in ("commerce", "finance", "marketing")}}
    deliveries = deliver(settings, [found])
    assert [d.error for d in deliveries] == [None, None]
    assert sorted(path for path, _, _ in _Recorder.received) == ["/commerce", "/finance"]
    body = _Recorder.received[0][1]
    assert body["event"] == "drift_detected" and body["asset"] == "db.main.fct_orders"
    assert "dropped is_paid" in json.dumps(body)
