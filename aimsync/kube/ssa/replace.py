"""Immutable fields on purpose: a download Job's template cannot change, so a finished Job
is deleted and created again; a running one is left to finish (a later run replaces it)."""

from __future__ import annotations

from typing import Any

from aimsync.core.halt import Halted
from aimsync.core.live import ObjectState, job_state, uid_of
from aimsync.core.objects import DesiredObject
from aimsync.core.results import Cause, Failure, Outcome, Result
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError
from aimsync.kube.read import get_object
from aimsync.kube.ssa.apply import ApplyPolicy, apply
from aimsync.kube.ssa.delete import GONE_TIMEOUT_SECONDS, delete_object, wait_gone
from aimsync.kube.ssa.failures import ApplyFailed, failure_of

DEFERRED = (
    "the download Job's spec changed while it is running; it is recreated by a run after it "
    "finishes"
)


def recreate_job(
    kube: KubeClient, obj: DesiredObject, live: dict[str, Any] | None, policy: ApplyPolicy
) -> Outcome:
    """Raises ApplyFailed when a request fails."""
    try:
        current = live if live is not None else get_object(kube, obj.key)
        if current is None:  # gone meanwhile: create it
            applied = apply(kube, obj, None, policy)
            return Outcome(obj.key, Result.CREATED if applied.created else Result.CONFIGURED)
        if job_state(current) is ObjectState.PENDING:
            # Not a failure: the download goes on, and a later run recreates the Job.
            return Outcome(obj.key, Result.DEFERRED, DEFERRED)
        uid = uid_of(current)
        delete_object(kube, obj.key, uid=uid)
        if not wait_gone(kube, obj.key, uid):
            raise ApplyFailed(Failure(
                obj.key, Cause.NOT_GONE,
                f"the old download Job did not go away in {GONE_TIMEOUT_SECONDS:g} s",
            ))
        apply(kube, obj, None, policy)
    except ApplyFailed:
        raise
    except Halted:  # the whole run stops, not this object
        raise
    except KubeError as exc:
        raise ApplyFailed(failure_of(obj.key, exc, exists=True)) from None
    return Outcome(obj.key, Result.RECREATED, "finished download Job recreated with the new spec")
