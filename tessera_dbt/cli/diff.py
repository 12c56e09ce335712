"""`tessera diff`: two contract documents (files, including the contract histories
`tessera export` writes), or two published versions of one asset (`--asset A --from V1
--to V2`) read from an export (`--baseline DIR`) or through dbt from the warehouse."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..artifacts.documents import load_document, parse_document_text, validation_errors
from ..engine.decider import fingerprints
from ..engine.errors import ConfigError, DocumentError
from ..engine.proposal import Proposal
from ..engine.suggest import did_you_mean


def _history_file(path: str) -> list[dict[str, Any]] | None:
    """The versions of an export's contracts/<asset>.json, oldest first, or None when the
    file is not one (then it is read as one contract document)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        body = parse_document_text(text, path)
    except DocumentError:
        return None
    if isinstance(body, dict) and isinstance(body.get("versions"), list) and "schema" not in body:
        versions = [v for v in body["versions"] if isinstance(v, dict)]
        if not versions:
            raise DocumentError(f"{path}: a contract history without versions")
        for version in versions:
            problems = validation_errors(version)
            if problems:
                raise DocumentError(f"{path}: version {version.get('version')!r} is not a "
                                    f"contract document: {problems[0]}")
        return versions
    return None


def _pick(versions: Sequence[dict[str, Any]], wanted: str | None, label: str,
          where: str) -> int:
    if wanted is None:
        return len(versions) - 1
    for index, doc in enumerate(versions):
        if str(doc.get("version")) == wanted:
            return index
    known = [str(v.get("version")) for v in versions]
    raise ConfigError(f"{label} {wanted}: {where} has no such version"
                      f"{did_you_mean(wanted, known)}", "published: " + ", ".join(known))


def documents_from_files(args: argparse.Namespace
                         ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """OLD and NEW (files), and the history before OLD; an export history file stands for
    its newest version, or the one --from / --to names."""
    old_versions = _history_file(args.old)
    new_versions = _history_file(args.new)
    history = [load_document(path) for path in args.history]
    if old_versions is not None:
        at = _pick(old_versions, args.from_version, "--from", args.old)
        old = old_versions[at]
        history = history or old_versions[:at]
    else:
        old = load_document(args.old)
    if new_versions is not None:
        new = new_versions[_pick(new_versions, args.to_version, "--to", args.new)]
    else:
        new = load_document(args.new)
    return old, new, history


def find_asset(histories: dict[str, list[dict[str, Any]]], name: str, source: str) -> str:
    if name in histories:
        return name
    lowered = name.lower()
    matches = [a for a in histories if a.lower() == lowered
               or a.lower().endswith("." + lowered)
               or any((v.get("x-dbt") or {}).get("name") == name for v in histories[a][-1:])]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"--asset {name} is ambiguous in {source}: " + ", ".join(matches),
                          "pass the full asset name")
    short = {a.rsplit(".", 1)[-1]: a for a in histories}
    raise ConfigError(f"--asset {name}: nothing is published under that name in {source}"
                      f"{did_you_mean(name, short)}",
                      "list them with `tessera status`")


def how_published(asset: str, doc: Mapping[str, Any],
                  proposals: Mapping[str, Proposal]) -> str:
    """How a published version was approved, naming the proposal that carried it (pure)."""
    version = doc.get("version")
    fps = fingerprints({**doc, "asset": asset})
    found = [p for p in proposals.values() if p.asset == asset
             and p.status in ("approved", "published") and not p.retire
             and (p.fingerprint in fps or (p.proposed_version and p.proposed_version == version))]
    if not found:
        return f"{version} is published (no proposal of it is recorded)"
    p = found[-1]
    if p.forced:
        return (f"{version} was force-published through proposal {p.proposal_id} by "
                f"{p.forced_by or 'an unrecorded actor'}: {p.forced_reason or 'no reason'}")
    answers = ", ".join(f"{team} {p.acks[team].get('response')}" for team in p.required
                        if team in p.acks)
    return (f"{version} was published through proposal {p.proposal_id}, approved ("
            + (answers or "no consumer team had to answer") + ")")


def documents_from_state(args: argparse.Namespace) -> tuple[
        dict[str, Any], dict[str, Any], list[dict[str, Any]], str | None]:
    """Two published versions of --asset, from --baseline DIR or the warehouse, and how
    the newer was approved when it is the later of the two (None otherwise)."""
    from . import baseline

    if args.baseline:
        state = baseline.load_baseline(args.baseline, all_assets=True)
    else:
        target = baseline.state_target(args.project_dir, args.target)
        state = baseline.baseline_from_warehouse(args.project_dir, args.profiles_dir, target)
    histories = state.state.histories
    asset = find_asset(histories, args.asset, state.source)
    versions = histories[asset]
    to = _pick(versions, args.to_version, "--to", asset)
    if args.from_version is None and to == 0:
        raise ConfigError(f"{asset} has one published version ({versions[0].get('version')})"
                          ", nothing to compare it with", "pass --from and --to")
    at = _pick(versions, args.from_version, "--from", asset) if args.from_version \
        else to - 1
    shipped = how_published(asset, versions[to], state.state.proposals) if to > at else None
    return versions[at], versions[to], list(versions[:at]), shipped


def run_diff(args: argparse.Namespace) -> tuple[dict[str, Any], str, bool]:
    """The JSON payload, the text rendering and whether the change breaks."""
    from ..artifacts.readers import load_run_results
    from ..engine.compat import diff_documents
    from ..engine.text import diff_text

    if args.asset:
        if args.old or args.new:
            raise ConfigError("--asset compares two published versions; OLD and NEW files "
                              "are the other way", "pass either --asset or OLD NEW")
        old, new, history, shipped = documents_from_state(args)
    else:
        if not (args.old and args.new):
            raise ConfigError("tessera diff needs OLD and NEW files, or --asset NAME "
                              "(with --from/--to)", "see `tessera diff --help`")
        if args.baseline or args.state_from_warehouse:
            raise ConfigError("--baseline and --state-from-warehouse go with --asset")
        old, new, history = documents_from_files(args)
        shipped = None
    passed: frozenset[str] = frozenset()
    if args.run_results:
        results = load_run_results(args.run_results)
        passed = frozenset(r.unique_id for r in results.results if r.status == "pass")
    report = diff_documents(old, new, mode=args.mode, passed_tests=passed,
                            history=history, verified_by_run=bool(args.run_results))
    payload: dict[str, Any] = report.to_json()
    if args.asset:
        payload.update({"asset": old.get("asset"), "from": old.get("version"),
                        "to": new.get("version"), "published": shipped})
    text = diff_text(report, model=(new.get("x-dbt") or {}).get("name"), shipped=shipped)
    if args.asset:
        text = f"{old.get('asset')}: {old.get('version')} → {new.get('version')}\n{text}"
    return payload, text, bool(payload.get("breaking"))


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)
