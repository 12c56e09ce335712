"""`tessera report`: one self-contained HTML file, from the warehouse through dbt or from
an export; rendered by headless Chromium, whose DOM and screenshot show the charts."""

from __future__ import annotations

import re

import pytest

from tessera_dbt.runtime.report_html import GREEN, bar_chart

from . import chromium
from .conftest import copy_project, environment
from .test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from .test_proposals import _proposal_id, op

needs_chromium = pytest.mark.skipif(
    not chromium.CHROMIUM.is_file(),
    reason="headless Chromium is not installed (/usr/bin/chromium; `apt-get install -y "
           "chromium`, as .ci/run does)")


def _self_contained(html: str) -> None:
    assert "<script" not in html and "<link" not in html and "@import" not in html
    urls = set(re.findall(r"https?://[^\s\"')<]+", html)) - {"http://www.w3.org/2000/svg"}
    assert not urls, f"the report reaches the network: {urls}"


def test_bar_chart_is_svg_with_one_bar_per_day():
    svg = bar_chart([2, 0, 4], [2, 0, 1], "2026-01-01", label="x")
    assert svg.startswith("<svg") and svg.count("<rect") == 3 and GREEN in svg
    assert "2026-01-03: 1/4 runs passed (25%)" in svg


@pytest.fixture
def warehouse(tmp_path, capsys):
    project = copy_project(tmp_path, "duckdb")
    project.run("deps")
    project.run("build")
    project.run("test")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    pid = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(project, capsys, "acknowledge", f"{{proposal_id: {pid}, team: finance, "
                                       "response: approved}")
    return project, pid


@pytest.mark.dbt
@needs_chromium
def test_report_renders_charts_and_the_open_proposal(warehouse, tmp_path, cli):
    project, pid = warehouse
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    out = tmp_path / "report.html"
    with environment(project.env):
        result = cli("report", "--out", out, *where)
        assert "open proposal(s)" in result.out
        bad = cli("report", "--out", tmp_path / "nope" / "r.html", *where, expect=2)
        cli("export", "--out", tmp_path / "export", *where)
    assert "does not exist" in bad.err and not (tmp_path / "nope").exists()
    html = out.read_text()
    _self_contained(html)
    assert pid in html and "fct_orders" in html
    assert '<span class="tag waiting">marketing</span>' in html
    assert "finance: approved" in html and "COLUMN_REMOVED" in html

    dom = chromium.dump_dom(out)
    svgs = dom.count("<svg")
    assert svgs >= 2, "the overall chart and at least one per-asset chart"
    bars = len(re.findall(r'<rect[^>]+fill="#2e9d5b"', dom))
    assert bars >= 1, "some day shows passing runs"
    assert pid in dom
    png = chromium.screenshot(out, tmp_path / "report.png")
    colours = chromium.colours(png)
    assert len(colours) > 10, "the screenshot is blank"
    green = sum(n for (r, g, b), n in colours.items()
                if abs(r - 0x2e) < 12 and abs(g - 0x9d) < 12 and abs(b - 0x5b) < 12)
    assert green > 20, f"no chart bar is painted ({green} green pixels sampled)"

    from_export = tmp_path / "from_export.html"
    cli("report", "--export", tmp_path / "export", "--out", from_export)
    text = from_export.read_text()
    _self_contained(text)
    assert pid in text and "No audit runs" in text and "Drift is not part of an export" in text
    assert chromium.dump_dom(from_export).count("<section") == 5
