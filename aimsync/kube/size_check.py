"""Reading what a check-size Job measured: the last line of its pod's log, as the operator's
`FetchRemoteState` does (internal/v1alpha1/aimartifact/reconcile.go at e837778: container
`check-size`, `tailLines: 1`, parsed once the Job has succeeded)."""

from __future__ import annotations

from aimsync.core.halt import Halted
from aimsync.core.live import ObjectState, job_state, uid_of
from aimsync.core.objects import ObjectKey
from aimsync.core.sizing import (
    CHECK_SIZE_CONTAINER,
    SizeCheckState,
    SizeReading,
    UnusableOutput,
    parse_check_size_output,
)
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError
from aimsync.kube.read import get_object, list_objects
from aimsync.kube.resources import RESOURCES

# Set by the Job controller on the pods of a Job; the UID, not the name, so that a pod of an
# earlier Job of the same name is never read.
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
REMEASURE_HINT = "delete the Job to measure again, or give the model source a size"


def read_size_check(kube: KubeClient, job_key: ObjectKey) -> SizeReading:
    """The size a check-size Job measured, or why there is none (yet)."""
    try:
        job = get_object(kube, job_key)
        if job is None or job_state(job) is ObjectState.PENDING:
            return SizeReading(job_key, SizeCheckState.RUNNING)
        if job_state(job) is ObjectState.FAILED:
            return SizeReading.failed(job_key, f"the check-size Job failed; {REMEASURE_HINT}")
        pods = list_objects(
            kube, RESOURCES["Pod"], job_key.namespace, f"{CONTROLLER_UID_LABEL}={uid_of(job)}"
        )
        finished = sorted(
            (p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"),
            key=lambda p: str((p.get("metadata") or {}).get("name", "")),
        )
        if not finished:
            return SizeReading.failed(
                job_key, f"the Job succeeded but no finished pod is left to read; "
                f"{REMEASURE_HINT}"
            )
        pod = str(finished[-1]["metadata"]["name"])
        path = RESOURCES["Pod"].object_path(pod, job_key.namespace) + "/log"
        query = [("container", CHECK_SIZE_CONTAINER), ("tailLines", "1")]
        tail = kube.read_text(path, query=query)
    except Halted:  # the whole run stops, not this object
        raise
    except KubeError as exc:
        return SizeReading.failed(job_key, f"cannot read the check-size output: {exc}")
    try:
        return SizeReading.measured(job_key, parse_check_size_output(tail))
    except UnusableOutput as exc:
        return SizeReading.failed(job_key, f"{exc}; {REMEASURE_HINT}")
