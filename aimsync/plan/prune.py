"""What to prune (pure): members of the inventory that left the repository, and the guards
that keep some of them (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from msgspec import Struct

from aimsync.core.objects import KIND_STAGE, ObjectKey
from aimsync.plan.changes import Action, ObjectChange
from aimsync.plan.unchanged import normalize
from aimsync.render.labels import (
    CACHE_MODE_LABEL,
    OPT_OUT_ANNOTATION,
    SPEC_KIND_LABEL,
    SPEC_NAME_LABEL,
)

OPT_OUT_REASON = f"live object has {OPT_OUT_ANNOTATION}=true"


class PruneGuards(Struct, frozen=True):
    prune: bool = False
    allow_empty: bool = False
    shared_caches: bool = False
    # Services still in the repository: their objects are kept even when the service cannot
    # be deployed right now (as the operator keeps an InferenceService whose profile is not
    # ready); only objects whose spec left the repository are pruned.
    services: frozenset[tuple[str, str]] = frozenset()


def opted_out(obj: Mapping[str, Any] | None) -> bool:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(OPT_OUT_ANNOTATION, "")).lower() == "true"


def _kept_because(
    key: ObjectKey, obj: Mapping[str, Any], guards: PruneGuards, render_empty: bool
) -> str:
    """Why a member that left the repository is not deleted ("" if it is)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if not guards.prune:
        return "left the repository; --prune deletes it"
    if render_empty and not guards.allow_empty:
        return "the render is empty; refusing to prune everything without --allow-empty"
    if opted_out(obj):
        return OPT_OUT_REASON
    service = labels.get(SPEC_NAME_LABEL, "")
    if labels.get(SPEC_KIND_LABEL) == "AIMService" and (key.namespace, service) in (
        guards.services
    ):
        return (
            f"AIMService {key.namespace}/{service} is still in the repository (not deployable "
            "now); kept"
        )
    shared = labels.get(CACHE_MODE_LABEL, "Shared") == "Shared"
    if key.kind == "PersistentVolumeClaim" and shared and not guards.shared_caches:
        return "Shared model cache kept; --prune-shared-caches deletes it"
    return ""


def prune_changes(
    wanted: Iterable[ObjectKey], members: Mapping[ObjectKey, dict[str, Any]], guards: PruneGuards
) -> list[ObjectChange]:
    """Members not wanted any more: DELETE, or SKIP with the guard that stopped it; in
    reverse apply order (prune runs backwards)."""
    wanted = frozenset(wanted)
    gone = sorted(
        (k for k in members if k not in wanted and k.kind in KIND_STAGE),
        key=lambda k: k.sort_key,
        reverse=True,
    )
    changes = []
    for key in gone:
        obj = members[key]
        kept = _kept_because(key, obj, guards, render_empty=not wanted)
        if kept:
            changes.append(ObjectChange(key, Action.SKIP, normalize(obj), None, reason=kept))
        else:
            changes.append(ObjectChange(key, Action.DELETE, normalize(obj), None,
                                        reason="left the repository"))
    return changes
