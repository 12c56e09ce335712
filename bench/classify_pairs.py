"""`compat.classify` over 10,000 realistic (old, new) contract-document pairs.

The documents are real: every model and seed of the Tuva manifest extracted with `--all`
(Tuva keeps most column types in `meta.data_type`; they are promoted to `data_type` first,
as a project that adopts contracts would write them), keeping those with columns. Each
pair is a document and an edited copy of it; the edits are the ones contracts live
through: drop a column, add a nullable or a required column, retype int->bigint,
bigint->int, varchar->int, add, remove or tighten a guarantee, reorder columns, edit a
description, with about 30% of pairs left unchanged.

`classify` runs over all pairs in process, best of N, against a baseline measured in the
same process: `copy.deepcopy` of the same pairs. Acceptance target: the 10,000
classifications take at most 1.0 s (exit 1 otherwise, with a cProfile of the hot spots).

    python -m bench.classify_pairs [--pairs N] [--repeats N] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tessera_dbt.artifacts.contracts import extract_contracts
from tessera_dbt.artifacts.readers import load_manifest
from tessera_dbt.engine.compat import classify
from tessera_dbt.engine.json_schema import to_json_schema
from tessera_dbt.engine.warehouse_types import parse_type

from ._common import TUVA, Figure, best_of, corpus_file, table

NAME = "classify_pairs"
DEFAULT_PAIRS = 10_000
DEFAULT_REPEATS = 3
DEFAULT_SEED = 7
TARGET_SECONDS = 1.0
UNCHANGED_SHARE = 0.30
MODES = (("backward", 60), ("full", 15), ("forward", 10), ("none", 5),
         ("backward_transitive", 10))
NEW_COLUMNS = (("ingested_at", "timestamp"), ("source_system", "varchar"),
               ("row_hash", "varchar"), ("is_deleted", "boolean"), ("load_id", "bigint"),
               ("updated_at", "timestamp"), ("tenant_id", "integer"),
               ("amount_usd", "decimal(18,2)"), ("effective_date", "date"))
ACCEPTED = (["active", "inactive", "pending"], ["M", "F", "U"],
            ["inpatient", "outpatient", "emergency", "snf"], ["paid", "denied", "pending"])

Pair = tuple[dict[str, Any], dict[str, Any], str]


def load_documents(manifest_path: Path | str | None = None) -> list[dict[str, Any]]:
    """Contract documents of every model and seed with columns (Tuva by default)."""
    manifest = load_manifest(str(manifest_path or corpus_file(TUVA)))
    for node in manifest.nodes.values():
        for column in (node.get("columns") or {}).values():
            meta_type = (column.get("meta") or {}).get("data_type")
            if not column.get("data_type") and isinstance(meta_type, str):
                column["data_type"] = meta_type
    documents = extract_contracts(manifest, all_assets=True)
    return [d for d in documents if d["schema"]["properties"]]


# --- edits: each changes `new` (and may first set up `old`) the way a pull request would ----

def _props(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["schema"]["properties"]


def _column_schema(data_type: str, dialect: str, required: bool,
                   description: str | None = None) -> dict[str, Any]:
    """A column's schema as `tessera contracts` writes it."""
    prop = dict(to_json_schema(parse_type(data_type, dialect), data_type))
    prop["x-data-type"] = data_type
    if "type" in prop and not required:
        prop["type"] = [prop["type"], "null"]
    if description:
        prop["description"] = description
    return prop


def _is_required(doc: dict[str, Any], column: str) -> bool:
    return column in (doc["schema"].get("required") or ())


def _set_required(doc: dict[str, Any], column: str, required: bool) -> None:
    names = [c for c in doc["schema"].get("required") or () if c != column]
    if required:
        names.append(column)
    if names:
        doc["schema"]["required"] = names
    else:
        doc["schema"].pop("required", None)
    prop = _props(doc).get(column)
    if prop is not None and "type" in prop:
        base = prop["type"][0] if isinstance(prop["type"], list) else prop["type"]
        prop["type"] = base if required else [base, "null"]


