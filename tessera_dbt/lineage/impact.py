"""`tessera impact`: who is downstream of an asset (every model, snapshot, exposure,
semantic model, metric and saved query, with depth and owner), and which of the asset's
columns each of them reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..artifacts.consumers import exposure_owner
from ..artifacts.graph import Graph, semantic_node
from ..artifacts.readers import Manifest
from .cache import LineageCache
from .columns import Lineage, NodeReads, Tracer
from .consumers import SemanticReads, exposure_reads


@dataclass(frozen=True)
class Impacted:
    unique_id: str
    name: str
    resource_type: str
    depth: int
    owner: str | None
    via: str  # the parent it was reached through


def downstream(manifest: Manifest, unique_id: str) -> list[Impacted]:
    """Every reader reached, once, at its smallest depth, in breadth-first order."""
    graph = Graph(manifest)
    depth = {unique_id: 0}
    out: list[Impacted] = []
    for child, parents in graph.walk(unique_id, lambda uid: True).items():
        first = parents[0]
        depth[child] = depth[first] + 1
        node = (manifest.nodes.get(child) or manifest.exposures.get(child)
                or semantic_node(manifest, child) or {})
        kind = str(node.get("resource_type") or child.split(".", 1)[0])
        team = exposure_owner(node) if kind == "exposure" else graph.owner(child)
        parent = (manifest.nodes.get(first) or manifest.sources.get(first)
                  or semantic_node(manifest, first) or {})
        out.append(Impacted(child, str(node.get("name") or child), kind, depth[child], team,
                            str(parent.get("name") or first)))
    return out


def column_reads(manifest: Manifest, unique_id: str, compiled: Mapping[str, str] | None = None,
                 cache: LineageCache | None = None) -> dict[str, NodeReads]:
    """For `tessera impact --column`: every downstream model, snapshot, exposure and
    semantic node and the asset columns it reads, through every model in between."""
    lineage = Lineage(manifest, cache, compiled)
    tracer = Tracer(lineage, Graph(manifest), unique_id, lambda uid: True)
    reached = tracer.trace()
    tracer.derive(reached)
    semantic = SemanticReads(tracer, reached)
    out: dict[str, NodeReads] = {}
    for child, parents in reached.items():
        if child.startswith("exposure."):
            out[child] = exposure_reads(tracer, child, manifest.exposures.get(child) or {},
                                        parents, semantic)
        elif semantic_node(manifest, child) is not None:
            out[child] = semantic.reads(child)
        else:
            out[child] = tracer.reads(child, parents)
    lineage.cache.save()
    return out
