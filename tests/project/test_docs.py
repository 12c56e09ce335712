"""Docs are tests: every command the README and docs/ show exists, with the options they use,
and the generated references (rules, models) match the code they come from.

Checked in fenced code blocks (shell blocks line by line, console blocks on their `$ `
lines) and in inline code spans: `tessera <command> --option`, `dbt run-operation
tessera.<op> --args '{...}'`, `python -m bench [--only NAME]`, `python -m <module>` and
`make <target>`. All in-process and fast: `--help` texts come from the CLI's own parser.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from bench.__main__ import BENCHMARKS
from tessera_dbt.cli.parser import build_parser
from tessera_dbt.runtime.operation_args import OPERATION_ARGS
from tests.conftest import ROOT
from tools import models_doc, module_map, rules_doc

DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md")),
        ROOT / "bench" / "README.md"]
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console", "zsh"}
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_PROGRAMS = ("tessera", "dbt", "python", "python3", "make")
_OPERATORS = {"&&", "||", "|", ";", ">", ">>", "<", "2>", "2>&1"}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def commands_in(text: str) -> list[str]:
    """The command lines a document shows: in shell code blocks, and in inline code."""
    found: list[str] = []
    for lang, body in _FENCE.findall(text):
        if lang not in SHELL_BLOCKS:
            continue
        body = body.replace("\\\n", " ")
        for line in body.splitlines():
            line = line.strip()
            if lang == "console":
                if not line.startswith("$ "):
                    continue
            line = line.removeprefix("$ ")
            if line.split(" ", 1)[0] in _PROGRAMS or line.startswith(".venv/bin/"):
                found.append(line)
    prose = _FENCE.sub("", text)
    for span in _INLINE.findall(prose):
        span = span.replace("\\|", "|").strip()
        if re.match(r"(tessera|make) (--?[a-z]|[a-z][\w-]*( |$))", span) or span.startswith(
                ("dbt run-operation ", "python -m ")):
            found.append(span)
    return found


def _segments(line: str) -> list[list[str]]:
    """Simple commands of a shell line, split at operators; synopsis brackets dropped."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:  # an unbalanced quote: the line is prose, not a command
        return []
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in _OPERATORS:
            segments.append([])
        else:
            segments[-1].append(token)
    out = []
    for segment in segments:
        if segment and segment[0].startswith(".venv/bin/"):
            segment[0] = segment[0].removeprefix(".venv/bin/")
        if segment and segment[0] in _PROGRAMS:
            out.append(segment)
    return out


def _options(tokens: list[str]) -> list[str]:
    """`--option` names among tokens, synopsis spelling (`[--a X|--b]`) included."""
    names = []
    for token in tokens:
        for part in token.split("|"):
            part = part.strip("[]()")
            if part.startswith("--") and len(part) > 2:
                names.append(part.split("=", 1)[0])
    return names


def _placeholder(token: str) -> bool:
    return token.startswith("<") or "*" in token or token in ("...", "COMMAND")


def _subparsers() -> dict[str, object]:
    parser = build_parser()
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            return dict(action.choices)  # type: ignore[attr-defined]
    raise AssertionError("tessera has no subcommands")


def _in_help(option: str, help_text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text) is not None


def check_tessera(tokens: list[str]) -> list[str]:
    if len(tokens) == 1 or tokens[1].startswith(("-", "[")):  # `tessera --version`
        help_text = build_parser().format_help()
        return [f"`tessera` has no option {o}" for o in _options(tokens[1:])
                if not _in_help(o, help_text)]
    command = tokens[1]
    if _placeholder(command):
        return []
    subparsers = _subparsers()
    if command not in subparsers:
        return [f"`tessera {command}` is not a command (known: {', '.join(sorted(subparsers))})"]
    help_text = subparsers[command].format_help()  # type: ignore[attr-defined]
    return [f"`tessera {command} --help` does not list {o}" for o in _options(tokens[2:])
            if not _in_help(o, help_text)]


def check_run_operation(tokens: list[str]) -> list[str]:
    if len(tokens) < 3 or tokens[1] != "run-operation":
        return []
    macro = tokens[2]
    if not macro.startswith("tessera."):
        return []
    op = macro.removeprefix("tessera.")
    if _placeholder(op):
        return []
    problems = []
    has_macro = (ROOT / "macros" / "operations" / f"{op}.sql").is_file()
    if op not in OPERATION_ARGS and not has_macro:
        return [f"`dbt run-operation {macro}`: no such operation (known: "
                f"{', '.join(OPERATION_ARGS)})"]
    if not has_macro:
        problems.append(f"`{macro}`: macros/operations/{op}.sql is missing")
    # the arguments of the operations in OPERATION_ARGS (others check their own)
    if op in OPERATION_ARGS and "--args" in tokens and tokens.index("--args") + 1 < len(tokens):
        raw = tokens[tokens.index("--args") + 1]
        try:
            args = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            return [*problems, f"`{macro}`: --args {raw!r} is not YAML ({exc})"]
        if not isinstance(args, dict):
            return [*problems, f"`{macro}`: --args {raw!r} is not a mapping"]
        problems += [f"`{macro}` takes no argument {key!r} (it takes: "
                     f"{', '.join(OPERATION_ARGS[op])})"
                     for key in args if key != "..." and key not in OPERATION_ARGS[op]]
    return problems