def _guarantees(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.setdefault("guarantees", {})


def drop_column(old: dict, new: dict, rng: random.Random) -> None:
    column = rng.choice(list(_props(new)))
    del _props(new)[column]
    _set_required(new, column, False)
    if rng.random() < 0.5:  # the column's tests go with it
        g = _guarantees(new)
        for key in ("nullability", "accepted_values"):
            if column in (g.get(key) or {}):
                del g[key][column]
                if not g[key]:
                    del g[key]
        if "custom" in g:
            g["custom"] = [e for e in g["custom"] if e.get("column") != column]
            if not g["custom"]:
                del g["custom"]


def _fresh_column(doc: dict, rng: random.Random) -> tuple[str, str]:
    name, data_type = rng.choice(NEW_COLUMNS)
    while name in _props(doc):
        name += "_2"
    return name, data_type


def add_nullable_column(old: dict, new: dict, rng: random.Random) -> None:
    name, data_type = _fresh_column(new, rng)
    _props(new)[name] = _column_schema(data_type, new["dialect"], False,
                                       f"The {name.replace('_', ' ')} of the row.")


def add_required_column(old: dict, new: dict, rng: random.Random) -> None:
    name, data_type = _fresh_column(new, rng)
    _props(new)[name] = _column_schema(data_type, new["dialect"], True)
    _set_required(new, name, True)
    _guarantees(new).setdefault("nullability", {})[name] = "never"


def _retype(source: str, target: str) -> Callable[[dict, dict, random.Random], None]:
    """Retype a column from `source` to `target`. The old document gets a column of the
    source type first when it has none (the Tuva documents are mostly varchar)."""
    family = parse_type(source).name

    def edit(old: dict, new: dict, rng: random.Random) -> None:
        typed = [c for c, p in _props(old).items()
                 if parse_type(p.get("x-data-type") or "", old["dialect"]).name == family]
        column = rng.choice(typed) if typed else rng.choice(list(_props(old)))
        for doc, data_type in ((old, source), (new, target)):
            prop = _props(doc).get(column)
            if prop is not None:  # an earlier edit of this pair may have dropped it
                _props(doc)[column] = _column_schema(data_type, doc["dialect"],
                                                     _is_required(doc, column),
                                                     prop.get("description"))

    edit.__name__ = f"retype_{source}_to_{target}"
    return edit


def add_guarantee(old: dict, new: dict, rng: random.Random) -> None:
    columns = list(_props(new))
    column = rng.choice(columns)
    g = _guarantees(new)
    choice = rng.random()
    if choice < 0.45 and column not in (g.get("nullability") or {}):
        g.setdefault("nullability", {})[column] = "never"
        _set_required(new, column, True)
    elif choice < 0.75:
        entry = {"type": "unique", "column": column}
        if entry not in (g.get("custom") or []):
            g["custom"] = sorted([*(g.get("custom") or []), entry],
                                 key=lambda e: (e["type"], str(e.get("column"))))
    else:
        g.setdefault("accepted_values", {})[column] = list(rng.choice(ACCEPTED))


def remove_guarantee(old: dict, new: dict, rng: random.Random) -> None:
    g = _guarantees(new)
    kinds = [k for k in ("nullability", "accepted_values", "custom", "freshness") if g.get(k)]
    if not kinds:
        add_guarantee(new, old, rng)  # the old contract had the guarantee the new one lacks
        return
    kind = rng.choice(kinds)
    if kind == "freshness":
        del g["freshness"]
    elif kind == "custom":
        g["custom"].pop(rng.randrange(len(g["custom"])))
        if not g["custom"]:
            del g["custom"]
    else:
        column = rng.choice(list(g[kind]))
        del g[kind][column]
        if not g[kind]:
            del g[kind]
        if kind == "nullability" and column in _props(new):
            _set_required(new, column, False)


def tighten_guarantee(old: dict, new: dict, rng: random.Random) -> None:
    g = _guarantees(new)
    lists = [c for c, v in (g.get("accepted_values") or {}).items() if len(v) > 1]
    warned = [e for e in g.get("custom") or () if e.get("severity") == "warn"]
    if lists and rng.random() < 0.5:
        values = g["accepted_values"][rng.choice(lists)]
        values.pop(rng.randrange(len(values)))
    elif warned:
        rng.choice(warned).pop("severity")  # warn -> error
    else:
        nullable = [c for c in _props(new) if not _is_required(new, c)]
        if not nullable:
            add_guarantee(old, new, rng)
            return
        column = rng.choice(nullable)
        g.setdefault("nullability", {})[column] = "never"
        _set_required(new, column, True)


def reorder_columns(old: dict, new: dict, rng: random.Random) -> None:
    items = list(_props(new).items())
    if len(items) < 2:
        add_nullable_column(old, new, rng)
        return
    i = rng.randrange(len(items))
    moved = items.pop(i)
    items.insert(rng.choice([j for j in range(len(items) + 1) if j != i]), moved)
    new["schema"]["properties"] = dict(items)


def edit_description(old: dict, new: dict, rng: random.Random) -> None:
    if rng.random() < 0.4:
        new["description"] = (new.get("description") or "").rstrip() + \
            " Refreshed nightly; see the data catalogue for lineage."
    else:
        prop = _props(new)[rng.choice(list(_props(new)))]
        prop["description"] = (prop.get("description") or "Undocumented.") + \
            " Null when the source system omits it."


EDITS: tuple[tuple[Callable[[dict, dict, random.Random], None], int], ...] = (
    (drop_column, 12), (add_nullable_column, 12), (add_required_column, 6),
    (_retype("int", "bigint"), 8), (_retype("bigint", "int"), 5),
    (_retype("varchar", "int"), 4), (add_guarantee, 8), (remove_guarantee, 6),
    (tighten_guarantee, 6), (reorder_columns, 6), (edit_description, 12),
)


def build_pairs(documents: Sequence[dict[str, Any]], count: int = DEFAULT_PAIRS,
                seed: int = DEFAULT_SEED) -> tuple[list[Pair], Counter[str]]:
    """`count` independent (old, new, mode) triples and how many of each edit went in."""
    if not documents:
        raise ValueError("no contract documents with columns to build pairs from")
    rng = random.Random(seed)
    functions = [e for e, _ in EDITS]
    weights = [w for _, w in EDITS]
    pairs: list[Pair] = []
    kinds: Counter[str] = Counter()
    for _ in range(count):
        old = copy.deepcopy(rng.choice(documents))
        mode = rng.choices([m for m, _ in MODES], weights=[w for _, w in MODES])[0]
        if rng.random() < UNCHANGED_SHARE:
            pairs.append((old, copy.deepcopy(old), mode))
            kinds["unchanged"] += 1
            continue
        chosen = rng.choices(functions, weights=weights, k=rng.choices((1, 2, 3),
                                                                        (75, 20, 5))[0])
        new = copy.deepcopy(old)
        for edit in chosen:
            if not _props(old) or not _props(new):  # an earlier edit dropped the last column
                edit = add_nullable_column
            edit(old, new, rng)
            kinds[edit.__name__] += 1
        pairs.append((old, new, mode))
    return pairs, kinds


def classify_all(pairs: Sequence[Pair]) -> list[Any]:
    return [classify(old, new, mode) for old, new, mode in pairs]


def profile(pairs: Sequence[Pair], top: int = 25) -> str:
    """cProfile of one pass over the pairs: the top functions by own and cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    classify_all(pairs)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def run(pairs: int = DEFAULT_PAIRS, repeats: int = DEFAULT_REPEATS, seed: int = DEFAULT_SEED,
        manifest: Path | str | None = None, profile_when_slow: bool = True,
        always_profile: bool = False, out: TextIO | None = None) -> list[Figure]:
    documents = load_documents(manifest)
    built, kinds = build_pairs(documents, pairs, seed)
    print(f"[{NAME}] {len(built)} pairs from {len(documents)} documents; edits: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), file=out, flush=True)
    reports = classify_all(built)  # warm-up, and the verdicts for the record
    verdicts = Counter("unchanged" if not r.changes else
                       "breaking" if r.breaking else "compatible" for r in reports)
    rules = Counter(c.rule for r in reports for c in r.changes)
    print(f"[{NAME}] verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
          + "; rules: " + ", ".join(f"{k} {v}" for k, v in rules.most_common()), file=out)
    baseline, baseline_cpu = best_of(repeats, lambda: copy.deepcopy(built))
    seconds, cpu = best_of(repeats, lambda: classify_all(built))
    ok = seconds <= TARGET_SECONDS * len(built) / DEFAULT_PAIRS
    print(file=out)
    print(table(("measure", "pairs", "total s", "pairs/s", "ratio to deepcopy", "cpu s",
                 "cpu ratio"),
                [("classify", len(built), f"{seconds:.3f}", f"{len(built) / seconds:,.0f}",
                  f"{seconds / baseline:.2f}", f"{cpu:.3f}", f"{cpu / baseline_cpu:.2f}"),
                 ("copy.deepcopy (baseline)", len(built), f"{baseline:.3f}",
                  f"{len(built) / baseline:,.0f}", "1.00", f"{baseline_cpu:.3f}", "1.00")]),
          file=out)
    print(f"best of {repeats}; target: {DEFAULT_PAIRS:,} classifications in <= "
          f"{TARGET_SECONDS} s (scaled to {len(built)} pairs: "
          f"{TARGET_SECONDS * len(built) / DEFAULT_PAIRS:.3f} s) -> {'ok' if ok else 'FAIL'}",
          file=out)
    if always_profile or (profile_when_slow and not ok):
        print(f"\n[{NAME}] cProfile of one pass:\n{profile(built)}", file=out)
    return [Figure(NAME, f"classify {len(built)} pairs", seconds, "copy.deepcopy", baseline,
                   f"total <= {TARGET_SECONDS * len(built) / DEFAULT_PAIRS:g} s", ok)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=DEFAULT_PAIRS,
                        help=f"number of pairs (default {DEFAULT_PAIRS})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"best of how many runs (default {DEFAULT_REPEATS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--manifest", help="manifest to take the documents from "
                                           "(default: the Tuva manifest of the corpus)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one pass even when within the target")
    args = parser.parse_args(argv)
    figures = run(args.pairs, args.repeats, args.seed, args.manifest,
                  always_profile=args.profile)
    return 1 if any(f.ok is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
