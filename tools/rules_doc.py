"""Render docs/rules.md (the index) and docs/rules/<RULE>.md (one page per rule id) from the
rule table, so the docs cannot drift from the code.

Each page's example is the first case of `tests/cases/compat/<RULE>.yml` (written from the
specification) that shows the rule, and its verdict is what the engine says about it when
the page is generated: a page never claims a verdict the engine does not give.

    python -m tessera_dbt.rules_doc      # rewrites docs/rules.md and docs/rules/*.md
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from tessera_dbt.engine.changes import base_mode, breaks_in
from tessera_dbt.engine.compat import classify
from tessera_dbt.engine.decider import removal_report
from tessera_dbt.engine.rules import RULES, Rule
from tessera_dbt.engine.served import served_findings, with_served
from tessera_dbt.engine.text import diff_text
from tessera_dbt.engine.vocabulary import MODES

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "compat"
COMMAND = "python -m tools.rules_doc"


# Where tessera's verdict deliberately differs from dbt's own contract check
# (`state:modified` on enforced contracts, its UnversionedBreakingChange warning). The
# oracle (tests/engine/test_oracle.py) requires every edit dbt calls breaking and tessera does not
# to be listed here by its case name. (edit, what dbt says, what tessera says, why)
DBT_DIFFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("type_widened", "breaking (data_type changed)", "TYPE_WIDENED: compatible under "
     "`backward`, breaking under `forward`/`full`",
     "dbt calls any data_type edit breaking; integer → bigint is lossless for every reader of "
     "the old type, so the mode decides (compatibility.md, Warehouse types)."),
    ("type_synonym", "breaking (data_type text changed)", "TYPE_SYNONYM: patch",
     "bigint and int8 are the same type; dbt compares the text as written."),
    ("varchar_lengthened", "not breaking", "TYPE_WIDENED: compatible under `backward`, "
     "breaking under `forward`/`full`",
     "a longer varchar holds every old value; the same rule as any widening."),
    ("decimal_scale_reduced", "not breaking", "TYPE_CHANGED: breaking",
     "decimal(10,2) → decimal(10,1) rounds every value with cents."),
    ("struct_field_added", "not breaking",
     "COLUMN_ADDED at `attrs.b`: compatible under `backward`",
     "struct members are compared one by one and are nullable unless declared otherwise, so "
     "a new field is an added nullable column."),
    ("constraint_added", "not breaking", "GUARANTEE_ADDED: compatible, pending verification",
     "the same verdict, and the hook publishes it only once the build that enforces it "
     "passed."),
    ("alias_changed", "not breaking (the contract did not change)", "RELATION_CHANGED: "
     "breaking except under `none`",
     "consumers query the relation by name: a moved relation is gone for them."),
    ("materialized_ephemeral", "not checked (no enforced contract)", "ASSET_UNQUERYABLE: "
     "breaking", "an ephemeral model leaves nothing to query."),
    ("table_to_view", "breaking when constraints are dropped", "MATERIALIZATION_CHANGED "
     "(patch) plus GUARANTEE_REMOVED for each constraint a view does not enforce",
     "the same verdict, explained per promise."),
    ("seed_column_type_changed", "not checked (seeds have no contracts)",
     "TYPE_CHANGED: breaking", "a seed's `column_types` are its declared types."),
    ("source_column_loses_type", "not checked (sources have no contracts)",
     "TYPE_CHANGED: breaking", "losing a declared type loses the promise; never a widening."),
    ("unique_test_removed", "not checked (tests are not part of dbt's contract)",
     "GUARANTEE_REMOVED: breaking", "consumers rely on tested promises too (compatibility.md, "
     "Guarantees)."),
    ("access_narrowed", "not breaking (access is not part of the contract)",
     "ACCESS_NARROWED: breaking except under `none`",
     "a public model refed from another project stops resolving there."),
    ("not_null_constraint_replaced_by_test", "breaking (constraint removed)",
     "GUARANTEE_LOOSENED: breaking", "the same verdict: a test only detects nulls after they "
     "are written, a constraint prevents them."),
    ("incremental_unique_key_removed", "not checked (no enforced contract; config is not "
     "compared)", "GRAIN_CHANGED: breaking except under `none`",
     "without the key a re-run appends duplicates: consumers' joins and counts break."),
    ("model_deleted_no_known_consumer", "not breaking (the model has no enforced contract)",
     "ASSET_REMOVED: breaking until its retirement is approved",
     "consumers in other projects, BI tools and notebooks are invisible to a manifest; a "
     "retirement with no known consumer is approved at once, and recorded."),
)


def render_differences() -> list[str]:
    lines = [
        "",
        "## Where tessera and dbt's contract check differ",
        "",
        "dbt-core's own check (`dbt ls --select state:modified --state <prod>` on models with "
        "an enforced contract) compares column names, data_type texts and constraints. "
        "tessera compares more (tests, seeds, sources, the relation, materialization) and "
        "reads types instead of texts. `tests/engine/test_oracle.py` runs both on edits of a small "
        "DuckDB project and fails when dbt calls an edit breaking and tessera does not, "
        "unless the edit is listed here. Observed with dbt-core 1.11 and dbt-duckdb; only "
        "`type_widened` and `type_synonym` are edits dbt calls breaking and tessera, by "
        "design, does not.",
        "",
        "| edit (oracle case) | dbt | tessera | why |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{edit}` | {dbt} | {ours} | {why} |"
              for edit, dbt, ours, why in DBT_DIFFERENCES]
    return lines


def _marks(rule: Rule) -> str:
    return " | ".join("✗" if breaks_in(rule.breaks_under, m) else "" for m in MODES)


def render_index() -> str:
    lines = [
        "# Compatibility rules",
        "",
        f"Generated from `tessera_dbt/engine/rules.py` by `{COMMAND}`; a test keeps it "
        "current. Each change `tessera diff` reports carries one of these ids; each id has a "
        "page with an example and its verdict. ✗ marks the modes a change of this kind breaks "
        "by default (an advisory `severity: warn` guarantee, or a tightening verified by a "
        "passing test in the same build, breaks none).",
        "",
        "| rule | what changed | " + " | ".join(MODES) + " | bump when allowed |",
        "|---|---|" + "---|" * len(MODES) + "---|",
    ]
    for rule in RULES:
        lines.append(f"| [`{rule.id}`](rules/{rule.id}.md) | {rule.summary} | {_marks(rule)} "
                     f"| {rule.level.value} |")
    aliases = [(alias, rule.id) for rule in RULES for alias in rule.aliases]
    if aliases:
        lines += ["", "Former ids, still accepted: "
                  + ", ".join(f"`{a}` (now `{r}`)" for a, r in aliases) + "."]
    lines += render_differences()
    return "\n".join(lines) + "\n"


def _report(case: dict[str, Any], mode: str) -> Any:
    """The engine's verdict on a case: two documents, or an asset that is gone."""
    if case["new"] is None:
        return removal_report(case["old"], mode)
    return classify(case["old"], case["new"], mode)


