"""`tessera check`, the dbt CI gate: may this change ship? (pure: documents in, verdicts out)

Every asset under contract in the pull request's manifest is compared with production's
published state (the warehouse, an export, or a production manifest) and gets one status:

    new                  not published yet; the next production build publishes 1.0.0
    unchanged            identical to the published contract
    compatible           a change that publishes with its bump (minor / patch)
    breaking-approved    breaking, covered by an approved proposal for this exact contract
                         (or a declared pre-release version)
    breaking-pending     breaking, its proposal waits for consumer teams
    breaking-unproposed  breaking, no proposal covers this contract
    removed              published, now deleted, disabled or no longer under contract

The pull request builds in its own target (schema), so assets are matched on the dbt
unique_id and compared under production's asset name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import lineage
from .compat import Change, Report, classify, classify_against_history, same_document
from .proposals import Proposal
from .publish import fingerprint
from .semver import bump_version, is_prerelease

if TYPE_CHECKING:
    from .artifacts import Manifest
    from .export import PublishedState

STATUSES = ("new", "unchanged", "compatible", "breaking-approved", "breaking-pending",
            "breaking-unproposed", "removed")
_OPEN = ("pending", "approved")


@dataclass(frozen=True)
class Baseline:
    """Production's side of the comparison."""

    kind: str  # warehouse | export | manifest
    source: str  # where it was read: a path, or the dbt target
    state: PublishedState
    knows_proposals: bool = True  # a manifest knows none: every breaking change is unproposed


@dataclass(frozen=True)
class AssetCheck:
    """The verdict on one asset under contract."""

    asset: str  # production's name for it
    name: str  # the dbt name (`name.vN` for a model version)
    unique_id: str | None
    status: str
    mode: str
    reason: str
    bump: str | None = None  # major | minor | patch when the contract changes
    published_version: str | None = None
    next_version: str | None = None
    changes: tuple[Change, ...] = ()
    affected: tuple[dict[str, Any], ...] = ()  # the consumers the change reaches
    proposal: Proposal | None = None
    next_step: str | None = None  # what to do, in words
    next_commands: tuple[str, ...] = ()  # the exact commands that do it
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def blocking(self) -> bool:
        """Whether this asset stops the change from shipping (exit code 1)."""
        if self.status == "removed":
            return bool(self.affected)
        return self.status in ("breaking-pending", "breaking-unproposed")

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaks(self.mode))


def dbt_name(doc: Mapping[str, Any]) -> str:
    dbt = doc.get("x-dbt") or {}
    name = str(dbt.get("name") or doc.get("asset"))
    return f"{name}.v{dbt['model_version']}" if dbt.get("model_version") is not None else name


def _unique_id(doc: Mapping[str, Any]) -> str | None:
    return (doc.get("x-dbt") or {}).get("unique_id")


