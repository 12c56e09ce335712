"""Contract documents on disk: read YAML or JSON, write JSON or YAML, validate the format."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from ..engine.errors import ConfigError, DocumentError
from .files import parse_json, read_text


@lru_cache(maxsize=1)
def contract_format() -> dict[str, Any]:
    """The JSON Schema of contract documents, shipped in the package."""
    text = resources.files("tessera_dbt").joinpath("schemas/contract.schema.json").read_text()
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # imported on first use: it costs more than the rest of the CLI

    schema = contract_format()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validation_errors(document: Any) -> list[str]:
    """Every way `document` departs from the contract format, as `path: problem` lines."""
    return schema_errors(_validator(), document, "a contract document")


def schema_errors(validator: Any, value: Any, what: str) -> list[str]:
    """Every way `value` departs from `validator`'s JSON Schema, as `path: problem` lines,
    in path order; `what` names the kind of document for the one that nests too deeply."""
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    except RecursionError:
        return [f"<root>: nested too deeply to be {what}"]
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in errors]


def load_document(path: str) -> dict[str, Any]:
    """Read one contract document (YAML or JSON) and check it against the format."""
    try:
        text = read_text(path, "a contract document", "pass a .yml or .json file")
    except ConfigError as exc:
        raise DocumentError(exc.message, exc.hint) from None
    if not text.strip():
        raise DocumentError(f"{path}: the file is empty",
                            "export one with `tessera contracts --format yaml`")
    document = parse_document_text(text, path)
    problems = validation_errors(document)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DocumentError(f"{path}: not a contract document: {problems[0]}{more}",
                            "see the contract format in docs/contracts.md")
    return document


def parse_document_text(text: str, label: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return parse_json(text, label, "a contract document",
                              "see the contract format in docs/contracts.md")
        except ConfigError as exc:
            raise DocumentError(exc.message, exc.hint) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise DocumentError(f"{label}: YAML nested too deeply to be a contract "
                            "document") from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise DocumentError(f"{label}: holds a value that cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise DocumentError(f"{label}: not valid YAML{where}: "
                            f"{getattr(exc, 'problem', None) or exc}") from None


def dump_json(value: Any, pretty: bool = True) -> str:
    """JSON text; `pretty=False` is compact, and several times faster on large outputs
    (the C encoder only runs without indentation)."""
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def dump_yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)