def _load_case(rule: Rule) -> tuple[str, dict[str, Any]]:
    """The first case of the rule's file that compares two documents and shows the rule."""
    import yaml

    path = CASES / f"{rule.id}.yml"
    for case in yaml.safe_load(path.read_text())["cases"]:
        if case.get("history") or "run_results" in case:
            continue
        report = _report(case, case["modes"][0])
        if any(c.rule == rule.id for c in report.changes):
            return path.relative_to(ROOT).as_posix(), case
    raise SystemExit(f"{path}: no two-document case shows {rule.id}; add one")


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The whole document with the changed lines marked, as a reviewer reads it."""
    import yaml

    def dump(doc: dict[str, Any]) -> list[str]:  # leaf mappings and lists on one line
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None,
                              width=100).splitlines()

    a, b = dump(old), dump(new)
    lines = list(difflib.unified_diff(a, b, n=max(len(a), len(b)), lineterm=""))
    return [ln for ln in lines if not ln.startswith(("---", "+++", "@@"))]


def _finding_example(rule: Rule) -> list[str]:
    """The first case of a finding's file: the YAML's document, what the relation serves,
    and the line check, the gate and the hook print."""
    import yaml

    path = CASES / f"{rule.id}.yml"
    case = yaml.safe_load(path.read_text())["cases"][0]
    declared = case["declared"]
    doc = with_served(declared, [tuple(c) for c in case["served"]], case["dialect"])
    lines = [f"tessera: WARNING: {f.line(doc['asset'])}" for f in served_findings(doc)
             if f.rule == rule.id]
    served = "\n".join(f"{name}  {kind}" for name, kind in case["served"])
    return [
        "## Example",
        "",
        f"From `{path.relative_to(ROOT).as_posix()}` (case `{case['name']}`): the document "
        f"the YAML declares, and the columns the relation serves ({case['dialect']}).",
        "",
        "```yaml",
        yaml.safe_dump(declared, sort_keys=False, default_flow_style=None,
                       width=100).rstrip(),
        "```",
        "",
        "```text",
        served,
        "```",
        "",
        "What `tessera check`, the gate and the hook print (a finding never blocks and "
        "never bumps the version by itself):",
        "",
        "```console",
        *lines,
        "```",
    ]


def _example(rule: Rule) -> list[str]:
    if rule.finding:
        return _finding_example(rule)
    source, case = _load_case(rule)
    old, new = case["old"], case["new"]
    stored = str(old.get("compatibility") or "backward")
    reports = {mode: _report(case, mode) for mode in case["modes"]}
    shown = next((m for m in case["modes"] if reports[m].breaking), stored)
    command = "tessera diff old.yml new.yml" + ("" if shown == stored else f" --mode {shown}")
    if new is None:
        command = "tessera check --baseline <production's export>  # the model is deleted"
        new = {}
    model = str(new.get("asset") or old.get("asset") or "model").split(".")[-1]
    lines = [
        "## Example",
        "",
        f"From `{source}` (case `{case['name']}`): the published contract `old.yml` and the "
        "project's new one `new.yml` (`-` and `+` mark the lines that differ).",
        "",
        "```diff",
        *_diff(old, new),
        "```",
        "",
        "```console",
        f"$ {command}",
        diff_text(reports[shown], model=model),
        "```",
        "",
        "| mode | breaking | suggested bump |",
        "|---|---|---|",
    ]
    lines += [f"| {m} | {'yes' if r.breaking else 'no'} | {r.suggested_bump} |"
              for m, r in reports.items()]
    return lines


def render_page(rule: Rule) -> str:
    breaks = [m for m in MODES if breaks_in(rule.breaks_under, m)]
    base_breaks = sorted({base_mode(m) for m in breaks}, key=MODES.index)
    bump = (f"major when it breaks the asset's mode (under `none`: when it would break "
            f"`backward`), else {rule.level.value}" if breaks else rule.level.value)
    if rule.finding:
        bump = "none: a finding about one document, shown by check, the gate and the hook"
    lines = [
        f"# {rule.id}",
        "",
        f"{rule.summary}",
        "",
        f"Generated from `tessera_dbt/engine/rules.py` and `tests/cases/compat/{rule.id}.yml` by "
        f"`{COMMAND}`. [All rules](../rules.md).",
        "",
        "- **Breaks under:** " + (", ".join(f"`{m}`" for m in base_breaks)
                                  + " (and their `_transitive` forms)" if breaks
                                  else "no mode"),
        f"- **Version bump when it ships:** {bump}",
    ]
    if rule.aliases:
        lines.append("- **Also accepted as:** " + ", ".join(f"`{a}`" for a in rule.aliases))
    lines += [
        "",
        "## Why it matters to consumers",
        "",
        rule.why,
        "",
        "## How to ship it safely",
        "",
        rule.fix,
        "",
        *_example(rule),
    ]
    return "\n".join(lines) + "\n"


def pages() -> dict[Path, str]:
    """Every generated file (absolute path) and the text it must hold."""
    out = {ROOT / "docs" / "rules.md": render_index()}
    for rule in RULES:
        out[ROOT / "docs" / "rules" / f"{rule.id}.md"] = render_page(rule)
    return out


def main() -> int:
    for path, text in pages().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
