"""Production's published state as files: `tessera export` writes it, `tessera check
--baseline DIR` reads it, so a CI job without warehouse credentials can still check.

Format version 1, a directory:

    tessera_export.json      {"format": "tessera-export", "format_version": 1, "exported_at",
                              "tessera_version", "project", "target", "assets", "proposals"}
    contracts/<asset>.json   {"asset": ..., "versions": [contract document, ...]} oldest first
    proposals.json           {"proposals": [...], "registrations": {asset: {team: purpose}}}

Each proposal carries the fields of `proposals.Proposal` as folded when exported (expiry
is applied again on reading). Writing is all or nothing: the files go to a sibling
temporary directory that replaces the target only once complete.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..artifacts.files import read_json
from ..engine.errors import ConfigError
from ..engine.proposal import Proposal, expire
from ..engine.semver import parse_version

FORMAT = "tessera-export"
FORMAT_VERSION = 1
INDEX = "tessera_export.json"
_SAFE = re.compile(r"[^a-z0-9_.-]")


@dataclass(frozen=True)
class PublishedState:
    """What production has published: every asset's contract versions, the proposals and
    the registered consumer teams."""

    histories: dict[str, list[dict[str, Any]]]
    proposals: dict[str, Proposal] = field(default_factory=dict)
    registrations: dict[str, dict[str, str | None]] = field(default_factory=dict)
    project: str | None = None
    target: str | None = None
    exported_at: str | None = None
    # asset → how each version was published (when, by whom, why, the proposal): the
    # contract_published events without their documents (PUBLICATION_FIELDS)
    publications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


PUBLICATION_FIELDS = ("version", "recorded_at", "actor", "status", "reason", "proposal_id",
                      "event_id")


def publication_rows(events: list[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """contract_published events by asset, as an export keeps them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in events:
        out.setdefault(str(row.get("asset")), []).append(
            {k: row.get(k) for k in PUBLICATION_FIELDS})
    return out


def _file_name(asset: str) -> str:
    """The asset's name when it is a safe file name, else a readable form plus a hash."""
    safe = _SAFE.sub("_", asset.lower())
    if safe == asset:
        return f"{safe}.json"
    return f"{safe[:100]}-{hashlib.sha256(asset.encode()).hexdigest()[:8]}.json"


def export_files(state: PublishedState) -> dict[str, Any]:
    """relative path → JSON value of every file of the export (pure)."""
    files: dict[str, Any] = {
        INDEX: {"format": FORMAT, "format_version": FORMAT_VERSION,
                "exported_at": state.exported_at, "tessera_version": __version__,
                "project": state.project, "target": state.target,
                "assets": len(state.histories), "proposals": len(state.proposals),
                "contracts": [_file_name(a) for a in sorted(state.histories)]},
        "proposals.json": {
            "proposals": [dataclasses.asdict(p) for p in state.proposals.values()],
            "registrations": state.registrations},
    }
    for asset, versions in sorted(state.histories.items()):
        files[f"contracts/{_file_name(asset)}"] = {
            "asset": asset, "versions": versions,
            "publications": state.publications.get(asset) or []}
    return files


def write_export(out: str, state: PublishedState) -> int:
    """Write the export to directory `out`, replacing an earlier export there; a directory
    holding anything else is refused. Returns the number of files written."""
    target = Path(out)
    if target.exists() and (not target.is_dir() or (any(target.iterdir())
                                                     and not (target / INDEX).is_file())):
        raise ConfigError(f"{out}: exists and is not a tessera export",
                          "pass a new or empty directory")
    files = export_files(state)
    return replace_directory(target, {relative: json.dumps(value, indent=2, ensure_ascii=False,
                                                           default=str) + "\n"
                                      for relative, value in files.items()}, ".tessera_export.",
                             folders=("contracts",))


