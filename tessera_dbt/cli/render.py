"""Terminal renderings of what the project defines: the contracts table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..artifacts.readers import Manifest
from ..engine.text import table
from ..engine.verdicts import dbt_name


def count_guarantees(doc: dict[str, Any]) -> int:
    g = doc.get("guarantees") or {}
    return (len(g.get("nullability") or {}) + len(g.get("accepted_values") or {})
            + (1 if g.get("freshness") else 0) + len(g.get("custom") or ()))


def contracts_table(documents: Sequence[dict[str, Any]], manifest: Manifest) -> str:
    if not documents:
        return (f"No asset of {manifest.path} is under contract "
                "(set `contract: {enforced: true}` or `meta: {tessera: {...}}`; "
                "--all lists every asset).")
    rows = []
    for doc in documents:
        teams = sorted({c["team"] for c in doc.get("consumers") or ()})
        rows.append((
            dbt_name(doc), doc["asset"], doc.get("owner") or "-", doc.get("compatibility"),
            len((doc.get("schema") or {}).get("properties") or {}), count_guarantees(doc),
            ", ".join(teams) or "-",
        ))
    header = ("name", "asset", "owner", "mode", "columns", "guarantees", "consumers")
    summary = (f"{len(documents)} contract(s) in {manifest.path} "
               f"(dbt {manifest.dbt_version}, manifest v{manifest.schema_version})")
    return summary + "\n\n" + table(header, rows)
