"""`dbt run-operation tessera.propose`, and the helpers every operation shares: reading
and folding the state, writing events (with notifications), describing a proposal.

`propose` asks the one decider (`engine.decider.judge`, as the hook and `tessera check`
do) and answers truthfully for every state: not under contract, nothing published,
unchanged, compatible (pending verification or not), a pre-release, breaking (a new
proposal, or the open one), and an asset that left contract or was deleted (a retirement
proposal: its consumers acknowledge, and the hook records `contract_retired` once it is
approved and the asset is gone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..artifacts.nodes import is_under_contract, tessera_meta
from ..engine.decider import judge, proposal_answer, retirement_change
from ..engine.errors import ConfigError
from ..engine.matching import published_name
from ..engine.proposal import DEFAULT_EXPIRY_DAYS, Proposal, open_proposal
from ..engine.publish import fingerprint
from ..engine.text import proposal_lines
from ..engine.vocabulary import (
    PROPOSAL_EVENTS,
    REGISTRATION_EVENTS,
    SETTLED_STATUSES,
    EventType,
)
from ..lineage.columns import changed_columns_of
from ..lineage.consumers import asked_consumers
from ..state.events import event, proposal_events
from ..state.events import proposal_id as new_proposal_id
from ..state.folds import fold_proposals, fold_registrations
from .compile import compile_nodes
from .delivery import due_reminders
from .invocation import Invocation
from .judging import Judge


class Proposing(Invocation):
    def _events(self, types: tuple[str, ...], asset: str | None = None) -> list[dict[str, Any]]:
        self.store.ensure_tables()
        return self.store.events(types, asset)

    def _proposals(self, asset: str | None = None) -> dict[str, Proposal]:
        """Proposals as of now; a settlement (approved, rejected, expired) seen for the
        first time is recorded, so the BI models show it without re-implementing the rules."""
        events = self._events((*PROPOSAL_EVENTS, "proposal_resolved"), asset)
        proposals = fold_proposals(events, self.now, self.membership)
        recorded = {e["proposal_id"] for e in events
                    if e["event_type"] == "proposal_resolved"}
        # one settlement per proposal: its id is the proposal's alone, so two readers that
        # settled it differently (racing, without a lock) store one, the first
        # (reason: the event that settled it, so tessera_acknowledgments ignores later
        # answers as the fold does)
        settled = [self._event("proposal_resolved", asset=p.asset,
                               proposal_id=p.proposal_id, status=p.status,
                               reason=p.settled_by)
                   for p in proposals.values()
                   if p.status in SETTLED_STATUSES and not p.forced
                   and p.proposal_id not in recorded]
        reminders, _ = due_reminders(self, proposals)
        if settled or reminders:
            self._write(*settled, *reminders)
        return proposals

    def _proposal(self, proposal_id: str) -> Proposal:
        proposal = self._proposals().get(proposal_id)
        if proposal is None:
            raise ConfigError(f"proposal_id {proposal_id!r}: no such proposal",
                              "list them with `dbt run-operation tessera.status`")
        return proposal

    def _event(self, kind: EventType, identity: tuple[Any, ...] | None = None,
               **fields: Any) -> dict[str, Any]:
        return event(kind, identity, **self.event_context, **fields)

    def _write(self, *events: dict[str, Any]) -> None:
        """Record; what was written is notified after the commit (delivery.deliver_written)."""
        written, _ = self.store.write(list(events), [], self.invocation_id)
        self.undelivered.extend(written)

    def _consumer_teams(self, doc: Mapping[str, Any]) -> list[str]:
        teams = {c["team"] for c in doc.get("consumers") or () if c.get("team")}
        teams |= set(fold_registrations(self._events(REGISTRATION_EVENTS, doc["asset"]))
                     .get(doc["asset"], {}))
        teams.discard(doc.get("owner"))
        return sorted(teams)

    def propose(self, model: str, version: str | None = None,
                reason: str | None = None) -> list[str]:
        self.store.ensure_tables()
        heads = self.store.published_heads()
        try:
            uid, node = self.find_asset(model)
        except ConfigError:
            gone = self._published_asset(model, heads)
            if gone is None:
                raise
            return self._propose_retirement(gone, None, version, reason)
        self.probe([uid])  # what its SQL would serve, as the gate sees it
        doc = self.document(uid)
        asset = doc["asset"]
        if not is_under_contract(node):
            if asset in heads:
                return self._propose_retirement(asset, node, version, reason)
            return [f"{asset} is not under contract (no `contract: {{enforced: true}}` and no "
                    "`meta.tessera`): nothing is published for it and there is nothing to "
                    "propose."]
        if asset not in heads:  # a relation moved (alias, schema): its published asset
            asset = Judge(self).matched({uid: doc}, heads).get(uid, asset)
            doc = {**doc, "asset": asset}
        head = heads.get(asset)
        history = self.store.contract_histories([asset]).get(asset, []) if head else []
        proposals = self._proposals(asset)
        mine = [p for p in proposals.values() if p.asset == asset]
        declared = (tessera_meta(node) or {}).get("version")
        verdict = judge(doc, history, proposals=mine,
                        declared_version=str(declared) if declared else None,
                        published_version=head["version"] if head else None)
        answer = proposal_answer(asset, verdict)
        if answer is not None:
            return [answer]
        pending = open_proposal(proposals, asset)
        if pending is not None:
            return [f"{asset} already has a {pending.status} proposal {pending.proposal_id}:",
                    *self._describe(pending)]
        report = verdict.report
        assert report is not None and head is not None
        breaking = verdict.breaking_changes
        required, exempt, lineage_notes = self._required_teams(uid, doc, history[-1],
                                                               breaking)
        proposed = version or verdict.version
        changes = [c.to_json(report.mode) for c in breaking]
        proposal_id = self._create(asset, doc, fingerprint(doc), head["version"], proposed,
                                   report.mode, required, exempt, changes, reason,
                                   len(proposals))
        created = self._proposal(proposal_id)
        return [f"Proposed {asset} {head['version']} → {proposed} as {proposal_id}.",
                *self._rejected_before(verdict.last),
                *self._describe(created),
                *(f"  not asked: {team} ({why})" for team, why in sorted(exempt.items())),
                *lineage_notes]

    def _create(self, asset: str, doc: Mapping[str, Any], fp: str, published: str,
                proposed: str | None, mode: str, required: list[str], exempt: dict[str, str],
                changes: list[dict[str, Any]], reason: str | None, earlier: int,
                retire: bool = False) -> str:
        proposal_id = new_proposal_id(asset, published, earlier)
        days = self.settings.get("proposal_expiry_days")
        days = DEFAULT_EXPIRY_DAYS if days is None else int(days)
        expires_at = (self.now + dt.timedelta(days=days)).isoformat()
        self._write(*proposal_events(
            proposal_id, asset, proposed, {
                "required_acks": required, "breaking_changes": changes, "exempt": exempt,
                "retire": retire,
                "approve_without_consumers":
                    not self.settings.get("require_force_without_consumers"),
                "expires_at": expires_at, "contract": {**doc, "version": proposed}},
            self.event_context, owner=doc.get("owner"), compatibility=mode, fingerprint=fp,
            reason=reason))
        return proposal_id

    @staticmethod
    def _rejected_before(last: Proposal | None) -> list[str]:
        """The asset's previous proposal was rejected: say so, with each blocking team's
        comment, so a re-proposal does not pretend it is the first ask."""
        if last is None or last.status != "rejected":
            return []
        lines = [f"  note: the previous proposal {last.proposal_id} was rejected"]
        for team, ack in sorted(last.acks.items()):
            if ack.get("response") == "blocked":
                comment = ack.get("comment")
                lines.append(f"    {team} blocked it" + (f": {comment!r}" if comment else
                                                         " (no comment)"))
        return lines

    def _published_asset(self, model: str, heads: Mapping[str, Any]) -> str | None:
        """A published asset the manifest no longer has, named by its asset name, dbt
        name (`name.vN`) or unique_id as it was published (engine.matching)."""
        if model in heads:
            return model
        last = {a: h[-1] for a, h in self.store.contract_histories(list(heads)).items() if h}
        return published_name(model, heads, last)

    def _propose_retirement(self, asset: str, node: Mapping[str, Any] | None,
                            version: str | None, reason: str | None) -> list[str]:
        """A published asset deleted, disabled or taken out of contract: its consumers are
        asked to acknowledge the removal before it is recorded as retired."""
        history = self.store.contract_histories([asset]).get(asset, [])
        head = history[-1]
        proposals = self._proposals(asset)
        pending = open_proposal(proposals, asset)
        if pending is not None:
            return [f"{asset} already has a {pending.status} proposal {pending.proposal_id}:",
                    *self._describe(pending)]
        how = "no longer under contract" if node is not None else "deleted or disabled"
        change = retirement_change(head, how)
        teams = self._consumer_teams(head)
        deprecation = ((node or {}).get("deprecation_date")
                       or (head.get("x-dbt") or {}).get("deprecation_date"))
        mode = str(head.get("compatibility") or "backward")
        proposal_id = self._create(asset, head, "retire:" + fingerprint(head),
                                   str(head.get("version")), version or None, mode, teams, {},
                                   [change.to_json(mode)], reason, len(proposals), retire=True)
        created = self._proposal(proposal_id)
        last = list(proposals.values())[-1] if proposals else None
        return [f"Proposed retiring {asset} {head.get('version')} ({how}) as {proposal_id}.",
                *([f"  deprecation_date: {deprecation}"] if deprecation else []),
                *self._rejected_before(last),
                *self._describe(created),
                "  once approved, the next `dbt build` without the asset records it as "
                "retired (contract_retired)."]

    def _required_teams(self, uid: str, doc: Mapping[str, Any], published: Mapping[str, Any],
                        changes: Sequence[Any]) -> tuple[list[str], dict[str, str], list[str]]:
        """The teams asked (`lineage.consumers.asked_consumers`, as `tessera check` asks:
        the consumers of the version in force and of the new contract, and the registered
        teams, less those that read no changed column), the teams exempted with the
        reason, and a note when column lineage had to assume "reads everything"."""
        registered = fold_registrations(self._events(REGISTRATION_EVENTS, doc["asset"])
                                        ).get(doc["asset"], {})
        columns = [*((published.get("schema") or {}).get("properties") or {}),
                   *((doc.get("schema") or {}).get("properties") or {})]
        failure: list[str] = []

        def compile_sql(ids: list[str]) -> dict[str, str]:
            compiled, why = compile_nodes(self.payload.get("adapter"), ids)
            if why:
                failure.append(f"  column lineage: {why}; those models count as reading "
                               "every column")
            return compiled

        asked = asked_consumers(self.manifest, uid, doc, changed_columns_of(changes, columns),
                                (), registered, published, compile_sql=compile_sql)
        return asked.teams, dict(asked.exempt), failure

    def _describe(self, p: Proposal) -> list[str]:
        return proposal_lines(p)