def replace_directory(target: Path, texts: Mapping[str, str], prefix: str,
                      folders: tuple[str, ...] = (), mode: int | None = None) -> int:
    """Write `texts` (relative path → text) into a new directory beside `target`, with
    `folders` made even when empty, then put it in `target`'s place: all or nothing.
    `mode` sets the directory's own (mkdtemp's is 0700). Returns the number of files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        for folder in folders:
            (staging / folder).mkdir()
        for relative, text in texts.items():
            (staging / relative).write_text(text, encoding="utf-8")
        if mode is not None:
            staging.chmod(mode)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(texts)


def _read(path: Path) -> Any:
    return read_json(path, "a tessera export file", "export again with `tessera export "
                     "--out DIR`")


def _contract_files(root: Path, index: Mapping[str, Any]) -> list[Path]:
    """The contract files of an export, failing closed: a missing or replaced `contracts/`
    folder, or a file the index lists but the folder lacks, is an error, never a baseline
    with fewer published assets (which would make their changes look new)."""
    folder = root / "contracts"
    if not folder.is_dir():
        raise ConfigError(f"{folder}: missing or not a directory, so the export is incomplete",
                          "export again with `tessera export --out DIR`")
    found = sorted(folder.glob("*.json"))
    listed = index.get("contracts")
    if isinstance(listed, list):
        missing = sorted(set(map(str, listed)) - {f.name for f in found})
        if missing:
            raise ConfigError(f"{folder}: lacks {len(missing)} contract file(s) the index "
                              f"lists ({', '.join(missing[:3])}"
                              f"{', ...' if len(missing) > 3 else ''})",
                              "export again with `tessera export --out DIR`")
    expected = index.get("assets")
    if isinstance(expected, int) and expected != len(found):
        raise ConfigError(f"{folder}: holds {len(found)} contract file(s), the index says "
                          f"{expected}", "export again with `tessera export --out DIR`")
    return found


def is_export(path: str) -> bool:
    p = Path(path)
    return (p.is_dir() and (p / INDEX).is_file()) or p.name == INDEX


def read_export(path: str, now: dt.datetime) -> PublishedState:
    """Read an export directory (or its tessera_export.json); proposals expire as of `now`."""
    root = Path(path)
    if root.name == INDEX:
        root = root.parent
    index = _read(root / INDEX)
    if not isinstance(index, Mapping) or index.get("format") != FORMAT:
        raise ConfigError(f"{root / INDEX}: not a tessera export index",
                          "export again with `tessera export --out DIR`")
    if index.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"{root}: tessera export format version "
                          f"{index.get('format_version')!r}, this tessera reads "
                          f"{FORMAT_VERSION}", "export again with this tessera version")
    histories: dict[str, list[dict[str, Any]]] = {}
    publications: dict[str, list[dict[str, Any]]] = {}
    for file in _contract_files(root, index):
        body = _read(file)
        if not (isinstance(body, Mapping) and isinstance(body.get("asset"), str)
                and isinstance(body.get("versions"), list) and body["versions"]
                and all(isinstance(v, dict) for v in body["versions"])):
            raise ConfigError(f"{file}: not a contract history (`asset` and a non-empty "
                              "`versions` list of documents)",
                              "export again with `tessera export --out DIR`")
        for version in body["versions"]:
            try:
                parse_version(str(version.get("version")))
            except ConfigError as exc:
                raise ConfigError(f"{file}: {exc.message}",
                                  "export again with `tessera export --out DIR`") from None
        histories[body["asset"]] = list(body["versions"])
        kept = body.get("publications")  # absent from exports before tessera 0.1's changelog
        if isinstance(kept, list):
            publications[body["asset"]] = [p for p in kept if isinstance(p, dict)]
    body = _read(root / "proposals.json")
    if not isinstance(body, Mapping) or not isinstance(body.get("proposals"), list):
        raise ConfigError(f"{root / 'proposals.json'}: no `proposals` list",
                          "export again with `tessera export --out DIR`")
    proposals = {}
    names = {f.name for f in dataclasses.fields(Proposal)}
    for raw in body["proposals"]:
        if not isinstance(raw, Mapping) or not {"proposal_id", "asset", "status"} <= set(raw):
            raise ConfigError(f"{root / 'proposals.json'}: a proposal without "
                              "proposal_id, asset and status")
        proposal = Proposal(**{k: v for k, v in raw.items() if k in names})
        expire(proposal, now)
        proposals[proposal.proposal_id] = proposal
    return PublishedState(histories, proposals, dict(body.get("registrations") or {}),
                          index.get("project"), index.get("target"), index.get("exported_at"),
                          publications)
