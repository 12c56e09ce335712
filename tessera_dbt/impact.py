"""Who is downstream of an asset: every model, snapshot and exposure, with depth and owner."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .artifacts import Manifest
from .contracts import owner_of

_DOWNSTREAM = ("model", "snapshot", "exposure")


@dataclass(frozen=True)
class Impacted:
    unique_id: str
    name: str
    resource_type: str
    depth: int
    owner: str | None
    via: str  # the parent it was reached through


def downstream(manifest: Manifest, unique_id: str) -> list[Impacted]:
    """Breadth-first over the child map: each node once, at its smallest depth."""
    seen = {unique_id}
    queue = deque([(unique_id, 0)])
    out: list[Impacted] = []
    while queue:
        current, depth = queue.popleft()
        for child in sorted(manifest.child_map.get(current) or ()):
            if child in seen:
                continue
            seen.add(child)
            node = manifest.nodes.get(child) or manifest.exposures.get(child) or {}
            kind = str(node.get("resource_type") or child.split(".", 1)[0])
            if kind not in _DOWNSTREAM:
                continue
            if kind == "exposure":
                owner = node.get("owner") or {}
                team = owner.get("name") or owner.get("email")
            else:
                team = owner_of(node, manifest.groups)
            parent = manifest.nodes.get(current) or manifest.sources.get(current) or {}
            out.append(Impacted(child, str(node.get("name") or child), kind, depth + 1, team,
                                str(parent.get("name") or current)))
            queue.append((child, depth + 1))
    return out
