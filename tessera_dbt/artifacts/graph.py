"""The one walk down a manifest's graph, shared by consumer discovery, column lineage and
`tessera impact`.

A node's *readers* are its children that can read it: models, snapshots and exposures
(tests, metrics and the like are not readers). A walk goes breadth-first from an asset to
its readers and on through those that `through` lets it pass; consumer discovery and
lineage pass through the owner's own models that are not under contract, because another
team's model, or one of the owner's contracted models, is an interface of its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .nodes import CONSUMING_TYPES, is_under_contract, owner_of
from .readers import Manifest


class Graph:
    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._owners: dict[str, str | None] = {}
        self._frontiers: dict[str, tuple[str, ...]] = {}

    def owner(self, unique_id: str) -> str | None:
        if unique_id not in self._owners:
            m = self.manifest
            node = m.nodes.get(unique_id) or m.sources.get(unique_id) or {}
            self._owners[unique_id] = owner_of(node, m.groups)
        return self._owners[unique_id]

    def readers(self, unique_id: str) -> list[str]:
        return [c for c in self.manifest.child_map.get(unique_id) or ()
                if c.startswith("exposure.")
                or (self.manifest.nodes.get(c) or {}).get("resource_type") in CONSUMING_TYPES]

    def owners_own(self, unique_id: str, owner: str | None) -> bool:
        """A model or snapshot of `owner` that is not under contract: a walk passes it."""
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
        """The readers a walk through the owner's own uncontracted models ends at:
        exposures and other teams' (or contracted) models. The same set as the nodes of
        `walk(start, owners_own)` that are not walked through, but memoised per node (the
        frontier of a node depends only on its owner, which its walked-through parents
        share), so extracting every asset of a large project stays linear."""
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
