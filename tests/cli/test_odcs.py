"""ODCS v3.1.0 in and out (docs/contracts.md, "ODCS"): every contract document converts to
an ODCS document that the standard's own JSON Schema (vendored) accepts, and reads back
equal; hand-written ODCS documents read as the contract they describe."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.documents import validation_errors
from tessera_dbt.artifacts.odcs_files import odcs_errors, odcs_format, read_odcs
from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.compat import classify, same_document
from tessera_dbt.engine.errors import DocumentError
from tessera_dbt.engine.odcs import from_odcs, to_odcs
from tests.conftest import corpus_files
from tests.strategies import documents, render

CASES = Path(__file__).parents[1] / "cases" / "compat"
SCHEMAS = Path(__file__).resolve().parents[2] / "tessera_dbt" / "schemas"


def _case_documents() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(CASES.glob("*.yml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            for side in ("old", "new"):
                doc = case.get(side)
                if isinstance(doc, dict) and not validation_errors(doc):
                    found.append((f"{path.stem}.{case['name']}.{side}", doc))
    return found


def _corpus_documents(per_manifest: int = 40) -> list[tuple[str, dict]]:
    """Every asset of every corpus manifest, at most `per_manifest` of each (the shared
    corpus holds thousands)."""
    found = []
    for path in corpus_files("manifest"):
        for doc in extract_contracts(load_manifest(str(path)), all_assets=True)[:per_manifest]:
            found.append((f"{path.parent.name}/{path.name}:{doc['asset']}", doc))
    return found


def round_trip(document: dict) -> tuple[dict, dict]:
    """ODCS as text (JSON: the YAML files are tested end to end in test_odcs_dbt.py), then
    read back."""
    odcs = json.loads(json.dumps(to_odcs(document, versions=["1.0.0"]), ensure_ascii=False))
    return odcs, from_odcs(odcs)


def assert_lossless(document: dict) -> dict:
    odcs, back = round_trip(document)
    assert odcs_errors(odcs) == []
    assert back == document
    assert same_document(document, back)
    assert not classify(document, back).changes
    return odcs


def test_the_vendored_schema_is_odcs_v3_1_0_with_its_licence():
    schema = odcs_format()
    assert schema["properties"]["apiVersion"]["enum"][0] == "v3.1.0"
    assert "Apache License" in (SCHEMAS / "LICENSE-ODCS-Apache-2.0.txt").read_text()
    provenance = (SCHEMAS / "PROVENANCE.md").read_text()
    assert "bitol-io/open-data-contract-standard" in provenance
    import hashlib

    digest = hashlib.sha256((SCHEMAS / "odcs-json-schema-v3.1.0.json").read_bytes())
    assert digest.hexdigest() in provenance, "the vendored file is byte for byte the one named"


@pytest.mark.parametrize("name,document", _case_documents(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_every_compat_case_document_round_trips(name, document):
    assert_lossless(document)


def test_every_corpus_contract_round_trips():
    found = _corpus_documents()
    assert len(found) > 20
    for name, document in found:
        try:
            assert_lossless(document)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_round_trip(model):
    assert_lossless(render(model))


def test_the_odcs_form_is_native_where_odcs_can_say_it():
    document = {
        "asset": "analytics.core.fct_orders", "version": "1.2.0", "compatibility": "backward",
        "owner": "commerce", "dialect": "duckdb", "description": "One row per order.",
        "schema": {"type": "object", "properties": {
            "order_id": {"type": "integer", "x-data-type": "bigint"},
            "status": {"type": ["string", "null"], "x-data-type": "varchar(20)",
                       "maxLength": 20},
            "ordered_at": {"type": ["string", "null"], "format": "date-time",
                           "x-data-type": "timestamp"},
            "address": {"type": ["object", "null"], "x-data-type": "struct(city varchar)",
                        "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            "required": ["order_id"]},
        "guarantees": {
            "nullability": {"order_id": "never"},
            "accepted_values": {"status": ["placed", "shipped"]},
            "freshness": {"warn_after": {"count": 12, "period": "hour"},
                          "loaded_at_field": "ordered_at"},
            "custom": [{"type": "primary_key", "column": "order_id"},
                       {"type": "relationships", "column": "customer_id", "to": "dim_customers",
                        "field": "customer_id"},
                       {"type": "unique", "column": "order_id", "severity": "warn"}]}}
    odcs = assert_lossless(document)
    assert odcs["apiVersion"] == "v3.1.0" and odcs["kind"] == "DataContract"
    assert odcs["id"] == "analytics.core.fct_orders" and odcs["version"] == "1.2.0"
    assert odcs["team"] == {"name": "commerce"} and odcs["status"] == "active"
    (table,) = odcs["schema"]
    props = {p["name"]: p for p in table["properties"]}
    assert props["order_id"]["logicalType"] == "integer"
    assert props["order_id"]["physicalType"] == "bigint"
    assert props["order_id"]["required"] is True and props["order_id"]["primaryKey"] is True
    assert props["order_id"]["unique"] is True
    assert props["status"]["logicalTypeOptions"] == {"maxLength": 20}
    assert props["ordered_at"]["logicalType"] == "timestamp"
    assert [p["name"] for p in props["address"]["properties"]] == ["city"]
    metrics = {r.get("metric") for r in props["order_id"]["quality"]}
    assert {"nullValues", "duplicateValues"} <= metrics
    (accepted,) = props["status"]["quality"]
    assert accepted["arguments"] == {"validValues": ["placed", "shipped"]}
    # a guarantee on a column the schema does not list is a rule of the table
    assert table["quality"][0]["implementation"]["type"] == "relationships"
    assert odcs["slaProperties"][0]["property"] == "freshness"
    custom = {c["property"]: c["value"] for c in odcs["customProperties"]}
    assert custom["tesseraCompatibility"] == "backward" and custom["tesseraVersions"] == ["1.0.0"]
    # everything above was said natively: no residual on any column
    assert all("customProperties" not in p for p in table["properties"])


HAND_WRITTEN = """\
apiVersion: v3.1.0
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: partner orders
version: 1.0.0
status: active
servers:
  - server: prod
    type: postgres
    host: db.example.com
    port: 5432
    database: Warehouse
    schema: partners
