"""`tessera export --format odcs` and `tessera import --odcs` on integration_tests built
with real dbt on DuckDB: every published contract (and the open proposal) is an ODCS
v3.1.0 document that the standard's schema accepts, and reads back as the contract
tessera published."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tessera_dbt.artifacts.odcs_files import odcs_errors, read_odcs
from tessera_dbt.engine.compat import classify, same_document
from tests.conftest import clone_built, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def exported(request, tmp_path_factory):
    """integration_tests built once, with a pending proposal answered by one team, then
    exported both ways."""
    tmp = tmp_path_factory.mktemp("odcs")
    project = clone_built(request, tmp, "duckdb")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    project.run("run-operation", "tessera.propose", "--args",
                "{model: fct_orders, reason: is_paid moves to fct_payments}")
    (pid,) = project.query("select proposal_id from {state}.tessera_proposals "
                           "where status = 'pending'")[0]
    project.run("run-operation", "tessera.acknowledge", "--args",
                f"{{proposal_id: {pid}, team: finance, response: approved, "
                "comment: 'fine by us'}")
    from tessera_dbt.cli import main

    where = ["--project-dir", str(project.path), "--profiles-dir", str(project.path)]
    with environment(project.env):
        assert main(["export", "--out", str(tmp / "odcs"), "--format", "odcs", *where]) == 0
        assert main(["export", "--out", str(tmp / "export"), *where]) == 0
    histories = {}
    for path in (tmp / "export" / "contracts").glob("*.json"):
        body = json.loads(path.read_text())
        histories[body["asset"]] = body["versions"]
    return project, tmp, pid, histories


def test_every_published_contract_is_a_valid_odcs_document_that_reads_back_equal(exported,
                                                                                  cli):
    project, tmp, _, histories = exported
    files = sorted((tmp / "odcs").glob("*.odcs.yaml"))
    published = [f for f in files if ".proposed-" not in f.name]
    assert len(histories) >= 10 and len(published) == len(histories)
    seen = set()
    for path in published:
        odcs = yaml.safe_load(path.read_text())
        assert odcs_errors(odcs) == [], path.name
        assert odcs["apiVersion"] == "v3.1.0" and odcs["status"] == "active"
        document = read_odcs(str(path))
        head = histories[document["asset"]][-1]
        assert document == head, path.name
        assert same_document(head, document) and not classify(head, document).changes
        # through the command as a user would run it
        printed = yaml.safe_load(cli("import", "--odcs", path).out)
        assert printed == head
        seen.add(document["asset"])
    assert seen == set(histories)
    assert oct((tmp / "odcs").stat().st_mode & 0o777) == "0o755"


def test_the_odcs_documents_say_team_types_keys_quality_and_history(exported):
    project, tmp, pid, _ = exported
    odcs = yaml.safe_load((tmp / "odcs" / "warehouse.main.fct_orders.odcs.yaml").read_text())
    assert odcs["team"] == {"name": "commerce"} and odcs["version"] == "1.0.0"
    props = {p["name"]: p for p in odcs["schema"][0]["properties"]}
    assert props["order_id"]["primaryKey"] is True and props["order_id"]["required"] is True
    assert props["order_date"]["logicalType"] == "date"
    assert props["amount"]["physicalType"] == "numeric(12,2)"
    assert props["status"]["quality"][0]["arguments"]["validValues"] == [
        "placed", "shipped", "completed", "returned"]
    custom = {c["property"]: c["value"] for c in odcs["customProperties"]}
    assert custom["tesseraCompatibility"] == "backward"
    assert custom["tesseraVersions"] == ["1.0.0"]
    (proposal,) = custom["tesseraProposals"]
    assert proposal["proposalId"] == pid and proposal["status"] == "pending"
    assert proposal["reason"] == "is_paid moves to fct_payments"
    assert "COLUMN_REMOVED" in proposal["breakingChanges"]
    answers = {a["team"]: a for a in proposal["acknowledgments"]}
    assert answers["finance"]["response"] == "approved"
    assert answers["finance"]["comment"] == "fine by us"
    assert answers["marketing"]["response"] == "waiting"


def test_the_open_proposal_is_exported_as_proposed(exported):
    project, tmp, pid, histories = exported
    (path,) = (tmp / "odcs").glob("warehouse.main.fct_orders.proposed-*.odcs.yaml")
    odcs = yaml.safe_load(path.read_text())
    assert odcs_errors(odcs) == [] and odcs["status"] == "proposed"
    assert odcs["version"] == "2.0.0"
    document = read_odcs(str(path))
    assert "is_paid" not in document["schema"]["properties"]
    report = classify(histories["warehouse.main.fct_orders"][-1], document)
    assert [c.rule for c in report.breaking_changes] == ["COLUMN_REMOVED"]


def test_export_refuses_an_unknown_format_and_a_foreign_directory(exported, cli, tmp_path):
    project, tmp, _, _ = exported
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    (tmp_path / "notes.txt").write_text("mine")
    with environment(project.env):
        bad = cli("export", "--out", tmp_path / "x", "--format", "avro", *where, expect=2)
        foreign = cli("export", "--out", tmp_path, "--format", "odcs", *where, expect=2)
        again = cli("export", "--out", tmp / "odcs", "--format", "odcs", *where)
    assert "use one of: tessera, odcs" in bad.err
    assert "not an ODCS export" in foreign.err and (tmp_path / "notes.txt").exists()
    assert "ODCS v3.1.0 document(s)" in again.out


EXTERNAL = """\
apiVersion: v3.1.0
kind: DataContract
id: warehouse.partners.partner_orders
name: partner_orders
version: 1.0.0
status: active
team:
  name: data_platform
