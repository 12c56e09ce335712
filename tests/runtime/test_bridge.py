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


def test_a_hooks_call_hides_the_heap_before_it_from_the_collector_and_puts_it_back(
        monkeypatch):
    """bridge._dbt_heap_frozen: during a hook's call what existed before is frozen (a full
    collection walks only what the hook made), the hook's own cycles are still collected,
    and afterwards nothing stays frozen; an operation that is not a hook's is left alone."""
    import gc
    import weakref

    from tessera_dbt.runtime import bridge

    class Node:
        pass

    seen = {}

    def job(payload):
        seen[payload["op"]] = gc.get_freeze_count()
        cycle = Node()
        cycle.me = cycle
        ref = weakref.ref(cycle)
        del cycle
        gc.collect()
        return {"collected": ref() is None}

    monkeypatch.setattr(bridge, "_operation", lambda op: job)
    assert gc.get_freeze_count() == 0
    assert bridge.call("on_run_end", {"op": "on_run_end"}) == {"collected": True}
    assert seen["on_run_end"] > 0 and gc.get_freeze_count() == 0 and gc.isenabled()
    assert bridge.call("guard", {"op": "guard"}) == {"collected": True}  # runs beside nodes
    assert seen["guard"] == 0 and gc.get_freeze_count() == 0
