"""The product's words, defined once: compatibility modes, semver bumps, publish actions,
proposal and check statuses, consumer sources and event types.

Each is a `Literal` type (so a misspelt word is a type error) with one tuple of its values
(so code can iterate and validate). The SQL models read the event types and statuses from
`macros/config/vocabulary.sql` (through `tessera.word(kind, name)`);
`tests/project/test_architecture.py` holds the two against each other.
"""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["backward", "forward", "full", "none",
               "backward_transitive", "forward_transitive", "full_transitive"]
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "backward"

Bump = Literal["none", "patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = get_args(Bump)  # in increasing order

# What the hook does with one asset's contract (engine.publish.decide).
Action = Literal["publish", "unchanged", "unapproved", "held"]
ACTIONS: tuple[Action, ...] = get_args(Action)

ProposalStatus = Literal["pending", "approved", "rejected", "withdrawn", "expired",
                         "published"]
PROPOSAL_STATUSES: tuple[ProposalStatus, ...] = get_args(ProposalStatus)
OPEN_STATUSES: tuple[ProposalStatus, ...] = ("pending", "approved")
SETTLED_STATUSES: tuple[ProposalStatus, ...] = ("approved", "rejected", "expired")

Response = Literal["approved", "migrating", "blocked"]
RESPONSES: tuple[Response, ...] = get_args(Response)
# A required team's answer as tessera_acknowledgments shows it: `waiting` until it answers.
AckState = Literal["waiting", "approved", "migrating", "blocked"]
ACK_STATES: tuple[AckState, ...] = get_args(AckState)

# The one verdict on a changed contract (engine.decider.judge), which the hook maps to an
# Action, `tessera check` to a CheckStatus and `propose` to its answer.
Outcome = Literal["first", "unchanged", "graduation", "compatible", "pending_verification",
                  "breaking_approved", "breaking_pending", "breaking_unproposed", "held"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

# The verdict of `tessera check` on one asset.
CheckStatus = Literal["new", "unchanged", "compatible", "breaking-approved",
                      "breaking-pending", "breaking-unproposed", "removed"]
CHECK_STATUSES: tuple[CheckStatus, ...] = get_args(CheckStatus)
BLOCKING_STATUSES: tuple[CheckStatus, ...] = ("breaking-pending", "breaking-unproposed")

ConsumerSource = Literal["declared", "registered", "downstream", "exposure", "project"]
CONSUMER_SOURCES: tuple[ConsumerSource, ...] = get_args(ConsumerSource)

# What one dbt test (or freshness check) said, and what one invocation's tests said of one
# asset (tessera_audit_runs).
TestStatus = Literal["pass", "fail", "warn", "error", "skipped"]
TEST_STATUSES: tuple[TestStatus, ...] = get_args(TestStatus)
FAILED_STATUSES: tuple[TestStatus, ...] = ("fail", "error")
RunStatus = Literal["passed", "failed", "partial", "skipped"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)

# One row of a recorded membership (membership_recorded.status): a team's member, an
# admin, or the one row of a run that held no membership (anyone may answer).
MembershipRole = Literal["member", "admin", "unconfigured"]
MEMBERSHIP_ROLES: tuple[MembershipRole, ...] = get_args(MembershipRole)

# Where an asset's contract stands (tessera_contract_status.lifecycle).
Lifecycle = Literal["current", "retired"]
LIFECYCLES: tuple[Lifecycle, ...] = get_args(Lifecycle)

EventType = Literal[
    "contract_published", "change_unapproved", "publish_held",
    "proposal_created", "proposal_changes", "proposal_deadline", "proposal_required",
    "proposal_acknowledged", "proposal_resolved", "proposal_withdrawn", "proposal_forced",
    "proposal_published",
    "consumer_observed", "consumer_registered", "consumer_unregistered",
    "notification_failed",
    "proposal_reminder", "notification_sent", "contract_retired",
    "invocation_recorded",
    "asset_error", "drift_detected", "membership_recorded",
    "guarantee_failed", "guarantee_recovered",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
# The events whose fold is a proposal's life (engine.proposal, state.folds).
PROPOSAL_EVENTS: tuple[EventType, ...] = (
    "proposal_created", "proposal_acknowledged", "proposal_withdrawn", "proposal_forced",
    "proposal_published")
REGISTRATION_EVENTS: tuple[EventType, ...] = ("consumer_registered", "consumer_unregistered")
