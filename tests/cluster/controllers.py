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