def affected_consumers(
    manifest: Manifest | None,
    unique_id: str | None,
    document: Mapping[str, Any],
    changed: frozenset[str] | None,
    consumer_manifests: Sequence[Manifest],
    registered: Mapping[str, str | None],
    published: Mapping[str, Any] | None = None,
    cache: lineage.LineageCache | None = None,
) -> tuple[dict[str, Any], ...]:
    """The consumers a breaking change or a removal reaches: the one place `tessera check`
    asks. The candidates are the document's consumers (as the pull request has it and as
    it was published) and the registered teams; column lineage (docs/lineage.md) then
    drops those that read none of the `changed` columns, as `tessera.propose` does. A
    removal (`changed` None), or an asset the manifest does not hold, reaches everyone."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in (document, published or {}):
        for consumer in doc.get("consumers") or ():
            found.setdefault((str(consumer.get("team")), str(consumer.get("source"))),
                             dict(consumer))
    owner = document.get("owner")
    for team, purpose in registered.items():
        if team != owner:
            entry = {"team": team, "source": "registered"}
            found.setdefault((team, "registered"), {**entry, **({"purpose": purpose}
                                                                if purpose else {})})
    if (changed is None or manifest is None or unique_id is None
            or (unique_id not in manifest.nodes and unique_id not in manifest.sources)):
        return tuple(found[key] for key in sorted(found))
    verdicts = lineage.affected_consumers(
        manifest, unique_id, document, changed, consumer_manifests,
        registered=dict.fromkeys(registered), cache=cache)
    reasons: dict[str, list[str]] = {}
    exempt: set[str] = set()
    for verdict in verdicts:
        if verdict.affected:
            reasons.setdefault(verdict.team, []).extend(verdict.reasons)
        else:
            exempt.add(verdict.team)
    out = []
    for key in sorted(found):
        team = key[0]
        if team in exempt and team not in reasons:
            continue  # reads none of the changed columns: not asked
        entry = found[key]
        out.append({**entry, "reasons": reasons[team]} if team in reasons else entry)
    return tuple(out)


def operation_line(op: str, args: str, target: str | None) -> str:
    """The exact `dbt run-operation` line, on the target whose state counts."""
    line = f"dbt run-operation tessera.{op} --args '{{{args}}}'"
    return f"{line} --target {target}" if target else line


def _match(documents: Sequence[dict[str, Any]], histories: Mapping[str, list[dict[str, Any]]]
           ) -> dict[int, str]:
    """index of a current document → the published asset it is: by unique_id, else by name
    (a model renamed but writing the same relation)."""
    by_uid: dict[str, str] = {}
    for asset, versions in histories.items():
        uid = _unique_id(versions[-1])
        if uid:
            by_uid.setdefault(uid, asset)
    matched: dict[int, str] = {}
    for i, doc in enumerate(documents):
        uid = _unique_id(doc)
        if uid in by_uid:
            matched[i] = by_uid[uid]
    claimed = set(matched.values())
    for i, doc in enumerate(documents):
        if i not in matched and doc["asset"] in histories and doc["asset"] not in claimed:
            matched[i] = doc["asset"]
            claimed.add(doc["asset"])
    return matched


def check(
    documents: Sequence[dict[str, Any]],
    baseline: Baseline,
    *,
    manifest: Manifest | None = None,
    consumer_manifests: Sequence[Manifest] = (),
    passed_tests: frozenset[str] = frozenset(),
    verified_by_run: bool = False,
    declared_versions: Mapping[str, str] | None = None,
    state_target: str | None = None,
) -> list[AssetCheck]:
    """One AssetCheck per asset under contract now or published before, sorted by name.

    `documents` are the pull request's contracts; `manifest` is its manifest (whether a
    published asset still exists); `declared_versions` maps unique_id to
    `meta.tessera.version`; `state_target` is the target the next steps name.
    """
    state = baseline.state
    declared = declared_versions or {}
    matched = _match(documents, state.histories)
    # one lineage cache for the run: read once, saved after each asset that adds to it
    cache = lineage.default_cache(manifest) if manifest is not None else None
    out: list[AssetCheck] = []
    for i, doc in enumerate(documents):
        asset = matched.get(i)
        if asset is None:
            out.append(AssetCheck(doc["asset"], dbt_name(doc), _unique_id(doc), "new",
                                  str(doc.get("compatibility")), "not published yet",
                                  next_version="1.0.0", document=doc))
            continue
        out.append(_compare(doc, asset, baseline, manifest, consumer_manifests, passed_tests,
                            verified_by_run, declared.get(_unique_id(doc) or ""),
                            state_target, cache))
    for asset in sorted(set(state.histories) - set(matched.values())):
        out.append(_removed(asset, baseline, manifest, consumer_manifests))
    out.sort(key=lambda c: (c.name, c.asset))
    return out


def _compare(doc: dict[str, Any], asset: str, baseline: Baseline, manifest: Manifest | None,
             consumer_manifests: Sequence[Manifest], passed: frozenset[str], verified: bool,
             declared: str | None, target: str | None,
             cache: lineage.LineageCache | None) -> AssetCheck:
    history = baseline.state.histories[asset]
    head = history[-1]
    current = {**doc, "asset": asset}  # the PR's relation stands in for production's
    published = head.get("version")
    name, uid = dbt_name(doc), _unique_id(doc)
    base = {"asset": asset, "name": name, "unique_id": uid, "published_version": published,
            "document": current}
    if same_document(head, current):
        return AssetCheck(status="unchanged", mode=str(head.get("compatibility")),
                          reason="identical to the published contract", **base)
    report: Report = (classify_against_history(history, current, passed_tests=passed,
                                               verified_by_run=verified)
                      if len(history) > 1 else
                      classify(head, current, passed_tests=passed, verified_by_run=verified))
    bump = report.suggested_bump
    base.update(mode=report.mode, bump=bump, changes=report.changes)
    if not report.breaking:
        return AssetCheck(status="compatible", reason=f"{bump} change",
                          next_version=bump_version(published, bump) if published else None,
                          **base)
    registered = baseline.state.registrations.get(asset) or {}
    columns = [*((head.get("schema") or {}).get("properties") or {}),
               *((current.get("schema") or {}).get("properties") or {})]
    affected = affected_consumers(manifest, uid, current,
                                  lineage.changed_columns_of(report.breaking_changes, columns),
                                  consumer_manifests, registered, head, cache)
    base.update(affected=affected)
    major = bump_version(published, "major") if published else None
    if declared and is_prerelease(declared):
        return AssetCheck(status="breaking-approved", next_version=declared,
                          reason=f"pre-release {declared}: consumers opt in, no proposal "
                                 "needed", **base)
    proposals = [p for p in baseline.state.proposals.values() if p.asset == asset]
    covering = next((p for p in proposals if p.status in _OPEN
                     and p.fingerprint == fingerprint(current)), None)
    if covering is not None and covering.status == "approved":
        return AssetCheck(status="breaking-approved", proposal=covering,
                          next_version=covering.proposed_version or major,
                          reason=f"approved by proposal {covering.proposal_id}"
                                 + (" (forced)" if covering.forced else ""), **base)
    if covering is not None:
        waiting = ", ".join(covering.missing) or "nobody"
        return AssetCheck(status="breaking-pending", proposal=covering,
                          next_version=covering.proposed_version or major,
                          reason=f"proposal {covering.proposal_id} waits for: {waiting}",
                          next_step=f"each waiting team answers ({waiting})",
                          next_commands=(operation_line(
                              "acknowledge", f"proposal_id: {covering.proposal_id}, "
                              "team: <team>, response: approved", target),),
                          **base)
    other = next((p for p in proposals if p.status in _OPEN), None)
    if not baseline.knows_proposals:
        reason = "breaking; the baseline is a manifest, which knows no proposal"
    elif other is not None:
        reason = (f"the {other.status} proposal {other.proposal_id} covers a different "
                  "contract")
    else:
        last = proposals[-1].status if proposals else None
        reason = "no proposal" + (f" (the last one is {last})" if last else "")
    commands = (operation_line("propose", f"model: {name}", target),)
    if other is not None:
        commands = (operation_line("withdraw", f"proposal_id: {other.proposal_id}", target),
                    *commands)
    return AssetCheck(status="breaking-unproposed", next_version=major, reason=reason,
                      next_step=("withdraw the outdated proposal, then propose this change"
                                 if other is not None else
                                 "propose the change; its consumer teams are asked to "
                                 "acknowledge it"),
                      next_commands=commands, **base)


def _removed(asset: str, baseline: Baseline, manifest: Manifest | None,
             consumer_manifests: Sequence[Manifest]) -> AssetCheck:
    head = baseline.state.histories[asset][-1]
    uid = _unique_id(head)
    present = manifest is not None and uid is not None and (
        uid in manifest.nodes or uid in manifest.sources)
    affected = affected_consumers(manifest, uid, head, None, consumer_manifests,
                                  baseline.state.registrations.get(asset) or {})
    reason = ("no longer under contract" if present else "deleted or disabled") + (
        "; its consumers lose it" if affected else "; nobody consumes it")
    step = ("keep the contract until its consumers have migrated (tell "
            + ", ".join(sorted({c["team"] for c in affected})) + ")") if affected else None
    return AssetCheck(asset, dbt_name(head), uid, "removed",
                      str(head.get("compatibility")), reason,
                      published_version=head.get("version"), affected=affected,
                      next_step=step, document=head)

