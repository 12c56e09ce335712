"""Production's published state as ODCS v3.1.0 documents.

`tessera export --format odcs` writes one `<asset>.odcs.yaml` per published contract
(status `active`, or `deprecated` past a dbt deprecation date) and one
`<asset>.proposed-<version>.odcs.yaml` per open proposal (status `proposed`). Each carries
the asset's published versions and its proposals with every team's acknowledgment under
`customProperties` (engine.odcs). Writing is all or nothing, like the tessera export."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from ..artifacts.odcs_files import SUFFIX, odcs_yaml
from ..engine.errors import ConfigError
from ..engine.odcs import to_odcs
from ..engine.proposal import Proposal
from .export import PublishedState, replace_directory

_SAFE = re.compile(r"[^a-z0-9_.-]")
_OPEN = ("pending", "approved")


def _stem(asset: str) -> str:
    safe = _SAFE.sub("_", asset.lower())
    if safe == asset:
        return safe
    return f"{safe[:100]}-{hashlib.sha256(asset.encode()).hexdigest()[:8]}"


def _text(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, (dt.datetime, dt.date)) else value


def proposal_summary(p: Proposal) -> dict[str, Any]:
    """A proposal as ODCS readers see it: status, reason and each team's answer."""
    out: dict[str, Any] = {"proposalId": p.proposal_id, "status": p.status,
                           "proposedVersion": p.proposed_version, "reason": p.reason,
                           "createdAt": _text(p.created_at), "resolvedAt": _text(p.resolved_at),
                           "forced": p.forced, "retire": p.retire,
                           "breakingChanges": sorted({str(c.get("rule")) for c in
                                                      p.breaking_changes if c.get("rule")}),
                           "acknowledgments": [
                               {"team": team, "response": "waiting"} if team not in p.acks
                               else {"team": team, "response": p.acks[team].get("response"),
                                     "comment": p.acks[team].get("comment"),
                                     "migrationDeadline": p.acks[team].get(
                                         "migration_deadline"),
                                     "acknowledgedAt": _text(p.acks[team].get(
                                         "acknowledged_at"))}
                               for team in p.required]}
    return {k: v for k, v in out.items() if v is not None}


def _status(document: dict[str, Any], today: dt.date) -> str:
    deprecation = (document.get("x-dbt") or {}).get("deprecation_date")
    if deprecation and str(deprecation)[:10] <= today.isoformat():
        return "deprecated"
    return "active"


def odcs_documents(state: PublishedState, today: dt.date) -> dict[str, dict[str, Any]]:
    """file name → ODCS document, for every published contract and open proposal."""
    by_asset: dict[str, list[Proposal]] = {}
    for proposal in state.proposals.values():
        by_asset.setdefault(proposal.asset, []).append(proposal)
    files: dict[str, dict[str, Any]] = {}
    for asset in sorted(set(state.histories) | set(by_asset)):
        versions = [str(v.get("version")) for v in state.histories.get(asset, ())]
        proposals = sorted(by_asset.get(asset, ()), key=lambda p: str(p.created_at))
        summaries = [proposal_summary(p) for p in proposals]
        if state.histories.get(asset):
            head = state.histories[asset][-1]
            files[f"{_stem(asset)}{SUFFIX}"] = to_odcs(
                head, status=_status(head, today), versions=versions, proposals=summaries)
        for p in proposals:
            if p.status in _OPEN and not p.retire and p.contract:
                contract = {**p.contract, "version": p.proposed_version
                            or p.contract.get("version")}
                name = f"{_stem(asset)}.proposed-{_stem(str(contract.get('version')))}"
                files[f"{name}{SUFFIX}"] = to_odcs(contract, status="proposed",
                                                   versions=versions, proposals=summaries)
    return files


def write_odcs_export(out: str, state: PublishedState, today: dt.date) -> int:
    """Write the ODCS documents to directory `out` (replacing an earlier ODCS export
    there; a directory holding anything else is refused). Returns the number written."""
    target = Path(out)
    if target.exists() and (not target.is_dir() or any(
            not f.name.endswith(SUFFIX) for f in target.iterdir())):
        raise ConfigError(f"{out}: exists and is not an ODCS export (files other than "
                          f"*{SUFFIX})", "pass a new or empty directory")
    texts = {name: odcs_yaml(doc) for name, doc in odcs_documents(state, today).items()}
    return replace_directory(target, texts, ".tessera_odcs.", mode=0o755)
