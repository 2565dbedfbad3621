"""Playing the controllers that do not run here (no kube-controller-manager, no KServe):
the status a finished download Job or a Ready InferenceService would have."""

from __future__ import annotations

import datetime as dt
from typing import Any


def job_succeeded_status() -> dict[str, Any]:
    """A merge patch for a Job's status subresource: the Job has succeeded."""
    moment = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "status": {
            "startTime": moment,
            "completionTime": moment,
            "succeeded": 1,
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": moment},
                {"type": "Complete", "status": "True", "lastTransitionTime": moment},
            ],
        }
    }


def job_pod(job: dict[str, Any], node: str, name: str) -> dict[str, Any]:
    """The pod the Job controller would create for `job`, bound to `node` (the scheduler's
    part): the Job's template, its labels and the controller reference."""
    template = job["spec"]["template"]
    uid, job_name = job["metadata"]["uid"], job["metadata"]["name"]
    labels = {
        **(template.get("metadata", {}).get("labels") or {}),
        "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": job_name,
        "controller-uid": uid, "job-name": job_name,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": job["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "batch/v1", "kind": "Job", "name": job_name, "uid": uid,
                "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": {**template["spec"], "nodeName": node},
    }


def pod_succeeded_status() -> dict[str, Any]:
    """A merge patch for a pod's status subresource: its containers ran and exited 0."""
    return {"status": {"phase": "Succeeded"}}
