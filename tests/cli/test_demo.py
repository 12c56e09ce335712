"""`tessera demo` (what `make demo` runs): every step of the story shows up in its output."""

from __future__ import annotations

import re

import pytest

from tessera_dbt.cli import main
from tessera_dbt.cli.demo import run_demo


def _steps(out: str) -> list[str]:
    """The intro, then the text of each numbered step."""
    return re.split(r"\n(?=\d\. )", out)


@pytest.mark.dbt
def test_demo_tells_the_story():
    lines: list[str] = []
    assert run_demo(main, say=lines.append) == 0
    out = "\n".join(lines)
    intro, publish, minor, blocked, proposed, shipped, audit = _steps(out)
    assert "commerce produces fct_orders" in intro
    assert "$ dbt build" in publish and "published warehouse.main.fct_orders 1.0.0" in publish
    assert "ERROR" not in out, "no step may report an error"

    assert "published warehouse.main.fct_orders 1.1.0 (minor change)" in minor
    assert "warehouse.main.fct_orders  1.1.0" in minor

    assert "$ tessera check --state-from-warehouse" in blocked
    assert "breaking-unproposed" in blocked and "COLUMN_REMOVED at `is_paid`" in blocked
    assert "tessera.propose" in blocked, "the check names the next step"
    assert "marketing_customer_ltv reads fct_orders.is_paid in its filter" in blocked, \
        "column lineage says why a consumer is affected"
    assert "(exit code 1)" in blocked

    assert "$ dbt run-operation tessera.propose" in proposed
    assert "1.1.0 → 2.0.0" in proposed
    assert re.search(r"answered approved on p_[0-9a-f]{16}", proposed)
    assert "status: approved" in proposed
    assert "breaking-approved" in proposed and "(exit code 0)" in proposed

    assert "published warehouse.main.fct_orders 2.0.0" in shipped
    assert re.search(r"p_[0-9a-f]{16}\s+published", shipped)

    assert "accepted_values.category  fail" in audit
    assert "$ tessera audit dim_products" in audit and "per day" in audit
    assert "ALERT latest_run_failed" in audit
    assert "Where to look" in audit and "tessera_proposals" in audit
