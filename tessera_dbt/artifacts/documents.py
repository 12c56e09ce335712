"""Contract documents on disk: read YAML or JSON, write JSON or YAML, validate the format."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from typing import Any

from ..engine.errors import DocumentError


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
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in errors]


def load_document(path: str) -> dict[str, Any]:
    """Read one contract document (YAML or JSON) and check it against the format."""
    if os.path.isdir(path):
        raise DocumentError(f"{path}: is a directory, not a contract document",
                            "pass a .yml or .json file")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{path}: cannot be read ({exc})") from None
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
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"{label}: not valid JSON (line {exc.lineno}, column "
                                f"{exc.colno}: {exc.msg})") from None
    import yaml

    try:
        return yaml.safe_load(text)
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
