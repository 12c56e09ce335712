"""Which published asset a contract document is: the one matcher the gate, the hook,
`tessera check` and `propose` use.

An asset is published under its relation name (`database.schema.identifier`). A document
is the published asset of its own relation name; a document whose relation is not published
is the published asset its dbt node moved from (alias, schema or database changed): an asset
this manifest no longer has whose last contract names the document's unique_id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, TypeVar

Key = TypeVar("Key", bound=Hashable)


def unique_id(doc: Mapping[str, Any]) -> str | None:
    value = (doc.get("x-dbt") or {}).get("unique_id")
    return str(value) if value else None


def match_published(documents: Mapping[Key, Mapping[str, Any]], published: Collection[str],
                    present: Collection[str],
                    unique_ids_of: Callable[[list[str]], Mapping[str, str | None]]
                    ) -> dict[Key, str]:
    """key → the published asset each document is (documents of new assets are absent).

    `published`: the published asset names; `present`: the asset names this manifest has
    under contract; `unique_ids_of(assets)`: the unique_id each asset's last published
    contract names, asked only for published assets the manifest no longer has."""
    out: dict[Key, str] = {k: str(d["asset"]) for k, d in documents.items()
                           if d["asset"] in published}
    new = {k: unique_id(d) for k, d in documents.items() if k not in out}
    if not new:
        return out
    gone = sorted(set(published) - set(present) - set(out.values()))
    if not gone:
        return out
    by_uid: dict[str, str] = {}
    for asset, uid in unique_ids_of(gone).items():
        if uid:
            by_uid.setdefault(uid, asset)
    for key, uid in new.items():
        if uid in by_uid:
            out[key] = by_uid.pop(uid)
    return out


def published_name(model: str, heads: Collection[str],
                   last_contracts: Mapping[str, Mapping[str, Any]]) -> str | None:
    """A published asset named as a user types it (asset name, dbt name, `name.vN` or
    unique_id), for one that the manifest may no longer have."""
    if model in heads:
        return model
    for asset, doc in last_contracts.items():
        dbt = doc.get("x-dbt") or {}
        names = {dbt.get("unique_id"), dbt.get("name")}
        if dbt.get("model_version") is not None:
            names.add(f"{dbt.get('name')}.v{dbt['model_version']}")
        if model in names:
            return asset
    return None
