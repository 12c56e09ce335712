"""Write the module map of docs/architecture.md from the package's own docstrings: one table
per sub-package (its rule, then each module and the first sentence of its docstring)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tessera_dbt"
OUT = ROOT / "docs" / "architecture.md"
COMMAND = "python -m tools.module_map"
ORDER = ("engine", "artifacts", "lineage", "state", "render", "runtime", "cli")
BEGIN, END = "<!-- module-map: generated -->", "<!-- /module-map -->"


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    text = " ".join(doc.split())
    first = re.split(r"(?<=[.:])\s", text, maxsplit=1)[0]
    return first.rstrip(":").replace("|", "\\|")


def render() -> str:
    lines = [BEGIN, "", f"Generated from the docstrings by `{COMMAND}`; a test keeps it current.",
             "Each sub-package imports only those above it in this list (`engine` imports "
             "nothing else of tessera_dbt), and only `runtime` imports dbt-core "
             "(`tests/project/test_architecture.py`).", ""]
    for name in ORDER:
        folder = PACKAGE / name
        lines += [f"### `{name}/`", "", " ".join(_summary(folder / "__init__.py").split()), "",
                  "| module | holds |", "|---|---|"]
        for path in sorted(folder.glob("*.py")):
            if path.stem not in ("__init__", "__main__"):
                lines.append(f"| `{path.stem}` | {_summary(path)} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def updated() -> str:
    text = OUT.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + render() + text[end:]


def main() -> int:
    OUT.write_text(updated(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
