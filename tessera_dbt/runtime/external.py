"""`tessera publish FILE` (`dbt run-operation tessera.publish_contract`): a hand-written
contract (ODCS v3.1.0 or a tessera contract document) for an asset dbt does not build, a
loader's table or an external share, published under the same rules and proposals as the
assets the hook publishes: the one decider (`engine.publish.decide`) judges it against
the version in force, the first publication is 1.0.0, and a breaking edit needs an
approved proposal (`propose: true` asks the consumer teams the document declares)."""

from __future__ import annotations

from typing import Any

from ..artifacts.nodes import asset_name, iter_assets
from ..artifacts.odcs_files import read_contract
from ..engine.decider import fingerprint, fingerprints
from ..engine.errors import ConfigError
from ..engine.proposal import open_proposal
from ..engine.publish import Published, decide
from ..state.events import decision_events


def publish_contract(ops: Any, file: str, propose: bool = False,
                     reason: str | None = None) -> list[str]:
    doc = read_contract(file)
    asset = str(doc["asset"])
    if asset in {asset_name(node) for _, node in iter_assets(ops.manifest)}:
        raise ConfigError(f"{asset} is built by this dbt project: the on-run-end hook "
                          "publishes its contract", "edit the model's YAML and run `dbt "
                          "build`; `tessera publish` is for assets dbt does not build")
    doc.setdefault("compatibility", "backward")
    ops.store.ensure_tables()
    head = ops.store.published_heads().get(asset)
    if head is not None and head["fingerprint"] in fingerprints(doc):
        return [f"{asset} {head['version']} is already published as written; nothing to do."]
    history = ops.store.contract_histories([asset]).get(asset, []) if head else []
    published = Published(asset, head["version"], head["fingerprint"], history[-1],
                          tuple(history[:-1])) if head and history else None
    proposals = ops._proposals(asset)
    mine = [p for p in proposals.values() if p.asset == asset]
    decision = decide(doc, published, (), proposals=mine)
    if decision.action == "unapproved" and propose:
        return _propose(ops, doc, decision, head, proposals, reason)
    ops._write(*decision_events(decision, ops.event_context))
    if decision.action == "publish":
        return [f"Published {asset} {decision.version} ({decision.reason})."]
    if decision.action == "unapproved":
        pending = open_proposal(proposals, asset)
        if pending is not None:
            return [f"{asset}: breaking change; proposal {pending.proposal_id} is "
                    f"{pending.status}:", *ops._describe(pending)]
        rules = ", ".join(sorted({c.rule for c in decision.breaking_changes}))
        return [f"{asset}: breaking change ({rules}) not published: it needs an approved "
                "proposal.", f"  next step: tessera publish {file} --propose "
                "--reason '...' (asks the consumer teams)"]
    return [f"{asset}: not published ({decision.action}: {decision.reason})."]


def _propose(ops: Any, doc: dict[str, Any], decision: Any, head: Any, proposals: Any,
             reason: str | None) -> list[str]:
    asset = doc["asset"]
    pending = open_proposal(proposals, asset)
    if pending is not None:
        return [f"{asset} already has a {pending.status} proposal {pending.proposal_id}:",
                *ops._describe(pending)]
    report = decision.report
    changes = [c.to_json(report.mode) for c in decision.breaking_changes]
    proposed = decision.verdict.version if decision.verdict else None
    proposal_id = ops._create(asset, doc, fingerprint(doc), head["version"], proposed,
                              report.mode, ops._consumer_teams(doc), {}, changes, reason,
                              len(proposals))
    created = ops._proposal(proposal_id)
    return [f"Proposed {asset} {head['version']} → {proposed} as {proposal_id}.",
            *ops._describe(created),
            "  once approved, `tessera publish` of the same file publishes it."]
