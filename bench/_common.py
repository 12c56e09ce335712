"""What the benchmarks share: where the artifact corpus lives, the shape of a measured
figure, best-of-N timing and the tables they print."""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUVA = "generated/tuva_integration_tests_dbt1.11/manifest.json"
JAFFLE_FAILING = "generated/jaffle_shop_duckdb_dbt1.11/manifest_failing.json"
BOUNCER_112 = "dbt-bouncer/dbt_112/manifest.json"


VENDORED = ROOT / "tests" / "fixtures" / "corpus"


def corpus_dir() -> Path:
    """`<repo>/../shared/corpus/artifacts` (TESSERA_SHARED overrides `<repo>/../shared`),
    read in place; without it, the small subset vendored under tests/fixtures/corpus."""
    shared = Path(os.environ.get("TESSERA_SHARED", ROOT.parent / "shared"))
    full = shared / "corpus" / "artifacts"
    return full if full.is_dir() else VENDORED


def corpus_file(relative: str) -> Path:
    path = corpus_dir() / relative
    if not path.is_file():
        raise SystemExit(f"bench: the corpus file {path} is missing "
                         "(set TESSERA_SHARED to the directory holding corpus/artifacts)")
    return path


@dataclass(frozen=True)
class Figure:
    """One measured figure against its same-session baseline."""

    bench: str
    name: str
    seconds: float
    baseline: str
    baseline_seconds: float
    target: str = ""  # e.g. "ratio <= 2.0", "total <= 1.0 s"; empty when informational
    ok: bool | None = None  # None: no acceptance target

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")


def children_cpu() -> float:
    """User + system seconds of the finished child processes (subtract two readings)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def workdir(keep: Path | str | None, prefix: str) -> Iterator[Path]:
    """A temporary directory, or `keep` emptied first and left in place afterwards."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            yield Path(tmp)
        return
    base = Path(keep)
    if base.exists():
        shutil.rmtree(base)
    yield base


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds: the fastest of `repeats` runs of fn by each clock. The CPU
    time of this process is the figure a busy machine disturbs least."""
    wall = cpu = float("inf")
    for _ in range(max(1, repeats)):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    out = [line(cells[0]), line(["-" * w for w in widths])]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "FAIL")


def figures_table(figures: Sequence[Figure]) -> str:
    rows = [(f"{f.bench}: {f.name}", f"{f.seconds:.3f}", f.baseline, f"{f.baseline_seconds:.3f}",
             f"{f.ratio:.2f}", f.target or "-", verdict(f.ok)) for f in figures]
    return table(("benchmark", "s", "baseline", "baseline s", "ratio", "target", "verdict"),
                 rows)
