"""Server-side apply of one object (field manager `aimsync`), for real or as a dry run.

A conflict is classified once, here, for both: fields taken by imperative edits of managers in
`reclaimFromManagers` are drift, taken back with force (as Flux does); any other owner is a
conflict, reported, and forced only with --force-conflicts.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from aimsync.core.halt import Halted
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Cause, Failure
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import Conflict, KubeError
from aimsync.kube.read import get_object
from aimsync.kube.resources import object_path
from aimsync.kube.ssa.failures import ApplyFailed, failure_of
from aimsync.plan.conflicts import conflict_owners, describe_conflict, reclaimable

APPLY_PATCH = "application/apply-patch+yaml"


class ApplyPolicy(Struct, frozen=True):
    manager: str  # the field manager
    force_conflicts: bool = False  # --force-conflicts: take over fields of any manager
    reclaim_from: tuple[str, ...] = ()  # manager prefixes whose Update edits are drift


class Applied(Struct, frozen=True):
    obj: dict[str, Any]  # what the API server returned
    created: bool  # the API answered 201
    reclaimed: tuple[str, ...] = ()  # managers whose fields were taken back


def server_side_apply(
    kube: KubeClient,
    key: ObjectKey,
    manifest: dict[str, object],
    *,
    field_manager: str,
    force: bool = False,
    dry_run: bool = False,
) -> Applied:
    """One PATCH with `application/apply-patch+yaml`; API errors are raised as they come."""
    query = [
        ("fieldManager", field_manager),
        ("fieldValidation", "Strict"),
        ("force", "true" if force else "false"),
    ]
    if dry_run:
        query.append(("dryRun", "All"))
    status, obj = kube.request_with_status(
        "PATCH", object_path(key), query=query, body=manifest, content_type=APPLY_PATCH
    )
    return Applied(obj, created=status == 201)


def apply(
    kube: KubeClient,
    obj: DesiredObject,
    live: dict[str, Any] | None,
    policy: ApplyPolicy,
    *,
    dry_run: bool = False,
    force: bool = False,
) -> Applied:
    """Apply `obj`; `live` is the object as listed (fetched on a conflict when None).
    Raises ApplyFailed, with a typed cause, for anything the API refuses."""
    try:
        try:
            return server_side_apply(
                kube, obj.key, obj.manifest, field_manager=policy.manager,
                force=force or policy.force_conflicts, dry_run=dry_run,
            )
        except Conflict as exc:
            current = live if live is not None else get_object(kube, obj.key)
            owners = conflict_owners([(c.field, c.message) for c in exc.causes], current)
            if not reclaimable(owners, list(policy.reclaim_from)):
                raise ApplyFailed(
                    Failure(obj.key, Cause.CONFLICT, describe_conflict(owners))
                ) from None
            applied = server_side_apply(
                kube, obj.key, obj.manifest, field_manager=policy.manager, force=True,
                dry_run=dry_run,
            )
            return Applied(applied.obj, applied.created, tuple(o.manager for o in owners))
    except ApplyFailed:
        raise
    except Halted:  # the whole run stops, not this object
        raise
    except KubeError as exc:
        raise ApplyFailed(failure_of(obj.key, exc, exists=live is not None)) from None
