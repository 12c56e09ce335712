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

from .conftest import copy_project
from .test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from .test_proposals import TARGETS, _proposal_id, op

SECRET = "s3cret"


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, str]] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body),
                              self.headers.get("X-Tessera-Signature", "")))
        _Recorder.raw.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


_Recorder.raw = []


@pytest.fixture
def server():
    _Recorder.received, _Recorder.raw = [], []
    httpd = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.dbt
@pytest.mark.parametrize("target", TARGETS)
def test_proposal_events_are_delivered_signed(tmp_path, capsys, server, target, monkeypatch):
    project = copy_project(tmp_path, target)
    monkeypatch.setenv("TESSERA_IT_FINANCE_SECRET", "finance-s3cret")
    dead = f"http://127.0.0.1:{_closed_port()}/gone"
    project.edit("dbt_project.yml", "vars:\n",
                 "vars:\n  tessera:\n"
                 f"    webhooks: [{{url: '{server}/all', secret: {SECRET}}}]\n"
                 f"    team_webhooks: {{finance: [{{url: '{server}/finance', "
                 "secret_env: TESSERA_IT_FINANCE_SECRET}]}\n"
                 f"    slack_webhooks: ['{server}/slack', '{dead}']\n")
    project.run("deps")
    project.run("build")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    out = op(project, capsys, "propose", "{model: fct_orders}")
    assert "notification proposal_created to " + dead in out and "failed" in out, \
        "a dead endpoint is reported, the proposal is still made"
    pid = _proposal_id(out)
    for team in ("finance", "marketing", "data_platform"):
        op(project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: {team}, "
                                           "response: approved}")
    project.run("build", "--select", "fct_orders", "--indirect-selection", "cautious")

    signed = [(body, sig, raw) for (path, body, sig), raw in
              zip(_Recorder.received, _Recorder.raw, strict=True) if path == "/all"]
    assert [b["event"] for b, _, _ in signed] == [
        "proposal_created", "proposal_acknowledged", "proposal_acknowledged",
        "proposal_acknowledged", "proposal_approved", "proposal_published"]
    for body, signature, raw in signed:
        expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert body["proposal_id"] == pid
    finance = [(body, sig, raw) for (path, body, sig), raw in
               zip(_Recorder.received, _Recorder.raw, strict=True) if path == "/finance"]
    assert [b["event"] for b, _, _ in finance] == [b["event"] for b, _, _ in signed], \
        "a team's webhook gets every event of the proposals it must acknowledge"
    for _, signature, raw in finance:  # signed with the secret named by secret_env
        expected = hmac.new(b"finance-s3cret", raw, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
    slack = [body for path, body, _ in _Recorder.received if path == "/slack"]
    assert slack and all(set(b) == {"text"} and "tessera:" in b["text"] for b in slack)
    failed = project.query("select count(*) from {state}.tessera_events "
                           "where event_type = 'notification_failed'")
    assert failed[0][0] >= 1
