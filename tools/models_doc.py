"""Render docs/models.md from the package's model YAML files (`models/**/*.yml`), so the
reference lists every model and column the package builds, with dbt's own descriptions.

    python -m tessera_dbt.models_doc     # rewrites docs/models.md
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
OUT = ROOT / "docs" / "models.md"
COMMAND = "python -m tools.models_doc"
# The folders of models/ in reading order, with what they hold (dbt_project.yml sets
# their materialization per folder).
LAYERS = (
    ("marts", "For BI", "Views over the state tables: they show what the on-run-end hook of "
     "the same build just wrote. Their names and columns are a promised interface."),
    ("sources", "State tables", "The append-only tables tessera writes (incremental, "
     "`full_refresh: false`: `--full-refresh` never wipes them)."),
    ("staging", "Internal", "Views folding retried writes away. Internal; they may change."),
    ("intermediate", "Internal", "Views applying the authority rules the marts share (who "
     "may answer, when a proposal settled). Internal; they may change."),
)
_DOC_REF = re.compile(r"\{\{\s*doc\(\s*['\"]([^'\"]+)['\"]\s*\)\s*\}\}")
_DOC_BLOCK = re.compile(r"\{%\s*docs\s+(\w+)\s*%\}(.*?)\{%\s*enddocs\s*%\}", re.S)


def _doc_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for path in sorted(MODELS.rglob("*.md")):
        for name, body in _DOC_BLOCK.findall(path.read_text()):
            blocks[name] = " ".join(body.split())
    return blocks


def _text(value: Any, blocks: dict[str, str]) -> str:
    """A description on one line, `{{ doc('x') }}` resolved, pipes escaped for tables."""
    text = _DOC_REF.sub(lambda m: blocks.get(m[1], m[0]), str(value or ""))
    return " ".join(text.split()).replace("|", "\\|")


def _grain(description: str) -> str:
    """The descriptions name the grain as `one row per ...`; else their first clause."""
    match = re.search(r"\bone row per\b[^.,:;()—]*", description, re.I)
    clause = match[0] if match else re.split(r"[.:;(]", description)[0]
    clause = clause.strip()
    return clause[:1].upper() + clause[1:]


def _models(layer: str) -> list[dict[str, Any]]:
    import yaml

    found = []
    for path in sorted((MODELS / layer).glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or ():
            found.append({**model, "_yml": path.relative_to(ROOT).as_posix()})
    return sorted(found, key=lambda m: m["name"])


def render() -> str:
    blocks = _doc_blocks()
    lines = [
        "# Models",
        "",
        f"Generated from the YAML files of `models/` by `{COMMAND}`; a test keeps it current. "
        "Every model lands in the state schema (`vars: {tessera: {schema: ...}}`, by default "
        "`<target schema>_tessera`); query them like any dbt model, e.g. "
        "`select * from <state schema>.tessera_contracts where is_current`.",
    ]
    layers = [(folder, title, note, _models(folder)) for folder, title, note in LAYERS]
    known = {folder for folder, _, _ in LAYERS}
    others = sorted(p.name for p in MODELS.iterdir() if p.is_dir() and p.name not in known)
    layers += [(folder, folder, "", _models(folder)) for folder in others]
    lines += ["", "| model | layer | grain |", "|---|---|---|"]
    for _, title, _, models in layers:
        for model in models:
            grain = _grain(_text(model.get("description"), blocks))
            lines.append(f"| [`{model['name']}`](#{model['name']}) | {title} | {grain} |")
    for folder, title, note, models in layers:
        lines += ["", f"## {title} (`models/{folder}/`)", ""]
        if note:
            lines += [note, ""]
        for model in models:
            description = _text(model.get("description"), blocks)
            lines += [f"### {model['name']}", "", f"{description} ([{model['_yml']}]"
                      f"(../{model['_yml']}))"]
            columns = model.get("columns") or ()
            if columns:
                lines += ["", "| column | description |", "|---|---|"]
                lines += [f"| `{c['name']}` | {_text(c.get('description'), blocks)} |"
                          for c in columns]
            lines.append("")
        if lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
