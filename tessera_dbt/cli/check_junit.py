"""`tessera check --format junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure
Pipelines, GitHub test reporters) show as a test report. One <testcase> per asset judged, a
<failure> on each asset that blocks the change (its breaking rule ids and messages, the
consumers it reaches and the next step), an <error> on each asset that could not be judged.

Everything is escaped by the XML writer, and the characters XML 1.0 cannot hold at all
(control characters, lone surrogates) are written as `\\xNN`, so hostile model, column or
team names cannot break the document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..engine.verdicts import AssetCheck
from .check import CheckRun
from .check_render import _UNJUDGED, _baseline, _consumer, _counts, _mark, _verdict, note_lines

# what XML 1.0 does not allow in a document, even escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """`value` as text an XML 1.0 document may hold (`\\xNN` for what it may not)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _element(parent: ET.Element, tag: str, text: str | None = None,
             **attributes: Any) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()
                                       if v is not None})
    if text is not None:
        node.text = xml_text(text)
    return node


def _details(c: AssetCheck) -> list[str]:
    """The asset's verdict as lines: what changed (✗ breaks), who is reached, what next."""
    lines = [f"{c.asset}: {c.status}: {c.reason}"]
    lines += [f"{_mark(c, ch)} {ch.rule} at `{ch.path}`: {ch.message}" for ch in c.changes]
    if c.affected:
        lines.append("affected: " + "; ".join(_consumer(a) for a in c.affected))
    if c.next_step:
        lines.append(f"next: {c.next_step}")
    lines += list(c.next_commands)
    return lines


def junit(run: CheckRun) -> str:
    blocking = run.blocking
    counts = {"tests": len(run.checks) + len(run.errors), "failures": len(blocking),
              "errors": len(run.errors), "skipped": 0}
    root = ET.Element("testsuites", {"name": "tessera check",
                                     **{k: str(v) for k, v in counts.items()}})
    suite = _element(root, "testsuite", name="tessera check", **counts)
    properties = _element(suite, "properties")
    _element(properties, "property", name="verdict", value=_verdict(run))
    _element(properties, "property", name="baseline", value=_baseline(run))
    _element(properties, "property", name="summary", value=_counts(run.checks))
    for c in run.checks:
        file, line = run.locations.get(c.asset, (None, None))
        case = _element(suite, "testcase", name=c.name, classname=f"tessera.{c.status}",
                        file=file, line=line)
        details = "\n".join(_details(c))
        if c.blocking:
            rules = ", ".join(dict.fromkeys(ch.rule for ch in c.breaking_changes))
            message = f"{c.name} is {c.status}" + (f" ({rules})" if rules else "") + \
                f": {c.reason}"
            _element(case, "failure", details, message=message, type=c.status)
        else:
            _element(case, "system-out", details)
    for e in run.errors:
        case = _element(suite, "testcase", name=e.asset, classname="tessera.invalid")
        _element(case, "error", e.line(_UNJUDGED), message=e.message, type="invalid")
    notes = note_lines(run)  # the served-schema findings and the YAML-only note
    if notes:
        _element(suite, "system-out", "\n".join(notes))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
