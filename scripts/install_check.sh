#!/usr/bin/env bash
# Installs like a tool: a plain (not editable) `pip install <repo>[duckdb]` into a new venv,
# then `tessera demo` from a directory outside the repository (the wheel carries the dbt
# package and the example project).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "$repo[duckdb]" -c "$repo/constraints/default.txt"
cd "$work"
"$work/venv/bin/tessera" demo > demo.log 2>&1 || { tail -n 40 demo.log; exit 1; }
tail -n 2 demo.log
# the data files the wheel must carry: the ODCS JSON Schema every export is validated against
"$work/venv/bin/python" -c "from tessera_dbt.artifacts.odcs_files import odcs_errors; \
assert odcs_errors({}), 'an empty document validates'"
echo "install_check.sh: pip install $repo[duckdb], then tessera demo from $work: passed"
