"""ODCS v3.1.0 documents on disk, validated against the standard's own JSON Schema.

See docs/contracts.md, "ODCS". The schema is vendored in `tessera_dbt/schemas/` with its
licence and provenance; the conversion itself is `engine.odcs`."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from ..engine.errors import ConfigError, DocumentError
from ..engine.odcs import from_odcs
from .documents import parse_document_text, schema_errors, validation_errors
from .files import read_text

ODCS_SCHEMA = "schemas/odcs-json-schema-v3.1.0.json"
SUFFIX = ".odcs.yaml"  # the extension the standard's editors recognise


@lru_cache(maxsize=1)
def odcs_format() -> dict[str, Any]:
    """The ODCS v3.1.0 JSON Schema, as published by bitol-io (schemas/PROVENANCE.md)."""
    return json.loads(resources.files("tessera_dbt").joinpath(ODCS_SCHEMA).read_text())


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = odcs_format()
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def odcs_errors(odcs: Any) -> list[str]:
    """Every way `odcs` departs from ODCS v3.1.0, as `path: problem` lines."""
    return schema_errors(_validator(), odcs, "an ODCS document")


def check_odcs(odcs: Any, label: str) -> None:
    problems = odcs_errors(odcs)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DocumentError(f"{label}: not an ODCS v3.1.0 document: {problems[0]}{more}",
                            "see https://bitol-io.github.io/open-data-contract-standard/")


def odcs_yaml(odcs: dict[str, Any]) -> str:
    """YAML text of an ODCS document, checked against the standard first."""
    import yaml

    check_odcs(odcs, str(odcs.get("id")))
    return yaml.safe_dump(odcs, sort_keys=False, allow_unicode=True, width=100)


def read_odcs(path: str) -> dict[str, Any]:
    """One ODCS document (YAML or JSON) as a tessera contract document, each checked
    against its format."""
    try:
        text = read_text(path, "an ODCS document", "pass a .odcs.yaml file")
    except ConfigError as exc:
        raise DocumentError(exc.message, exc.hint) from None
    odcs = parse_document_text(text, path)
    check_odcs(odcs, path)
    try:
        document = from_odcs(odcs)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc.message}", exc.hint) from None
    problems = validation_errors(document)
    if problems:
        raise DocumentError(f"{path}: reads as no valid contract document: {problems[0]}",
                            "see the ODCS mapping in docs/contracts.md")
    return document


def read_contract(path: str) -> dict[str, Any]:
    """A hand-written contract: an ODCS document (`apiVersion` and `kind: DataContract`)
    or a tessera contract document, each checked against its format."""
    from .documents import load_document

    try:
        text = read_text(path, "a contract", "pass an .odcs.yaml or a contract document")
    except ConfigError as exc:
        raise DocumentError(exc.message, exc.hint) from None
    parsed = parse_document_text(text, path) if text.strip() else None
    if isinstance(parsed, dict) and parsed.get("kind") == "DataContract" \
            and "apiVersion" in parsed:
        return read_odcs(path)
    return load_document(path)
