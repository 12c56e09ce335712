"""`tessera demo` (what `make demo` runs): every step of the story shows up in its output."""

from __future__ import annotations

import pytest

from tessera_dbt.demo import run_demo


@pytest.mark.dbt
def test_demo_tells_the_story():
    lines: list[str] = []
    assert run_demo(say=lines.append) == 0
    out = "\n".join(lines)
    step1 = out.split("\n2. ")[0]
    assert "$ dbt build" in step1 and "published warehouse.main.fct_orders 1.0.0" in step1
    step2, rest = out.split("\n2. ")[1].split("\n3. ")
    assert "published warehouse.main.fct_orders 1.1.0 (minor change)" in step2
    step3, step4 = rest.split("\n4. ")
    assert "BREAKING under backward" in step3 and "COLUMN_REMOVED at `is_paid`" in step3
    assert "who is hit: data_platform, finance, marketing" in step3
    assert "nothing was published" in step3
    assert "warehouse.main.fct_orders  1.1.0" in step3, "still 1.1.0 after the refused change"
    assert "accepted_values.category  fail" in step4
    assert "Where to look" in step4
