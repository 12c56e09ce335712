"""`dbt run-operation tessera.<op>`: propose, acknowledge, withdraw, force_publish,
register, unregister, status, export.

Each operation checks every argument before it writes anything (a malformed `--args` is
one line naming the argument), records events with deterministic ids (re-running an
operation records nothing twice) and returns the lines dbt prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine.compat import classify, classify_against_history
from ..engine.errors import ConfigError
from ..engine.proposal import DEFAULT_EXPIRY_DAYS, Proposal, open_proposal
from ..engine.publish import fingerprint
from ..engine.semver import bump_version
from ..engine.suggest import did_you_mean
from ..engine.vocabulary import (
    PROPOSAL_EVENTS,
    REGISTRATION_EVENTS,
    RESPONSES,
    SETTLED_STATUSES,
    EventType,
)
from ..lineage.columns import changed_columns_of
from ..lineage.consumers import affected_consumers
from ..state.events import event
from ..state.events import proposal_id as new_proposal_id
from ..state.export import PublishedState, write_export
from ..state.folds import fold_proposals, fold_registrations
from ..state.store import EVENTS
from .compile import compile_nodes
from .delivery import due_reminders, notify_and_record
from .inbox import answer_command
from .inbox import inbox as _inbox
from .invocation import Invocation
from .operation_args import OPERATION_ARGS, check_args
from .teams import check_new_team, known_teams


class Operations(Invocation):
    def _events(self, types: tuple[str, ...], asset: str | None = None) -> list[dict[str, Any]]:
        self.store.ensure_tables()
        return self.store.events(types, asset)

    def _proposals(self, asset: str | None = None) -> dict[str, Proposal]:
        """Proposals as of now; a settlement (approved, rejected, expired) seen for the
        first time is recorded, so the BI models show it without re-implementing the rules."""
        events = self._events((*PROPOSAL_EVENTS, "proposal_resolved"), asset)
        proposals = fold_proposals(events, self.now)
        recorded = {(e["proposal_id"], e["status"]) for e in events
                    if e["event_type"] == "proposal_resolved"}
        settled = [self._event("proposal_resolved", (p.proposal_id, p.status), asset=p.asset,
                               proposal_id=p.proposal_id, status=p.status)
                   for p in proposals.values()
                   if p.status in SETTLED_STATUSES and not p.forced
                   and (p.proposal_id, p.status) not in recorded]
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

    def _event(self, kind: EventType, identity: tuple[Any, ...], **fields: Any
               ) -> dict[str, Any]:
        return event(kind, identity, **self.event_context, **fields)

    notes: list[str]

    def _write(self, *events: dict[str, Any]) -> None:
        """Record, then notify (a failed delivery is reported and recorded, never raised)."""
        written, _ = self.store.write(list(events), [], self.invocation_id)
        failures = notify_and_record(self, written)
        if failures:
            self.notes = [*getattr(self, "notes", []), *failures]

    def _consumer_teams(self, doc: Mapping[str, Any]) -> list[str]:
        teams = {c["team"] for c in doc.get("consumers") or () if c.get("team")}
        teams |= set(fold_registrations(self._events(REGISTRATION_EVENTS, doc["asset"]))
                     .get(doc["asset"], {}))
        teams.discard(doc.get("owner"))
        return sorted(teams)

    def propose(self, model: str, version: str | None = None,
                reason: str | None = None) -> list[str]:
        uid, node = self.find_asset(model)
        doc = self.extractor.document(uid, node)
        asset = doc["asset"]
        self.store.ensure_tables()
        head = self.store.published_heads().get(asset)
        if head is None:
            return [f"{asset}: nothing is published yet; the next `dbt build` publishes 1.0.0 "
                    "(no proposal needed)."]
        history = self.store.contract_histories([asset]).get(asset, [])
        report = (classify_against_history(history, doc) if len(history) > 1
                  else classify(history[-1], doc))
        if not report.breaking:
            return [f"{asset}: the change is not breaking under {report.mode} "
                    f"(suggested bump: {report.suggested_bump}); no proposal needed, the next "
                    "`dbt build` publishes it."]
        pending = open_proposal(self._proposals(asset), asset)
        if pending is not None:
            return [f"{asset} already has a {pending.status} proposal {pending.proposal_id}:",
                    *self._describe(pending)]
        required, exempt, lineage_notes = self._required_teams(uid, doc, history[-1],
                                                               report.breaking_changes)
        proposed = version or bump_version(head["version"], "major")
        earlier = len(self._proposals(asset))
        proposal_id = new_proposal_id(asset, fingerprint(doc), head["version"], earlier)
        days = self.settings.get("proposal_expiry_days")
        days = DEFAULT_EXPIRY_DAYS if days is None else int(days)
        changes = [c.to_json(report.mode) for c in report.breaking_changes]
        expires_at = (self.now + dt.timedelta(days=days)).isoformat()
        self._write(
            self._event(
                "proposal_created", (proposal_id,), asset=asset, proposal_id=proposal_id,
                version=proposed, owner=doc.get("owner"), compatibility=report.mode,
                fingerprint=fingerprint(doc), status="pending", reason=reason,
                payload={"required_acks": required, "breaking_changes": changes,
                         "exempt": exempt,
                         "approve_without_consumers":
                             not self.settings.get("require_force_without_consumers"),
                         "expires_at": expires_at,
                         "contract": {**doc, "version": proposed}}),
            # typed companions of the creation, so SQL models need no JSON functions
            self._event("proposal_changes", (proposal_id,), asset=asset,
                        proposal_id=proposal_id, payload=changes),
            # the deadline as text, so tessera_proposals shows an expiry nobody has read yet
            self._event("proposal_deadline", (proposal_id,), asset=asset,
                        proposal_id=proposal_id, reason=expires_at),
            *(self._event("proposal_required", (proposal_id, team), asset=asset,
                          proposal_id=proposal_id, team=team) for team in required))
        created = self._proposal(proposal_id)
        return [f"Proposed {asset} {head['version']} → {proposed} as {proposal_id}.",
                *self._describe(created),
                *(f"  not asked: {team} ({why})" for team, why in sorted(exempt.items())),
                *lineage_notes]

    def _required_teams(self, uid: str, doc: Mapping[str, Any], published: Mapping[str, Any],
                        changes: Sequence[Any]) -> tuple[list[str], dict[str, str], list[str]]:
        """Consumer teams that read a changed column (docs/lineage.md), the teams exempted
        with the reason, and a note when column lineage had to assume "reads everything"."""
        teams = self._consumer_teams(doc)
        columns = [*((published.get("schema") or {}).get("properties") or {}),
                   *((doc.get("schema") or {}).get("properties") or {})]
        changed = changed_columns_of(changes, columns)
        if changed is None or not teams:
            return teams, {}, []
        failure: list[str] = []

        def compile_sql(ids: list[str]) -> dict[str, str]:
            compiled, why = compile_nodes(self.payload.get("adapter"), ids)
            if why:
                failure.append(f"  column lineage: {why}; those models count as reading "
                               "every column")
            return compiled

        verdicts = affected_consumers(
            self.manifest, uid, doc, changed,
            registered=dict.fromkeys(set(teams) - {c.get("team") for c in
                                                   doc.get("consumers") or ()}),
            compile_sql=compile_sql)
        affected = {v.team for v in verdicts if v.affected}
        judged = {v.team for v in verdicts}
        required = sorted(t for t in teams if t in affected or t not in judged)
        exempt = {v.team: v.reasons[0] for v in verdicts
                  if v.team not in required and v.team in teams}
        return required, exempt, failure

    def _describe(self, p: Proposal) -> list[str]:
        lines = [f"  status: {p.status}"]
        for change in p.breaking_changes:
            lines.append(f"  ✗ {change['rule']} at `{change['path']}`: {change['message']}")
        if p.required:
            lines.append("  required acknowledgments: " + ", ".join(
                f"{t} ({p.acks[t]['response']})" if t in p.acks else f"{t} (waiting)"
                for t in p.required))
        elif p.status == "approved":
            lines.append("  no consumer team to acknowledge: approved at once")
        else:
            lines.append("  no consumer team to acknowledge; this project requires "
                         "`tessera.force_publish` with a reason")
        if p.status == "pending":
            lines.append(f"  next: each team runs `{answer_command(p.proposal_id, '<team>')}`")
        elif p.status == "approved":
            lines.append("  next: the next `dbt build` publishes it")
        return lines

    def acknowledge(self, proposal_id: str, team: str, response: str,
                    comment: str | None = None, migration_deadline: str | None = None
                    ) -> list[str]:
        if response not in RESPONSES:
            raise ConfigError(f"tessera.acknowledge: argument 'response' is {response!r}",
                              f"use one of: {', '.join(RESPONSES)}")
        proposal = self._proposal(proposal_id)
        if team not in proposal.required:
            raise ConfigError(f"team {team!r} is not asked to acknowledge {proposal_id}"
                              f"{did_you_mean(team, proposal.required)}",
                              "required: " + (", ".join(proposal.required) or "nobody"))
        members = (self.settings.get("teams") or {}).get(team)
        if members and self.actor not in members:
            raise ConfigError(f"warehouse user {self.actor!r} may not answer for team {team!r}",
                              f"its members are: {', '.join(members)}")
        if proposal.status != "pending":
            if proposal.acks.get(team, {}).get("response") == response:
                return [f"{team} already answered {response} on {proposal_id}.",
                        *self._describe(proposal)]
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; acknowledgments "
                              "are taken only while it is pending")
        self._write(self._event(
            "proposal_acknowledged", (proposal_id, team, response, comment),
            asset=proposal.asset, proposal_id=proposal_id, team=team, status=response,
            reason=comment,  # plain text, as given: tessera_acknowledgments.comment
            payload={"comment": comment, "migration_deadline": migration_deadline}))
        proposal = self._proposal(proposal_id)
        return [f"{team} answered {response} on {proposal_id} ({proposal.asset}).",
                *self._describe(proposal)]

    def withdraw(self, proposal_id: str, reason: str | None = None) -> list[str]:
        proposal = self._proposal(proposal_id)
        if proposal.status == "withdrawn":
            return [f"{proposal_id} is already withdrawn."]
        if proposal.status not in ("pending", "approved"):
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; only a pending or "
                              "approved proposal can be withdrawn")
        self._write(self._event("proposal_withdrawn", (proposal_id,), asset=proposal.asset,
                                proposal_id=proposal_id, status="withdrawn", reason=reason))
        return [f"Withdrew {proposal_id} ({proposal.asset})."]

    def force_publish(self, proposal_id: str, reason: str) -> list[str]:
        proposal = self._proposal(proposal_id)
        if proposal.forced:
            return [f"{proposal_id} is already forced; the next `dbt build` publishes it."]
        if proposal.status not in ("pending", "rejected"):
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; force_publish "
                              "applies to a pending or rejected proposal")
        self._write(self._event("proposal_forced", (proposal_id,), asset=proposal.asset,
                                proposal_id=proposal_id, status="approved", reason=reason))
        return [f"Forced {proposal_id} ({proposal.asset}) without every acknowledgment; "
                f"recorded with the reason: {reason}. The next `dbt build` publishes it."]

    def register(self, model: str, team: str, purpose: str | None = None) -> list[str]:
        uid, node = self.find_asset(model)
        asset = self.extractor.document(uid, node)["asset"]
        registered = fold_registrations(self._events(REGISTRATION_EVENTS))
        current = registered.get(asset, {})
        if team in current:
            return [f"{team} is already registered as a consumer of {asset}."]
        check_new_team(team, known_teams(self.manifest, self.settings,
                                         [t for ts in registered.values() for t in ts]),
                       "register")
        count = len(self._events(REGISTRATION_EVENTS, asset))
        self._write(self._event("consumer_registered", (asset, team, count), asset=asset,
                                team=team, reason=purpose))
        return [f"Registered {team} as a consumer of {asset}: it will be asked to acknowledge "
                "breaking changes."]

    def unregister(self, model: str, team: str) -> list[str]:
        uid, node = self.find_asset(model)
        asset = self.extractor.document(uid, node)["asset"]
        current = fold_registrations(self._events(REGISTRATION_EVENTS, asset)).get(asset, {})
        if team not in current:
            return [f"{team} is not registered as a consumer of {asset}; nothing to do."]
        count = len(self._events(REGISTRATION_EVENTS, asset))
        self._write(self._event("consumer_unregistered", (asset, team, count), asset=asset,
                                team=team))
        return [f"Unregistered {team} from {asset}."]

    def status(self, model: str | None = None) -> list[str]:
        asset = None
        if model:
            uid, node = self.find_asset(model)
            asset = self.extractor.document(uid, node)["asset"]
        self.store.ensure_tables()
        heads = self.store.published_heads()
        proposals = self._proposals(asset)
        lines = []
        for name in sorted(a for a in heads if asset is None or a == asset):
            lines.append(f"{name}: {heads[name]['version']}")
            for p in proposals.values():
                if p.asset == name:
                    lines.append(f"  proposal {p.proposal_id} → {p.proposed_version}: {p.status}")
        return lines or ["No published contract yet."]

    def export(self, out: str) -> list[str]:
        """Read-only: production's published state as files for `tessera check --baseline`
        (nothing is created or recorded, not even a missing state table)."""
        histories: dict[str, list[dict[str, Any]]] = {}
        proposals: dict[str, Proposal] = {}
        registrations: dict[str, dict[str, str | None]] = {}
        if self.store.relations[EVENTS].get("exists"):
            histories = self.store.contract_histories(list(self.store.published_heads()))
            proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now)
            registrations = fold_registrations(self.store.events(REGISTRATION_EVENTS))
        write_export(out, PublishedState(histories, proposals, registrations,
                                         self.manifest.project_name, self.target_name,
                                         self.now.isoformat()))
        return [f"Exported {len(histories)} published contract(s) and {len(proposals)} "
                f"proposal(s) of target {self.target_name} to {out}."]

    inbox = _inbox


_HANDLERS: dict[str, Callable[..., list[str]]] = {
    name: getattr(Operations, name) for name in OPERATION_ARGS}


def run_operation(payload: dict[str, Any]) -> dict[str, Any]:
    op = str(payload.get("op"))
    if op not in OPERATION_ARGS:
        raise ConfigError(f"unknown operation tessera.{op}",
                          f"use one of: {', '.join(OPERATION_ARGS)}")
    raw = payload.get("args") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"tessera.{op}: --args must be a mapping, got {raw!r}")
    args = check_args(op, dict(raw))
    ops = Operations(payload)
    lines = _HANDLERS[op](ops, **args)
    return {"lines": [*lines, *getattr(ops, "notes", [])]}