schema:
  - name: partner_orders
    physicalType: table
    properties:
      - name: order_id
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
      - name: channel
        logicalType: string
        physicalType: varchar
customProperties:
  - property: compatibility
    value: backward
  - property: consumers
    value: [{team: finance, purpose: partner revenue}]
"""


def _current(project, asset):
    return project.query("select version from {state}.tessera_contracts "
                         f"where is_current and asset = '{asset}'")


def test_a_hand_written_contract_publishes_an_external_asset_under_the_same_rules(
        exported, cli, tmp_path):
    project, tmp, _, _ = exported
    asset = "warehouse.partners.partner_orders"
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    path = tmp_path / "partner_orders.odcs.yaml"
    path.write_text(EXTERNAL)
    with environment(project.env):
        first = cli("publish", path, *where)
        assert f"Published {asset} 1.0.0" in first.out
        assert _current(project, asset) == [("1.0.0",)]
        assert "already published" in cli("publish", path, *where).out

        # a breaking edit: refused until a proposal is approved
        path.write_text(EXTERNAL.replace(
            "      - name: channel\n        logicalType: string\n        physicalType: "
            "varchar\n", ""))
        held = cli("publish", path, *where)
        assert "COLUMN_REMOVED" in held.out and "needs an approved proposal" in held.out
        assert f"tessera publish {path} --propose" in held.out
        assert _current(project, asset) == [("1.0.0",)]
        proposed = cli("publish", path, "--propose", "--reason", "channel is gone", *where)
        assert f"Proposed {asset} 1.0.0 → 2.0.0" in proposed.out, proposed.out
        assert "finance" in proposed.out
        pid = re.search(r"\b(p_[0-9a-f]{16})\b", proposed.out).group(1)
        waiting = cli("publish", path, *where)
        assert pid in waiting.out and _current(project, asset) == [("1.0.0",)]
        cli("acknowledge", "--proposal-id", pid, "--team", "finance", "--response",
            "approved", *where)
        published = cli("publish", path, *where)
        assert f"Published {asset} 2.0.0" in published.out, published.out
        assert _current(project, asset) == [("2.0.0",)]

        # a tessera contract document works the same: a compatible edit is a minor bump
        document = read_odcs(str(path))
        document["schema"]["properties"]["note"] = {"type": ["string", "null"],
                                                    "x-data-type": "varchar"}
        tessera_yaml = tmp_path / "partner_orders.yml"
        tessera_yaml.write_text(yaml.safe_dump(document, sort_keys=False))
        minor = cli("publish", tessera_yaml, *where)
        assert f"Published {asset} 2.1.0" in minor.out, minor.out

        # an asset the project builds is the hook's to publish
        built = cli("publish", tmp / "odcs" / "warehouse.main.fct_orders.odcs.yaml", *where,
                    expect=2)
        assert "is built by this dbt project" in built.err
        bad = tmp_path / "bad.odcs.yaml"
        bad.write_text(EXTERNAL.replace("status: active", "status: 3"))
        assert cli("publish", bad, *where, expect=2).err.count("\n") == 1
