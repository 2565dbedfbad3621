"""Plan against the live cluster: create, update, unchanged, prune, skip (DESIGN.md §4).

For each desired object: unchanged without any request when aimsync's managedFields prove it;
otherwise a server-side dry-run apply compared with the live object. Objects that left the
repository are pruned only when asked and when the guards allow.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aimsync.kube.apply import server_side_apply
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import ApiError, Conflict, Invalid, KubeError
from aimsync.kube.read import get_object
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.compare import json_patch
from aimsync.plan.conflicts import conflict_owners, describe_conflict, reclaimable
from aimsync.plan.live import differs, normalize, proven_unchanged
from aimsync.render.labels import (
    CACHE_MODE_LABEL,
    OPT_OUT_ANNOTATION,
    SPEC_KIND_LABEL,
    SPEC_NAME_LABEL,
)
from aimsync.render.objects import KIND_STAGE, DesiredObject
from aimsync.sync.live_state import LiveState


@dataclass(frozen=True)
class PruneGuards:
    prune: bool = False
    allow_empty: bool = False
    shared_caches: bool = False
    # Services still in the repository: their objects are kept even when the service cannot
    # be deployed right now (as the operator keeps an InferenceService whose profile is not
    # ready); only objects whose spec left the repository are pruned.
    services: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class PlanFailure:
    change: ObjectChange
    message: str


def opted_out(obj: dict[str, Any] | None) -> bool:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(OPT_OUT_ANNOTATION, "")).lower() == "true"


def pvc_refusal(error: ApiError) -> str:
    return (
        f"Kubernetes refuses this PVC change ({describe_api_error(error)}); a model cache "
        "volume is never deleted to force it: change it back, or delete the PVC yourself if "
        "the cache may be downloaded again"
    )


def describe_api_error(error: ApiError) -> str:
    if error.causes:
        details = "; ".join(f"{c.field}: {c.message}" if c.field else c.message
                            for c in error.causes)
        return f"{error.reason or error.status}: {details}"
    return f"{error.reason or error.status}: {error.message}"


class ConflictRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def _dry_run(
    kube: KubeClient,
    obj: DesiredObject,
    live: dict[str, Any] | None,
    manager: str,
    force: bool,
    reclaim_from: list[str],
) -> tuple[dict[str, Any], bool]:
    """The merged object of a dry-run apply, and whether it needs force (drift taken back)."""
    try:
        result = server_side_apply(
            kube, obj.key, obj.manifest, field_manager=manager, force=force, dry_run=True
        )
        return result.obj, False
    except Conflict as exc:
        owners = conflict_owners([(c.field, c.message) for c in exc.causes], live)
        if not reclaimable(owners, reclaim_from):
            raise ConflictRefused(describe_conflict(owners)) from None
        result = server_side_apply(
            kube, obj.key, obj.manifest, field_manager=manager, force=True, dry_run=True
        )
        return result.obj, True


def _plan_one(
    kube: KubeClient,
    obj: DesiredObject,
    live: dict[str, Any] | None,
    manager: str,
    force: bool,
    verify_creates: bool,
    reclaim_from: list[str],
) -> ObjectChange:
    if opted_out(live):
        return ObjectChange(obj.key, Action.SKIP, live, obj.manifest,
                            reason=f"live object has {OPT_OUT_ANNOTATION}=true")
    if live is None and not verify_creates:
        return ObjectChange(obj.key, Action.CREATE, None, obj.manifest, reason="new")
    if live is not None and proven_unchanged(obj.manifest, live, manager):
        return ObjectChange(obj.key, Action.UNCHANGED, live, obj.manifest,
                            reason="unchanged (proven by managedFields, no request)")
    merged, needs_force = _dry_run(kube, obj, live, manager, force, reclaim_from)
    if live is None:
        if not (merged.get("metadata") or {}).get("resourceVersion"):
            return ObjectChange(obj.key, Action.CREATE, None, normalize(merged), reason="new")
        # It exists without aimsync's inventory label: aimsync adopts it.
        live = get_object(kube, obj.key)
        if live is None:
            return ObjectChange(obj.key, Action.CREATE, None, normalize(merged), reason="new")
        reason = "adopted (exists, not yet in aimsync's inventory)"
    else:
        reason = "fields changed"
    if needs_force:
        owners = sorted(
            {e.get("manager", "") for e in (live.get("metadata") or {}).get("managedFields") or []
             if any(str(e.get("manager", "")).startswith(p) for p in reclaim_from)}
        )
        reason = f"drift: taking back fields edited by {', '.join(owners) or 'another manager'}"
    if not differs(merged, live):
        return ObjectChange(obj.key, Action.UNCHANGED, normalize(live), normalize(merged),
                            reason="unchanged (dry-run)")
    before, after = normalize(live), normalize(merged)
    return ObjectChange(obj.key, Action.UPDATE, before, after, json_patch(before, after),
                        reason=reason, force=needs_force)


def plan_against_live(
    kube: KubeClient,
    desired: list[DesiredObject],
    live: LiveState,
    *,
    manager: str,
    force: bool,
    concurrency: int,
    guards: PruneGuards,
    verify_creates: bool,
    reclaim_from: list[str] | None = None,
) -> tuple[ChangeSet, list[PlanFailure]]:
    """`verify_creates`: dry-run new objects too (diff does; sync lets the apply decide)."""
    failures: list[PlanFailure] = []

    def plan(obj: DesiredObject) -> ObjectChange:
        current = live.members.get(obj.key)
        try:
            return _plan_one(
                kube, obj, current, manager, force, verify_creates, reclaim_from or []
            )
        except ConflictRefused as exc:
            change = ObjectChange(obj.key, Action.UPDATE if current else Action.CREATE,
                                  current, obj.manifest, reason="conflict")
            failures.append(PlanFailure(change, str(exc)))
            return change
        except Invalid as exc:
            if current is not None and obj.key.kind == "Job" and exc.immutable:
                # The template of a Job cannot change: the applier recreates a finished one.
                return ObjectChange(
                    obj.key, Action.UPDATE, normalize(current), obj.manifest,
                    reason="spec changed: the download Job is recreated", replace=True,
                )
            change = ObjectChange(obj.key, Action.UPDATE if current else Action.CREATE,
                                  current, obj.manifest, reason="refused")
            message = (
                pvc_refusal(exc) if obj.key.kind == "PersistentVolumeClaim" and current
                else describe_api_error(exc)
            )
            failures.append(PlanFailure(change, message))
            return change
        except ApiError as exc:
            change = ObjectChange(obj.key, Action.UPDATE if current else Action.CREATE,
                                  current, obj.manifest, reason="dry-run refused")
            failures.append(PlanFailure(change, describe_api_error(exc)))
            return change
        except KubeError as exc:
            change = ObjectChange(obj.key, Action.UPDATE if current else Action.CREATE,
                                  current, obj.manifest, reason="cluster error")
            failures.append(PlanFailure(change, str(exc)))
            return change

    ordered = sorted(desired, key=lambda o: o.key.sort_key)
    decided: dict[int, ObjectChange] = {}
    for index, obj in enumerate(ordered):  # what needs no request is decided right here
        current = live.members.get(obj.key)
        if current is not None and not opted_out(current) and proven_unchanged(
            obj.manifest, current, manager
        ):
            decided[index] = ObjectChange(
                obj.key, Action.UNCHANGED, current, obj.manifest,
                reason="unchanged (proven by managedFields, no request)",
            )
    rest = [(i, o) for i, o in enumerate(ordered) if i not in decided]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for (index, _), change in zip(rest, pool.map(plan, [o for _, o in rest]), strict=True):
            decided[index] = change
    changes = [decided[i] for i in range(len(ordered))]
    changes += prune_changes(desired, live, guards)
    return ChangeSet(changes), failures


def prune_changes(
    desired: list[DesiredObject], live: LiveState, guards: PruneGuards
) -> list[ObjectChange]:
    """Members that left the repository: DELETE, or SKIP with the guard that stopped it."""
    wanted = {o.key for o in desired}
    gone = sorted(
        (k for k in live.members if k not in wanted and k.kind in KIND_STAGE),
        key=lambda k: k.sort_key,
        reverse=True,  # prune in reverse apply order
    )
    changes = []
    for key in gone:
        obj = live.members[key]
        labels = (obj.get("metadata") or {}).get("labels") or {}
        reason = ""
        if not guards.prune:
            reason = "left the repository; --prune deletes it"
        elif not desired and not guards.allow_empty:
            reason = "the render is empty; refusing to prune everything without --allow-empty"
        elif opted_out(obj):
            reason = f"live object has {OPT_OUT_ANNOTATION}=true"
        elif (
            labels.get(SPEC_KIND_LABEL) == "AIMService"
            and (key.namespace, labels.get(SPEC_NAME_LABEL, "")) in guards.services
        ):
            reason = (
                f"AIMService {key.namespace}/{labels.get(SPEC_NAME_LABEL)} is still in the "
                "repository (not deployable now); kept"
            )
        elif (
            key.kind == "PersistentVolumeClaim"
            and labels.get(CACHE_MODE_LABEL, "Shared") == "Shared"
            and not guards.shared_caches
        ):
            reason = "Shared model cache kept; --prune-shared-caches deletes it"
        if reason:
            changes.append(ObjectChange(key, Action.SKIP, normalize(obj), None, reason=reason))
        else:
            changes.append(
                ObjectChange(key, Action.DELETE, normalize(obj), None, reason="left the repository")
            )
    return changes
