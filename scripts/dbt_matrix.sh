#!/usr/bin/env bash
# The end-to-end workflow on another dbt-core: `scripts/dbt_matrix.sh 1.8` (its lowest
# adapters) or `scripts/dbt_matrix.sh 1.12` (installed without dbt-core-experimental-parser,
# whose install downloads a binary). Builds a venv of its own, then runs the dbt internals
# canary, the hook, proposal and bridge tests on DuckDB and PostgreSQL (when TESSERA_PG_* point
# at a server), and `tessera demo` from outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/dbt_matrix.sh 1.8|1.12}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
venv=${TESSERA_MATRIX_DIR:-${TMPDIR:-/tmp}/tessera-dbt-$version}
pip() { "$venv/bin/python" -m pip --quiet --disable-pip-version-check "$@"; }

rm -rf "$venv"
"$python" -m venv "$venv"
case "$version" in
  1.8)
    pip install "dbt-core==1.8.*" "dbt-duckdb==1.8.*" "dbt-postgres==1.8.*" \
      -e '.[duckdb,postgres]' "pytest>=8" "hypothesis>=6.100" ;;
  1.12)
    # pip re-resolves an installed dbt-core's own requirements whenever something depends on
    # it, so dbt-core, the adapters and the project all go in with --no-deps.
    pip install -r constraints/dbt-1.12-requirements.txt
    pip install --no-deps "dbt-core==1.12.*" "dbt-duckdb==1.11.*" "dbt-postgres==1.11.*"
    pip install --no-deps -e . ;;
  *) echo "dbt_matrix.sh: unknown version $version (1.8 or 1.12)" >&2; exit 2 ;;
esac
"$venv/bin/dbt" --version > "$venv/dbt-version.txt" 2>&1; head -n 3 "$venv/dbt-version.txt"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/runtime/test_dbt_internals.py \
  tests/runtime/test_hook.py tests/runtime/test_proposals.py tests/runtime/test_bridge.py
( cd "${TMPDIR:-/tmp}" && "$venv/bin/tessera" demo > "$venv/demo.log" 2>&1 ) \
  || { tail -n 30 "$venv/demo.log"; echo "dbt_matrix.sh: tessera demo failed on dbt $version" >&2; exit 1; }
tail -n 3 "$venv/demo.log"
echo "dbt_matrix.sh: dbt $version passed"
