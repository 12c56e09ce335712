"""The on-run-start gate, with real dbt on DuckDB and PostgreSQL: `gate: block` stops a
build of an unapproved breaking change before the table changes; once the proposal is
approved the same build publishes 2.0.0; `warn` (the default) says so and builds; the
selection (--select, --exclude) decides what is gated; `dbt run` and `dbt retry` too."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import clone_built
from tests.runtime.test_hook import DROP_IS_PAID_SQL, DROP_IS_PAID_YML

TARGETS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
BLOCK = {"gate": "block"}  # committed in dbt_project.yml: --vars may not override it
FCT_ORDERS = ("--select", "fct_orders", "--indirect-selection", "cautious")

pytestmark = pytest.mark.dbt


@pytest.fixture(params=TARGETS)
def project(request, tmp_path):
    project = clone_built(request, tmp_path, request.param)
    project.edit("models/commerce/fct_orders.yml", *DROP_IS_PAID_YML)
    project.edit("models/commerce/fct_orders.sql", *DROP_IS_PAID_SQL)
    return project


def _propose_and_approve(project, capsys) -> str:
    """The fct_orders change proposed, and approved by every team it asks: its id."""
    capsys.readouterr()
    project.run("run-operation", "tessera.propose", "--args", "{model: fct_orders}")
    pid = re.search(r"\b(p_[0-9a-f]{16})\b", capsys.readouterr().out).group(1)
    for team in ("data_platform", "finance", "marketing"):
        project.run("run-operation", "tessera.acknowledge", "--args",
                    f"{{proposal_id: {pid}, team: {team}, response: approved}}")
    return pid


def _has_is_paid(project) -> bool:
    schema = "main" if project.target == "duckdb" else project.env["TESSERA_PG_SCHEMA"]
    rows = project.query("select column_name from information_schema.columns "
                         f"where table_schema = '{schema}' and table_name = 'fct_orders'")
    assert rows, "fct_orders exists"
    return ("is_paid",) in rows


def _current(project) -> str:
    return project.query("select version from {state}.tessera_contracts "
                         "where is_current and asset like '%.fct_orders'")[0][0]


def _error(result) -> str:
    return " ".join(str(result.exception or "").split())


def test_block_stops_the_build_before_the_table_changes_then_approval_ships_it(project,
                                                                              capsys):
    with project.settings(**BLOCK):
        _block_then_ship(project, capsys)


def _block_then_ship(project, capsys):
    for command in (("build", *FCT_ORDERS), ("run", "--select", "fct_orders")):
        blocked = project.run(*command, expect_success=False)
        assert "the gate stopped this run before any node was built" in _error(blocked)
        assert "fct_orders changes in a breaking way (COLUMN_REMOVED at is_paid) without " \
            "an approved proposal" in _error(blocked)
        assert "dbt run-operation tessera.propose --args '{model: fct_orders}'" in \
            _error(blocked)
        assert _has_is_paid(project), f"dbt {command[0]} rebuilt fct_orders"
    # the blocked run built nothing, so there is nothing to retry, and retry builds nothing
    project.run("retry", expect_success=False)
    assert _has_is_paid(project)

    # another model, or fct_orders excluded: nothing breaking is selected
    project.run("build", "--select", "dim_products")
    project.run("run", "--exclude", "fct_orders")
    assert _has_is_paid(project) and _current(project) == "1.0.0"

    _propose_and_approve(project, capsys)
    shipped = project.run("build", *FCT_ORDERS)
    assert not any("gate" in m for m in shipped.messages)
    assert not _has_is_paid(project) and _current(project) == "2.0.0"


def test_warn_is_the_default_one_line_per_asset_and_the_run_goes_on(project):
    result = project.run("build", *FCT_ORDERS)
    gate = [m for m in result.messages if m.startswith("tessera: WARNING (gate)")]
    assert len(gate) == 1 and "fct_orders would change in a breaking way (COLUMN_REMOVED at " \
        "is_paid)" in gate[0]
    assert not _has_is_paid(project) and _current(project) == "1.0.0"


def test_off_skips_the_check_and_a_bad_mode_is_one_line(project):
    with project.settings(gate="off"):
        off = project.run("build", *FCT_ORDERS)
    assert not any("gate" in m for m in off.messages)
    with project.settings(gate="stop"):
        bad = project.run("run", "--select", "stg_orders", expect_success=False)
    assert "vars.tessera.gate is 'stop' (use one of: off, warn, block)" in _error(bad)


def test_a_target_that_does_not_publish_is_not_gated(project):
    with project.settings(gate="block", publish_targets=["prod"]):
        result = project.run("build", *FCT_ORDERS)
    assert result.success and not _has_is_paid(project)


@pytest.mark.parametrize("override", [{"gate": "off"}, {"enabled": False}, {}])
def test_a_vars_override_of_a_protective_setting_is_refused_on_a_publishing_target(
        project, override):
    """`--vars` cannot turn the gate off, or tessera off, where the project commits
    `gate: block` and the target publishes; nothing is built (issue 26). A --vars tessera
    mapping replaces all of vars.tessera, so `{}` drops the committed gate too."""
    with project.settings(**BLOCK):
        refused = project.run("build", *FCT_ORDERS, "--vars",
                              json.dumps({"tessera": override}), expect_success=False)
    line = _error(refused)
    assert "differ(s) from the committed dbt_project.yml (a --vars override?)" in line
    assert "vars.tessera.gate" in line or "vars.tessera.enabled" in line
    assert _has_is_paid(project), "nothing was built"


def test_a_development_target_takes_vars(project):
    """Outside the committed publish_targets, --vars is the developer's to set."""
    with project.settings(gate="block", publish_targets=["prod"]):
        result = project.run("build", *FCT_ORDERS, "--vars",
                             json.dumps({"tessera": {"gate": "off",
                                                     "publish_targets": ["prod"]}}))
    assert result.success


def test_a_deferred_build_is_gated_on_what_it_selects(project):
    """`--defer --state`: the upstream models come from the production manifest (taken
    before the edit), the selected fct_orders is still judged and stopped."""
    import shutil

    prod = project.path / "prod_state"
    shutil.copytree(project.path / "target", prod)
    deferred = ("--defer", "--state", str(prod), "--favor-state")
    with project.settings(**BLOCK):
        blocked = project.run("build", *FCT_ORDERS, *deferred, expect_success=False)
        assert "fct_orders changes in a breaking way (COLUMN_REMOVED at is_paid)" in \
            _error(blocked)
        assert _has_is_paid(project)
        # deferring an unchanged selection passes the gate and builds
        project.run("build", "--select", "dim_products", *deferred)


def test_a_withdrawal_during_a_blocked_build_fails_it_and_publishes_nothing(project, capsys):
    """Issue 26: the gate passed the approved change; the proposal is withdrawn while the
    run builds (here by the model's own pre-hook, as a concurrent operation would): under
    `gate: block` the hook fails the run and publishes nothing."""
    pid = _propose_and_approve(project, capsys)
    project.edit("models/commerce/fct_orders.yml", "    config:\n      group: commerce\n",
                 "    config:\n      group: commerce\n      pre_hook: \"{% do "
                 f"tessera.withdraw(proposal_id='{pid}', reason='changed our mind') %}}\"\n")
    with project.settings(**BLOCK):
        built = project.run("build", *FCT_ORDERS, expect_success=False)
    text = " ".join((str(built.result) + " ".join(built.messages)).split())
    assert "built without an approved proposal although the gate passed the run" in text
    assert _current(project) == "1.0.0", "nothing published"
