"""`dbt run-operation tessera.<op>`: propose, acknowledge, withdraw, force_publish,
register, unregister, status, export, inbox, publish_contract (runtime.external).

Each operation checks every argument before it writes anything (a malformed `--args` is
one line naming the argument), records events with deterministic ids (re-running an
operation records nothing twice) and returns the lines dbt prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine.errors import ConfigError
from ..engine.membership import answer_refusal, decision_refusal
from ..engine.proposal import Proposal
from ..engine.suggest import did_you_mean
from ..engine.vocabulary import PROPOSAL_EVENTS, REGISTRATION_EVENTS, RESPONSES
from ..state.events import acknowledgment_event, forced_event, withdrawal_event
from ..state.export import PublishedState, publication_rows, write_export
from ..state.folds import current_drift, fold_proposals, fold_registrations
from ..state.odcs import write_odcs_export
from ..state.store import EVENTS
from .delivery import deliver_written
from .external import publish_contract
from .inbox import inbox as _inbox
from .location import remember
from .operation_args import OPERATION_ARGS, check_args, check_choice, raw_args
from .proposing import Proposing
from .teams import check_new_team, known_teams, registry_applies

EXPORT_FORMATS = ("tessera", "odcs")


class Operations(Proposing):
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
        refusal = answer_refusal(self.rights(), self.actor, team)
        if refusal is not None:
            raise refusal
        if proposal.status != "pending":
            if proposal.acks.get(team, {}).get("response") == response:
                return [f"{team} already answered {response} on {proposal_id}.",
                        *self._describe(proposal)]
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; acknowledgments "
                              "are taken only while it is pending")
        self._write(acknowledgment_event(proposal_id, proposal.asset, team, response, comment,
                                         migration_deadline, self.event_context))
        proposal = self._proposal(proposal_id)
        return [f"{team} answered {response} on {proposal_id} ({proposal.asset}).",
                *self._describe(proposal)]

    def _may_decide(self, proposal: Proposal, op: str) -> None:
        """withdraw and force_publish: a member of the owner team or an admin, once
        membership is configured (engine.membership)."""
        refusal = decision_refusal(self.rights(), self.actor, proposal.contract.get("owner"),
                                   op)
        if refusal is not None:
            raise refusal

    def withdraw(self, proposal_id: str, reason: str | None = None) -> list[str]:
        proposal = self._proposal(proposal_id)
        self._may_decide(proposal, "withdraw")
        if proposal.status == "withdrawn":
            return [f"{proposal_id} is already withdrawn."]
        if proposal.status not in ("pending", "approved"):
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; only a pending or "
                              "approved proposal can be withdrawn")
        self._write(withdrawal_event(proposal_id, proposal.asset, reason, self.event_context))
        return [f"Withdrew {proposal_id} ({proposal.asset})."]

    def force_publish(self, proposal_id: str, reason: str) -> list[str]:
        proposal = self._proposal(proposal_id)
        self._may_decide(proposal, "force_publish")
        if proposal.forced:
            return [f"{proposal_id} is already forced; the next `dbt build` publishes it."]
        if proposal.status not in ("pending", "rejected"):
            raise ConfigError(f"proposal {proposal_id} is {proposal.status}; force_publish "
                              "applies to a pending or rejected proposal")
        self._write(forced_event(proposal_id, proposal.asset, reason, self.event_context))
        return [f"Forced {proposal_id} ({proposal.asset}) without every acknowledgment; "
                f"recorded with the reason: {reason}. The next `dbt build` publishes it."]

    def register(self, model: str, team: str, purpose: str | None = None) -> list[str]:
        uid, node = self.find_asset(model)
        asset = self.extractor.document(uid, node)["asset"]
        registered = fold_registrations(self._events(REGISTRATION_EVENTS))
        current = registered.get(asset, {})
        if team in current:
            return [f"{team} is already registered as a consumer of {asset}."]
        membership = self.rights()
        check_new_team(team, known_teams(self.manifest, membership,
                                         [t for ts in registered.values() for t in ts]),
                       "register", strict=registry_applies(self.manifest, membership))
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
        drifts = current_drift(self._events(("drift_detected",), asset), heads)
        lines = []
        for name in sorted(a for a in heads if asset is None or a == asset):
            lines.append(f"{name}: {heads[name]['version']}")
            if name in drifts:
                lines.append(f"  drift: {drifts[name]}")
            for p in proposals.values():
                if p.asset == name:
                    lines.append(f"  proposal {p.proposal_id} → {p.proposed_version}: {p.status}")
                    lines += [f"    ignored: {i['event'].removeprefix('proposal_')} "
                              f"{('for ' + str(i['team']) + ' ') if i.get('team') else ''}"
                              f"by {i.get('actor')!r}: {i['why']}" for i in p.ignored]
        return lines or ["No published contract yet."]

    def export(self, out: str, format: str = "tessera") -> list[str]:
        """Read-only: production's published state as files for `tessera check --baseline`,
        or as ODCS documents (nothing is created or recorded, not even a missing state
        table)."""
        check_choice("export", "format", format, EXPORT_FORMATS)
        histories: dict[str, list[dict[str, Any]]] = {}
        proposals: dict[str, Proposal] = {}
        registrations: dict[str, dict[str, str | None]] = {}
        publications: dict[str, list[dict[str, Any]]] = {}
        if self.store.relations[EVENTS].get("exists"):
            histories = self.store.contract_histories(list(self.store.published_heads()))
            publications = publication_rows(self.store.events(("contract_published",)))
            proposals = fold_proposals(self.store.events(PROPOSAL_EVENTS), self.now,
                                       self.membership)
            registrations = fold_registrations(self.store.events(REGISTRATION_EVENTS))
        state = PublishedState(histories, proposals, registrations,
                               self.manifest.project_name, self.target_name,
                               self.now.isoformat(), publications)
        if format == "odcs":
            written = write_odcs_export(out, state, self.now.date())
            return [f"Exported {written} ODCS v3.1.0 document(s) ({len(histories)} published "
                    f"contract(s), open proposals as status proposed) of target "
                    f"{self.target_name} to {out}."]
        write_export(out, state)
        return [f"Exported {len(histories)} published contract(s) and {len(proposals)} "
                f"proposal(s) of target {self.target_name} to {out}."]

    inbox = _inbox
    publish_contract = publish_contract


_HANDLERS: dict[str, Callable[..., list[str]]] = {
    name: getattr(Operations, name) for name in OPERATION_ARGS}


def run_operation(payload: dict[str, Any]) -> dict[str, Any]:
    op = str(payload.get("op"))
    if op not in OPERATION_ARGS:
        raise ConfigError(f"unknown operation tessera.{op}",
                          f"use one of: {', '.join(OPERATION_ARGS)}")
    args = check_args(op, raw_args(op, payload))
    ops = Operations(payload)
    remember(payload, (payload.get("graph") or {}).get("nodes") or {})
    if op == "export":  # read-only, and a way out of a damaged state
        lines = _HANDLERS[op](ops, **args)
    else:  # read, decide and write as the only writer (StateStore.exclusive)
        with ops.store.exclusive():
            lines = _HANDLERS[op](ops, **args)
    return {"lines": [*lines, *deliver_written(ops)]}


def run_read(payload: dict[str, Any], args: dict[str, Any]) -> list[str]:
    """A read-only operation (inbox, status, export) as run_operation runs it, on a
    connection that refuses writes (cli.direct): a damaged state is refused the same way,
    and whatever would be written (a settlement, a reminder) fails the read instead."""
    op = str(payload["op"])
    ops = Operations(payload)
    if op != "export":
        ops.store.check_integrity()
    return _HANDLERS[op](ops, **args)
