"""Who consumes an asset, as the manifests say: the one consumer discovery.

Consumers are found in four places (interfaces.md): the asset's declared
`meta.tessera.consumers`; downstream models, snapshots and semantic nodes (semantic
models, metrics, saved queries) of other teams, and exposures (the frontier of
`graph.Graph`); and, for a public model, models of other projects' manifests that ref it.
Registrations (`tessera.register`) live in the warehouse and are added by the callers
that read it. Contract documents list these as `consumers`; column lineage
(`lineage.consumers`) asks each of them whether it reads a changed column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.vocabulary import ConsumerSource
from .graph import Graph, semantic_node
from .meta_config import declared_consumers
from .nodes import CONSUMING_TYPES, access_of, owner_of
from .readers import Manifest


@dataclass(frozen=True)
class Found:
    """One reason a team consumes the asset."""

    team: str
    source: ConsumerSource
    # the reading node's name (a semantic node's or a project's: its unique_id, as a
    # semantic model, a metric and a model often share one name)
    via: str | None = None
    node: str | None = None  # the reading node's unique_id (downstream, exposure, project)
    manifest: Manifest | None = None  # the other project's manifest (project)
    purpose: str | None = None
    project: str | None = None
    columns: Any = None  # the columns a declared consumer says it reads


def exposure_owner(exposure: dict[str, Any]) -> str | None:
    owner = exposure.get("owner") or {}
    return owner.get("name") or owner.get("email")


def discover(graph: Graph, unique_id: str, node: dict[str, Any], owner: str | None,
             tessera: dict[str, Any], consumer_manifests: Sequence[Manifest]
             ) -> Iterator[Found]:
    """Every team (but the owner) that consumes the asset, once per reason, in the order:
    declared, downstream and exposures, other projects."""

    def team_of(value: Any) -> str | None:
        return str(value) if value and str(value) != owner else None

    for declared in declared_consumers(tessera):
        if isinstance(declared, dict):
            team = team_of(declared.get("team"))
            if team:
                yield Found(team, "declared", purpose=declared.get("purpose"),
                            columns=declared.get("columns"))
        elif team_of(declared):
            yield Found(str(declared), "declared")
    manifest = graph.manifest
    for child in graph.frontier(unique_id):
        if child.startswith("exposure."):
            exposure = manifest.exposures.get(child) or {}
            team = team_of(exposure_owner(exposure))
            if team:
                yield Found(team, "exposure", via=exposure.get("name"), node=child)
        elif semantic_node(manifest, child) is not None:
            team = team_of(graph.owner(child))
            if team:  # the vocabulary has no word of its own for the semantic layer
                yield Found(team, "downstream", via=child, node=child)
        else:
            team = team_of(graph.owner(child))
            if team:
                yield Found(team, "downstream", via=manifest.nodes[child].get("name"),
                            node=child)
    if access_of(node) != "public":
        return
    for other in consumer_manifests:
        for other_id, other_node in other.nodes.items():
            parents = (other_node.get("depends_on") or {}).get("nodes") or ()
            if (other_node.get("resource_type") in CONSUMING_TYPES and unique_id in parents
                    and other_node.get("package_name") != node.get("package_name")):
                team = team_of(owner_of(other_node, other.groups) or other.project_name)
                if team:
                    yield Found(team, "project", via=other_node.get("unique_id") or other_id,
                                node=other_id, manifest=other, project=other.project_name)