def check_python(tokens: list[str]) -> list[str]:
    if len(tokens) < 3 or tokens[1] != "-m":
        return []
    module = tokens[2]
    if module == "bench":
        names = [name for name, _ in BENCHMARKS]
        rest = tokens[3:]
        wanted = [rest[i + 1] for i, t in enumerate(rest[:-1]) if t == "--only"]
        return [f"`python -m bench --only {n}`: no such benchmark (known: {', '.join(names)})"
                for n in wanted if not _placeholder(n) and n not in names]
    if module.split(".")[0] not in ("bench", "tessera_dbt", "dbt_tessera", "tools") \
            or "<" in module:
        return []
    path = ROOT.joinpath(*module.split("."))
    source = path.with_suffix(".py")
    if not source.is_file() and not (path / "__main__.py").is_file():
        return [f"`python -m {module}`: no such module"]
    text = source.read_text() if source.is_file() else (path / "__main__.py").read_text()
    return [f"`python -m {module}` has no option {o}" for o in _options(tokens[3:])
            if f'"{o}"' not in text]


def check_make(tokens: list[str]) -> list[str]:
    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), re.M))
    wanted = [t for t in tokens[1:] if not t.startswith("-") and "=" not in t]
    return [f"`make {t}`: no such target in the Makefile" for t in wanted if t not in targets]


_CHECKS = {"tessera": check_tessera, "dbt": check_run_operation, "python": check_python,
           "python3": check_python, "make": check_make}


def problems_in(text: str) -> list[str]:
    problems = []
    for line in commands_in(text):
        for tokens in _segments(line):
            problems += [f"{p}   [in: {line}]" for p in _CHECKS[tokens[0]](tokens)]
    return problems


@pytest.mark.parametrize("path", DOCS, ids=_relative)
def test_every_command_in_the_docs_exists(path):
    problems = problems_in(path.read_text())
    assert not problems, "\n".join(problems)


def test_the_checker_finds_what_does_not_exist():
    text = ("```bash\ntessera diff a.yml b.yml --mode full --colour\ntessera nope\n"
            "dbt run-operation tessera.propose --args '{model: x, colour: red}'\n"
            "dbt run-operation tessera.nope\npython -m bench --only nope\nmake nope\n```\n"
            "```console\n$ tessera contracts --nope\noutput: tessera nope\n```\n"
            "Inline: `tessera impact --nope`; not a command: `tessera_contracts`.\n")
    problems = "\n".join(problems_in(text))
    for expected in ("does not list --colour", "`tessera nope` is not a command",
                     "no argument 'colour'", "tessera.nope`: no such operation",
                     "no such benchmark", "`make nope`", "does not list --nope"):
        assert expected in problems, problems
    assert "list --mode" not in problems and problems.count("`tessera nope`") == 1
    assert "impact --help` does not list --nope" in problems


def test_every_doc_has_commands_to_check():
    """The parser keeps finding commands (a regex that matches nothing passes every doc)."""
    assert len(commands_in((ROOT / "README.md").read_text())) >= 3
    assert len(commands_in((ROOT / "docs" / "operations.md").read_text())) >= 7


# --- generated references ------------------------------------------------------------

def test_rule_pages_are_current():
    stale = [_relative(path) for path, text in rules_doc.pages().items()
             if not path.is_file() or path.read_text() != text]
    assert not stale, f"stale: {', '.join(stale)}; regenerate with: {rules_doc.COMMAND}"
    pages = {p.stem for p in (ROOT / "docs" / "rules").glob("*.md")}
    extra = pages - {path.stem for path in rules_doc.pages()}
    assert not extra, f"pages of no rule id: {sorted(extra)}; delete them"


def test_models_doc_is_current():
    assert models_doc.OUT.read_text() == models_doc.render(), \
        f"docs/models.md is stale; regenerate with: {models_doc.COMMAND}"


def test_models_doc_lists_every_model():
    text = models_doc.OUT.read_text()
    for sql in (ROOT / "models").rglob("*.sql"):
        assert f"### {sql.stem}\n" in text, f"{sql} has no YAML entry, so no docs/models.md entry"


def test_every_setting_is_documented():
    defaults = (ROOT / "macros" / "config" / "default_settings.sql").read_text()
    keys = re.findall(r'^( *)"(\w+)":', defaults, re.M)
    top = min(len(indent) for indent, _ in keys)  # nested keys (audit_alerts: {...}) are not
    settings = [key for indent, key in keys if len(indent) == top]
    assert len(settings) >= 10
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = [s for s in settings if f"`{s}`" not in reference]
    assert not missing, f"docs/configuration.md does not document: {', '.join(missing)}"


def test_the_module_map_is_current():
    assert (ROOT / "docs" / "architecture.md").read_text() == module_map.updated(), \
        f"docs/architecture.md is stale: run `{module_map.COMMAND}`"


def test_the_module_map_lists_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text[text.index("## Module map"):]
    modules = sorted(f"`{p.stem}`" for p in (ROOT / "tessera_dbt").glob("*/*.py")
                     if p.stem not in ("__init__", "__main__"))
    missing = [m for m in modules if m not in section]
    assert not missing, f"docs/architecture.md, Module map: add {', '.join(missing)}"


def test_every_benchmark_is_documented():
    text = (ROOT / "bench" / "README.md").read_text()
    missing = [name for name, _ in BENCHMARKS if f"| `{name}` |" not in text]
    assert not missing, f"bench/README.md has no row for: {', '.join(missing)}"


@pytest.mark.parametrize("path", DOCS, ids=_relative)
def test_relative_links_resolve(path):
    links = re.findall(r"\]\(([^)\s]+)\)", _FENCE.sub("", path.read_text()))
    broken = [link for link in links if not link.startswith(("http://", "https://", "#"))
              and not (path.parent / link.split("#", 1)[0]).exists()]
    assert not broken, f"{_relative(path)}: broken links: {', '.join(broken)}"
