"""The rule table: every kind of change tessera can report, with a stable id.

Ids are never renamed or reused (as `buf breaking` and ruff keep theirs); a retired id
stays listed. `breaks_under` names the base modes (`backward`, `forward`) a change of this
kind breaks by default; `full` breaks when either does and `none` never does. A change may
break less than its rule's default (an advisory or verified guarantee): the change carries
its own modes, the rule carries the default and the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(Enum):
    """How a non-breaking change of this kind bumps the version (compatibility.md, Semver)."""

    MINOR = "minor"  # structure, types, domain or guarantees changed
    PATCH = "patch"  # order, descriptions, meta, synonyms, SQL whitespace


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    breaks_under: frozenset[str]
    level: Level
    why: str
    fix: str
    aliases: tuple[str, ...] = ()
    # a finding is what one document says about itself (engine.served), shown by check,
    # the gate and the hook; never a change between versions, never breaking, no bump
    finding: bool = False


B = frozenset({"backward"})
F = frozenset({"forward"})
BF = frozenset({"backward", "forward"})
NONE: frozenset[str] = frozenset()

RULES: tuple[Rule, ...] = (
    Rule("COLUMN_ADDED", "A nullable column or nested field was added.", F, Level.MINOR,
         "Readers of the old contract do not expect the new field.",
         "Announce the column; under forward/full, ship it in a new model version."),
    Rule("COLUMN_ADDED_REQUIRED", "A required (NOT NULL) column or nested field was added.", BF,
         Level.MINOR,
         "Rows written before the change have no value for a column that may not be null.",
         "Add it as nullable first, backfill, then make it required in a later release."),
    Rule("COLUMN_REMOVED", "A nullable column or nested field was removed.", B, Level.MINOR,
         "Consumers that select the column fail.",
         "Keep the old column beside the new one, or ship a new dbt model version with "
         "`deprecation_date` on the old one."),
    Rule("COLUMN_REMOVED_REQUIRED", "A required (NOT NULL) column or nested field was removed.",
         BF, Level.MINOR,
         "Consumers that select the column fail, and readers relying on it always being "
         "present break.",
         "Keep the column until every consumer has migrated; propose the removal first."),
    Rule("NULLABILITY_TIGHTENED", "An existing column became required (schema only).", B,
         Level.MINOR, "Rows already written may hold nulls the new contract forbids.",
         "Backfill the nulls and prove it with a not_null test in the same build."),
    Rule("NULLABILITY_RELAXED", "An existing required column became nullable (schema only).", F,
         Level.MINOR, "Consumers that assume a value is always present meet nulls.",
         "Keep the column required, or add a default with coalesce()."),
    Rule("TYPE_WIDENED", "A column's type was widened losslessly (e.g. int → bigint).", F,
         Level.MINOR, "Readers of the old type may not hold the wider values.",
         "Fine under backward; under forward/full ship a new model version."),
    Rule("TYPE_NARROWED", "A column's type was narrowed (e.g. bigint → int).", B, Level.MINOR,
         "Values valid under the old type may no longer fit.",
         "Keep the wider type, or cast into a new column and deprecate the old one."),
    Rule("TYPE_CHANGED", "A column's type changed incompatibly (e.g. varchar → integer).", BF,
         Level.MINOR, "Consumers reading the old type break whichever way data flows.",
         "Add a new column with the new type beside the old one, or ship a new model version."),
    Rule("TYPE_SYNONYM", "A type was written differently but means the same (int → integer).",
         NONE, Level.PATCH, "Nothing changes for consumers.", "Nothing to do."),
    Rule("DOMAIN_NARROWED", "The allowed values shrank (enum value removed, bound tightened, "
         "pattern added).", B, Level.MINOR,
         "Values that were valid before are rejected now.",
         "Keep the old domain, or verify the data with a test in the same build."),
    Rule("DOMAIN_WIDENED", "The allowed values grew (enum value added, bound relaxed, pattern "
         "removed).", F, Level.MINOR,
         "Consumers that switch over every known value meet values they do not know.",
         "Tell consumers before adding values; under forward/full propose the change."),
    Rule("COLUMN_MOVED", "Columns were reordered.", NONE, Level.PATCH,
         "Nothing changes for consumers that select columns by name.",
         "Nothing to do; avoid `select *` by position downstream."),
    Rule("DESCRIPTION", "A description changed.", NONE, Level.PATCH,
         "Nothing changes in the data.", "Nothing to do.", aliases=("DESCRIPTION_CHANGED",)),
    Rule("META", "Metadata changed (owner, mode, dialect, tags, meta).", NONE,
         Level.PATCH, "Nothing changes in the data.", "Nothing to do.",
         aliases=("META_CHANGED",)),
    Rule("GUARANTEE_REMOVED", "A guarantee (dbt test, constraint, freshness) was removed.", BF,
         Level.MINOR, "Consumers rely on the promise it made.",
         "Keep the test; if it must go, propose the change so consumers can acknowledge."),
    Rule("GUARANTEE_LOOSENED", "A guarantee was loosened (values grown, window lengthened, "
         "error → warn, where added, target or SQL changed).", BF, Level.MINOR,
         "Consumers rely on the stronger promise.",
         "Keep the old guarantee, or propose the change so consumers can acknowledge."),
    Rule("GUARANTEE_ADDED", "A guarantee was added.", B, Level.MINOR,
         "A new promise narrows the domain: data already written may violate it.",
         "Run its test in the same build (dbt build): a passing test verifies it."),
    Rule("GUARANTEE_TIGHTENED", "A guarantee was tightened (values shrunk, window shortened, "
         "warn → error, where removed).", B, Level.MINOR,
         "Data already written may violate the stronger promise.",
         "Run its test in the same build (dbt build): a passing test verifies it."),
)

# Asset-level rules (docs/compatibility-extensions.md): the relation consumers query, its
# materialization, whether dbt enforces the declared types, and the asset itself.
RULES += (
    Rule("RELATION_CHANGED", "The relation consumers query moved (alias, schema, database, "
         "or a versioned model's latest_version).", BF, Level.MINOR,
         "Consumers keep querying the old relation: it is gone, or stale.",
         "Keep the old relation (a view on the new one, or `alias` unchanged) until consumers "
         "have moved; propose the move so they can acknowledge."),
    Rule("ASSET_UNQUERYABLE", "The asset no longer builds a relation (materialized as "
         "ephemeral).", BF, Level.MINOR,
         "There is nothing in the warehouse left to query.",
         "Keep a table or view materialization; put the ephemeral logic in a new model."),
    Rule("MATERIALIZATION_CHANGED", "The materialization changed between table, view, "
         "incremental, materialized_view or snapshot.", NONE, Level.PATCH,
         "Nothing by itself; constraints the new materialization does not enforce are "
         "reported as removed guarantees.",
         "Nothing to do, unless a removed constraint is reported beside it."),
    Rule("TYPES_UNENFORCED", "`contract.enforced` was turned off while the asset stays under "
         "contract.", B, Level.MINOR,
         "dbt no longer checks the declared column types at build: the type promise is "
         "loosened.",
         "Keep `contract: {enforced: true}`; propose the change if it must go."),
    Rule("FORM_CHANGED", "Only the form changed (a list reordered, SQL whitespace or "
         "comments): no promise did.", NONE, Level.PATCH,
         "Nothing changes for consumers; the version still moves, so the change is named.",
         "Nothing to do."),
    Rule("ACCESS_NARROWED", "A model's access narrowed (public → protected → private).", BF,
         Level.MINOR,
         "Models that `ref` it from other projects (public → protected) or from outside its "
         "group (→ private) fail to compile.",
         "Keep the wider access until those consumers have moved; propose the change so "
         "they can acknowledge."),
    Rule("ACCESS_WIDENED", "A model's access widened (private → protected → public).", NONE,
         Level.MINOR, "Nothing breaks: more models may `ref` it.",
         "Nothing to do; a public model is a promise to other projects from now on."),
    Rule("GROUP_CHANGED", "A private model moved to another group.", BF, Level.MINOR,
         "Models of the old group that `ref` it fail to compile.",
         "Make the model protected, or keep the group until its consumers have moved; "
         "propose the change."),
    Rule("GRAIN_CHANGED", "The grain loosened: an incremental model's or a snapshot's "
         "`unique_key` dropped or changed, or a strategy that appends duplicates.", BF,
         Level.MINOR,
         "Consumers join and count on one row per key: re-runs append duplicates, or a "
         "renamed entity gets two current rows.",
         "Keep the key; ship the new grain as a new model version and propose the move."),
    Rule("GRAIN_TIGHTENED", "The grain tightened: a `unique_key` added or narrowed.", NONE,
         Level.MINOR, "Nothing breaks: each entity is written once.", "Nothing to do."),
    Rule("SNAPSHOT_SEMANTICS_CHANGED", "What a snapshot's current row is changed: its meta "
         "column names, `dbt_valid_to_current` or hard-delete handling.", BF, Level.MINOR,
         "Consumers filter on `dbt_valid_to is null` or on the meta columns: the filter "
         "returns nothing, or deleted rows stay current.",
         "Keep the snapshot's configuration; snapshot into a new relation and propose the "
         "move."),
    Rule("SNAPSHOT_TRACKING_CHANGED", "When a snapshot records a new version changed "
         "(`strategy`, `check_cols`, `updated_at`).", NONE, Level.MINOR,
         "Rows keep their meaning; history is recorded on other changes from now on.",
         "Tell consumers who read the history."),
    Rule("ASSET_REMOVED", "A published asset was deleted, disabled or taken out of contract.",
         BF, Level.MINOR, "Its consumers lose the asset.",
         "Propose its retirement (`tessera.propose` on it): its consumers acknowledge, and "
         "the next build records it retired."),
)

# Served-schema findings (engine.served; docs/contracts.md, "Served and declared columns"):
# what the YAML says against what the relation serves.
RULES += (
    Rule("DECLARED_NOT_SERVED", "A column the YAML documents is not served by the relation.",
         NONE, Level.PATCH,
         "Consumers cannot read a column the relation does not have; the contract promises "
         "only what is served, so the column is not in it.",
         "Restore the column in the SQL, or remove it from the YAML.", finding=True),
    Rule("DECLARED_TYPE_DIFFERS", "A column's declared `data_type` differs from the type the "
         "relation serves.", NONE, Level.PATCH,
         "Consumers read the served type, whatever the YAML says; the contract holds the "
         "served one.",
         "Fix the cast in the SQL, or the `data_type` in the YAML.", finding=True),
    Rule("CONTRACT_THIN", "The contract lists no column, or fewer than the relation serves.",
         NONE, Level.PATCH,
         "Every served column is promised (an undocumented one is marked `x-undocumented`); "
         "a consumer cannot tell which ones the producer meant to promise.",
         "Document every column consumers read in the model's YAML.", finding=True),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
for _rule in RULES:
    for _alias in _rule.aliases:
        RULES_BY_ID.setdefault(_alias, _rule)
