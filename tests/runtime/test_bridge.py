"""The bridge dispatches every operation, whichever module a process imported first."""

from __future__ import annotations

import subprocess
import sys


def test_every_operation_is_known_whatever_was_imported_first():
    code = ("import tessera_dbt.runtime.operations\n"
            "from tessera_dbt.runtime.bridge import call\n"
            "out = call('on_run_end', {'invocation_id': '', 'settings': {}})\n"
            "print(out['messages'][0])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "tessera: ERROR in on-run-end" in done.stdout  # dispatched (and failed soft)


def test_unknown_operation_is_one_clear_line():
    code = ("from tessera_dbt.runtime.bridge import call\n"
            "try:\n    call('frobnicate', {})\nexcept Exception as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.stdout.strip().startswith("tessera: unknown operation 'frobnicate' (known:")
