"""Per object, against the live cluster (pure): what to do, from what is known.

First without any request (opted out, new, proven unchanged by managedFields); otherwise from
what a server-side dry-run apply answered (the merged object, or why it was refused). The
requests themselves are sent by the kube edge (aimsync.kube.ssa).
"""

from __future__ import annotations

from typing import Any

from aimsync.core.objects import DesiredObject
from aimsync.core.results import Cause, DryRun, Failure, Outcome, Result
from aimsync.plan.changes import Action, ObjectChange
from aimsync.plan.compare import json_patch
from aimsync.plan.prune import OPT_OUT_REASON, opted_out
from aimsync.plan.unchanged import (
    changed_by_aimsync_alone,
    differs,
    normalize,
    proven_unchanged,
)

PROVEN = "unchanged (proven by managedFields, no request)"
ADOPTED = "adopted (exists, not yet in aimsync's inventory)"
# How a failed dry-run shows in the plan (the failure itself says why).
NOT_APPLIED = {
    Cause.CONFLICT: "conflict",
    Cause.REFUSED: "refused",
    Cause.IMMUTABLE: "refused",
    Cause.UNREACHABLE: "cluster error",
}


# Kinds whose refused apply means more than a refusal: a download Job whose template
# changed is recreated, a running one left to finish (kube.ssa.replace) -- planned by a
# dry-run, so that the plan says so.
PLANNED_BY_DRY_RUN = frozenset({"Job"})


def decide_without_request(
    obj: DesiredObject, live: dict[str, Any] | None, manager: str, verify_creates: bool
) -> ObjectChange | None:
    """The decision when no request is needed, else None (a dry-run decides). A sync
    (`verify_creates` false) applies an object that only aimsync manages at once: the
    apply's answer says what changed (`settle`)."""
    if opted_out(live):
        return ObjectChange(obj.key, Action.SKIP, live, obj.manifest, reason=OPT_OUT_REASON)
    if live is None and not verify_creates:
        return ObjectChange(obj.key, Action.CREATE, None, obj.manifest, reason="new")
    if live is not None and proven_unchanged(obj.manifest, live, manager):
        return ObjectChange(obj.key, Action.UNCHANGED, live, obj.manifest, reason=PROVEN)
    if (
        live is not None and not verify_creates and obj.key.kind not in PLANNED_BY_DRY_RUN
        and changed_by_aimsync_alone(obj.manifest, live, manager)
    ):
        return ObjectChange(obj.key, Action.UPDATE, normalize(live), obj.manifest,
                            reason="fields changed", direct=True)
    return None


def settle(
    change: ObjectChange, outcome: Outcome | None, obj: DesiredObject,
    listed: dict[str, Any] | None,
) -> tuple[ObjectChange, Outcome | None]:
    """A change applied without a dry-run, once the apply answered: the change as a
    dry-run would have planned it (before -> after from the answer; unchanged when the
    server found nothing to change; not applied when it refused), and the outcome to report
    (none for an apply that changed nothing, or whose refusal the change now carries)."""
    if not change.direct or outcome is None:
        return change, outcome
    if outcome.result is Result.FAILED and outcome.failure is not None:
        return decide_from_failure(obj, listed, outcome.failure), None
    if outcome.applied is None or listed is None:
        return change, outcome
    before, after = normalize(listed), normalize(outcome.applied)
    if not differs(outcome.applied, listed):
        return ObjectChange(change.key, Action.UNCHANGED, before, after,
                            reason="unchanged (the apply changed nothing)"), None
    return ObjectChange(change.key, Action.UPDATE, before, after, json_patch(before, after),
                        reason=change.reason), outcome


def decide_from_dry_run(obj: DesiredObject, listed: dict[str, Any] | None, dry: DryRun) -> (
    ObjectChange
):
    """`listed`: the live object as listed (None: not in the inventory)."""
    if dry.live is None:
        return ObjectChange(obj.key, Action.CREATE, None, normalize(dry.merged), reason="new")
    reason = "fields changed" if listed is not None else ADOPTED
    if dry.reclaimed:
        reason = f"drift: taking back fields edited by {', '.join(dry.reclaimed)}"
    if not differs(dry.merged, dry.live):
        return ObjectChange(obj.key, Action.UNCHANGED, normalize(dry.live), normalize(dry.merged),
                            reason="unchanged (dry-run)")
    before, after = normalize(dry.live), normalize(dry.merged)
    return ObjectChange(obj.key, Action.UPDATE, before, after, json_patch(before, after),
                        reason=reason, force=bool(dry.reclaimed))


def replaced_on(failure: Failure) -> bool:
    """A download Job's template cannot change: a refusal of an existing Job for an immutable
    field means it is replaced (deleted and created), never updated."""
    return failure.key.kind == "Job" and failure.cause is Cause.IMMUTABLE


def decide_from_failure(
    obj: DesiredObject, live: dict[str, Any] | None, failure: Failure
) -> ObjectChange:
    """A refused dry-run: a download Job whose template changed is replaced (it cannot be
    updated); anything else is not applied, and the run reports the failure."""
    if live is not None and replaced_on(failure):
        return ObjectChange(obj.key, Action.UPDATE, normalize(live), obj.manifest,
                            reason="spec changed: the download Job is recreated", replace=True)
    reason = NOT_APPLIED.get(failure.cause, "dry-run refused")
    return ObjectChange(obj.key, Action.SKIP, live, obj.manifest, reason=f"not applied: {reason}",
                        failure=failure)
