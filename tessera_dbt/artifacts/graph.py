"""The one walk down a manifest's graph, shared by consumer discovery, column lineage and
`tessera impact`.

A node's *readers* are its children that can read it: models, snapshots, exposures and
the semantic layer (semantic models, metrics, saved queries); tests and the like are not
readers. A walk goes breadth-first from an asset to its readers and on through those that
`through` lets it pass; consumer discovery and lineage pass through the owner's own models
that are not under contract, and the owner's own semantic nodes, because another team's
model or semantic node, or one of the owner's contracted models, is an interface of its
own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from .nodes import CONSUMING_TYPES, is_under_contract, owner_of
from .readers import Manifest


def semantic_node(manifest: Manifest, unique_id: str) -> dict[str, Any] | None:
    """The semantic model, metric or saved query `unique_id` names, if it names one."""
    return (manifest.semantic_models.get(unique_id) or manifest.metrics.get(unique_id)
            or manifest.saved_queries.get(unique_id))


class Graph:
    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._owners: dict[str, str | None] = {}
        self._frontiers: dict[str, tuple[str, ...]] = {}

    def owner(self, unique_id: str) -> str | None:
        """A node's owner (`nodes.owner_of`); a semantic node without one of its own
        belongs to the team of the first node it is built on (a semantic model to its
        model's, a metric to its semantic model's, a saved query to its first metric's)."""
        if unique_id not in self._owners:
            m = self.manifest
            semantic = semantic_node(m, unique_id)
            node = semantic or m.nodes.get(unique_id) or m.sources.get(unique_id) or {}
            self._owners[unique_id] = None  # a cycle (never in dbt) ends here
            owner = owner_of(node, m.groups)
            if owner is None and semantic is not None:
                parents = (semantic.get("depends_on") or {}).get("nodes") or ()
                owner = next((o for o in map(self.owner, parents) if o), None)
            self._owners[unique_id] = owner
        return self._owners[unique_id]

    def readers(self, unique_id: str) -> list[str]:
        return [c for c in self.manifest.child_map.get(unique_id) or ()
                if c.startswith("exposure.") or semantic_node(self.manifest, c) is not None
                or (self.manifest.nodes.get(c) or {}).get("resource_type") in CONSUMING_TYPES]

    def owners_own(self, unique_id: str, owner: str | None) -> bool:
        """A model or snapshot of `owner` that is not under contract, or a semantic node of
        `owner` (the semantic layer has no contracts): a walk passes it."""
        if semantic_node(self.manifest, unique_id) is not None:
            return self.owner(unique_id) == owner
        node = self.manifest.nodes.get(unique_id)
        return (node is not None and node.get("resource_type") in CONSUMING_TYPES
                and self.owner(unique_id) == owner and not is_under_contract(node))

    def walk(self, start: str, through: Callable[[str], bool]) -> dict[str, list[str]]:
        """Every reader reached from `start` → its parents on the way, in breadth-first
        order (so the first parent is on a shortest path); a reached node is walked
        through when `through(node)`."""
        reached: dict[str, list[str]] = {}
        queue = deque([start])
        visited = {start}
        while queue:
            current = queue.popleft()
            for child in sorted(self.readers(current)):
                parents = reached.setdefault(child, [])
                if current not in parents:
                    parents.append(current)
                if child not in visited and not child.startswith("exposure.") \
                        and through(child):
                    visited.add(child)
                    queue.append(child)
        return reached

    def frontier(self, start: str) -> tuple[str, ...]:
        """The readers a walk through the owner's own uncontracted models and semantic
        nodes ends at: exposures and other teams' (or contracted) models and semantic
        nodes. The same set as the nodes of `walk(start, owners_own)` that are not walked
        through, but memoised per node (the frontier of a node depends only on its owner,
        which its walked-through parents share), so extracting every asset of a large
        project stays linear."""
        stack = [(start, False)]
        while stack:
            current, expanded = stack.pop()
            if current in self._frontiers:
                continue
            children = self.readers(current)
            owner = self.owner(current)
            inner = [c for c in children if self.owners_own(c, owner)]
            if not expanded and any(c not in self._frontiers for c in inner):
                stack.append((current, True))
                stack.extend((c, False) for c in inner if c not in self._frontiers)
                continue
            found: dict[str, None] = {}
            for child in children:
                if child in inner:
                    found.update(dict.fromkeys(self._frontiers.get(child, ())))
                else:
                    found[child] = None
            self._frontiers[current] = tuple(found)
        return self._frontiers[start]
