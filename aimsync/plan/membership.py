"""Inventory membership (pure): every applied object carries its ApplySet's part-of label."""

from __future__ import annotations

from collections.abc import Iterable

from aimsync.core.applyset import PART_OF_LABEL
from aimsync.core.objects import DesiredObject


def with_membership(objects: Iterable[DesiredObject], applyset: str) -> list[DesiredObject]:
    """The desired objects with the inventory's part-of label (they are its members)."""
    out = []
    for obj in objects:
        metadata = obj.manifest["metadata"]
        assert isinstance(metadata, dict)
        # Copies of the two levels that change; the rest is shared, never mutated.
        labels = {**(metadata.get("labels") or {}), PART_OF_LABEL: applyset}
        manifest = {**obj.manifest, "metadata": {**metadata, "labels": labels}}
        out.append(DesiredObject(obj.key, manifest, obj.origin))
    return out
