"""The lineage cache: per-model analyses by (compiled SQL, parents, dialect), in one JSON
file per manifest path, in the user's cache directory."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from ..artifacts.readers import Manifest

LINEAGE_VERSION = 3


class LineageCache:
    """Per-model analyses by (compiled SQL, parents, dialect), in one JSON file."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if path and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    raw = json.load(handle)
                if raw.get("version") == LINEAGE_VERSION:
                    self.entries = dict(raw.get("entries") or {})
            except (OSError, ValueError, AttributeError):
                self.entries = {}  # a corrupt cache is rebuilt, never trusted

    def save(self) -> None:
        if not self.path or not self.dirty:
            return
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump({"version": LINEAGE_VERSION, "entries": self.entries}, handle)
            os.replace(temporary, self.path)
            self.dirty = False
        except OSError:
            pass  # a cache that cannot be written only costs time


def cache_dir() -> str:
    """`$TESSERA_CACHE_DIR`, else the user's cache directory: never beside the manifest,
    which may be a read-only or shared artifact (a production manifest, a CI download)."""
    return os.environ.get("TESSERA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tessera-dbt")


def default_cache(manifest: Manifest) -> LineageCache:
    """One cache file per manifest path (entries are keyed by content, so a rebuilt
    manifest reuses what did not change), if the manifest is a file."""
    if not os.path.isfile(manifest.path):
        return LineageCache(None)
    key = hashlib.sha256(os.path.abspath(manifest.path).encode()).hexdigest()[:16]
    return LineageCache(os.path.join(cache_dir(), f"lineage-{key}.json"))