team:
  name: partner_ops
schema:
  - name: orders
    physicalName: partner_orders
    physicalType: table
    properties:
      - name: order_id
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
      - name: channel
        logicalType: string
        quality:
          - metric: invalidValues
            arguments: {validValues: [web, store]}
            mustBe: 0
      - name: placed_on
        logicalType: date
slaProperties:
  - property: freshness
    value: 1
    unit: d
customProperties:
  - property: compatibility
    value: full
"""


def test_a_hand_written_odcs_reads_as_its_contract(tmp_path):
    path = tmp_path / "partner.odcs.yaml"
    path.write_text(HAND_WRITTEN)
    document = read_odcs(str(path))
    assert document["asset"] == "warehouse.partners.partner_orders"
    assert document["compatibility"] == "full" and document["owner"] == "partner_ops"
    assert document["dialect"] == "postgres"
    assert document["schema"]["properties"] == {
        "order_id": {"type": "integer", "x-data-type": "bigint"},
        "channel": {"type": ["string", "null"]},
        "placed_on": {"type": ["string", "null"], "format": "date"}}
    assert document["schema"]["required"] == ["order_id"]
    assert document["guarantees"] == {
        "nullability": {"order_id": "never"},
        "accepted_values": {"channel": ["web", "store"]},
        "custom": [{"type": "primary_key", "column": "order_id"}],
        "freshness": {"warn_after": {"count": 1, "period": "day"}}}
    assert validation_errors(document) == []


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.pop("apiVersion"), "'apiVersion' is a required property"),
    (lambda d: d.update(kind="Table"), "'Table' is not one of"),
    (lambda d: d["schema"].append(copy.deepcopy(d["schema"][0])), "2 schema objects"),
    (lambda d: d["customProperties"][0].update(value="sideways"), "unknown compatibility"),
])
def test_a_bad_odcs_document_is_one_line(tmp_path, cli, edit, message):
    odcs = yaml.safe_load(HAND_WRITTEN)
    edit(odcs)
    path = tmp_path / "bad.odcs.yaml"
    path.write_text(json.dumps(odcs))
    with pytest.raises(DocumentError, match=message):
        read_odcs(str(path))
    result = cli("import", "--odcs", path, expect=2)
    assert result.out == "" and len(result.err.strip().splitlines()) == 1
    assert message.split("'")[0] in result.err


def test_tessera_import_prints_or_writes_the_contract(tmp_path, cli):
    path = tmp_path / "partner.odcs.yaml"
    path.write_text(HAND_WRITTEN)
    printed = yaml.safe_load(cli("import", "--odcs", path).out)
    assert printed == read_odcs(str(path))
    out = tmp_path / "partner.json"
    result = cli("import", "--odcs", path, "--out", out, "--format", "json")
    assert "warehouse.partners.partner_orders" in result.out
    assert json.loads(out.read_text()) == printed
    # the imported document is a contract document `tessera diff` reads
    assert cli("diff", out, out, "--format", "json").code == 0
