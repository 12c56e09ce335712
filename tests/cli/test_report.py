"""`tessera report`: one self-contained HTML file, from the warehouse through dbt or from
an export; rendered by headless Chromium, whose DOM and screenshot show the charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tessera_dbt.render.report_html import GREEN, bar_chart
from tests.cli import chromium
from tests.conftest import clone_built, environment
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML
from tests.runtime.test_proposals import _proposal_id, op

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
def warehouse(request, tmp_path, capsys):
    project = clone_built(request, tmp_path, "duckdb")
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
    assert chromium.dump_dom(from_export).count("<section") == 9


ROOT_IT = Path(__file__).resolve().parents[2] / "integration_tests"
ITEM_COUNT_YML = ("      - name: item_count\n        data_type: integer\n", "")
ITEM_COUNT_SQL = ("        cast(coalesce(order_items.item_count, 0) as integer) as item_count,\n",
                  "")
NULL_NAME_SQL = ("cast(customer_name as", "cast(case when customer_id = 1 then null else "
                 "customer_name end as")


@pytest.fixture
def history(request, tmp_path, capsys):
    """integration_tests after a workflow with every ending the report shows: a change
    rejected with a comment, one approved and published (2.0.0), one forced (3.0.0), a
    failing not_null test and a column dropped out of band (drift)."""
    project = clone_built(request, tmp_path, "duckdb")
    build = ("build", "--select", "fct_orders", "--indirect-selection", "cautious")
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    rejected = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(project, capsys, "acknowledge", f"{{proposal_id: {rejected}, team: finance, "
                                       "response: blocked, comment: 'finance still reads "
                                       "is_paid'}")
    return _history_after(project, capsys, build, rejected)


def _history_after(project, capsys, build, rejected):
    """is_paid back (its proposal stays rejected), item_count dropped and approved, then
    is_paid dropped again and forced."""
    sql = project.path / "models/commerce/fct_orders.sql"
    sql.write_text((ROOT_IT / "models/commerce/fct_orders.sql").read_text())
    yml = project.path / "models/commerce/fct_orders.yml"
    yml.write_text((ROOT_IT / "models/commerce/fct_orders.yml").read_text())
    project.edit("models/commerce/fct_orders.yml", *ITEM_COUNT_YML)
    project.edit("models/commerce/fct_orders.sql", *ITEM_COUNT_SQL)
    project.edit("models/commerce/fct_orders.yml", "item_count > 0 or amount = 0",
                 "amount >= 0")
    proposed = op(project, capsys, "propose",
                  "{model: fct_orders, reason: item counts move to fct_items}")
    approved = _proposal_id(proposed)
    for team in re.findall(r"(\w+) \(waiting\)", proposed):  # the teams that read it
        op(project, capsys, "acknowledge", f"{{proposal_id: {approved}, team: {team}, "
                                           "response: approved, comment: 'ok for us'}")
    project.run(*build)
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    forced = _proposal_id(op(project, capsys, "propose", "{model: fct_orders}"))
    op(project, capsys, "force_publish", f"{{proposal_id: {forced}, reason: 'incident 42'}}")
    project.run(*build)
    project.edit("models/staging/stg_customers.sql", *NULL_NAME_SQL)
    project.run("build", "--select", "stg_customers", expect_success=False)
    project.query("alter table main.dim_products drop column product_name")
    project.run("run-operation", "tessera.drift", expect_success=False)
    return project, rejected, approved, forced


@pytest.mark.dbt
@needs_chromium
def test_report_shows_history_failures_drift_and_each_team(history, tmp_path, cli):
    project, rejected, approved, forced = history
    where = ("--project-dir", project.path, "--profiles-dir", project.path)
    out = tmp_path / "report.html"
    with environment(project.env):
        cli("report", "--out", out, *where)
        text = cli("changelog", "--asset", "fct_orders", *where).out
        as_json = cli("changelog", "--asset", "fct_orders", "--format", "json", *where).out
        markdown = cli("changelog", "--asset", "fct_orders", "--format", "markdown",
                       *where).out
    html = out.read_text()
    _self_contained(html)
    dom = chromium.dump_dom(out)
    for needle in (rejected, approved, forced, "finance still reads is_paid", "ok for us",
                   "item counts move to fct_items", "incident 42", "force-published",
                   "not_null", "customer_name", "product_name", "3.0.0", "2.0.0",
                   "COLUMN_REMOVED"):
        assert needle in dom, needle
    failing = dom[dom.index('id="failing"'):dom.index('id="drift"')]
    assert "stg_customers" in failing and "customer_name" in failing
    teams = dom[dom.index('id="teams"'):dom.index('id="failing"')]
    assert "commerce" in teams and "dim_products" in teams
    history_part = dom[dom.index('id="history"'):dom.index('id="consumers"')]
    assert rejected in history_part and "rejected" in history_part
    assert chromium.colours(chromium.screenshot(out, tmp_path / "r.png")), "renders"

    versions = json.loads(as_json)["versions"]
    assert [v["version"] for v in versions] == ["3.0.0", "2.0.0", "1.0.0"]
    assert versions[0]["proposal"]["forced"] and versions[0]["proposal"]["proposal_id"] == forced
    assert versions[1]["proposal"]["reason"] == "item counts move to fct_items"
    assert "COLUMN_REMOVED" in {c["rule"] for c in versions[1]["changes"]}
    assert versions[0]["published_by"] and versions[0]["published_at"]
    assert "COLUMN_REMOVED at item_count" in text and text.index("3.0.0") < text.index("1.0.0")
    assert "| `COLUMN_REMOVED` | `is_paid` | yes |" in markdown
