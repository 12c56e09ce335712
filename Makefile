# Two commands matter: `make demo` and `make test`. Both create .venv and install the
# project into it from pyproject.toml on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench postgres clean

# A plain editable install (pyproject.toml's package-dir puts the repository root on
# sys.path, where dbt's plugin discovery finds dbt_tessera), on dbt-core 1.11
# (constraints/default.txt says why not 1.12 by default).
$(STAMP): pyproject.toml constraints/default.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
		-c constraints/default.txt
	@# bytecode for the editable sources, as a wheel install leaves it: with
	@# PYTHONDONTWRITEBYTECODE set, every dbt process would compile them again
	$(BIN)/python -m compileall -q tessera_dbt dbt_tessera bench
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tessera demo

lint: $(STAMP)
	$(BIN)/ruff check .

# The whole suite on WORKERS processes, each test file on one worker (its module fixtures
# built once; dbt tests clone one build per worker and engine, tests/conftest.py): 26 min
# for 5,043 tests on 2 cores (2026-12-08), against about 50 one after the other.
# `make test WORKERS=0` runs it in this one process.
WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# The pure tier: no dbt, no warehouse (about 75 s on 2 quiet cores, 130 s under load).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not dbt and not postgres and not spark" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Start a throwaway PostgreSQL for the postgres-marked tests (needs the Debian package);
# prints the environment to export.
postgres:
	@bash scripts/postgres.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache integration_tests/target integration_tests/dbt_packages
