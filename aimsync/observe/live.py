"""Reading live objects (plain dicts from the API): what state is a Job or an InferenceService
in. Pure, so that planning, waiting and observing share one definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimsync.render.objects import ObjectKey

READY = "ready"
FAILED = "failed"
PENDING = "pending"


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(entry, dict) and entry.get("type") == kind:
            return entry
    return None


def job_state(job: dict[str, Any]) -> str:
    """Complete (or succeeded) -> ready; Failed -> failed; anything else is pending."""
    complete = condition(job, "Complete")
    if (complete and complete.get("status") == "True") or (
        (job.get("status") or {}).get("succeeded") or 0
    ) >= 1:
        return READY
    failed = condition(job, "Failed")
    if failed and failed.get("status") == "True":
        return FAILED
    return PENDING


def isvc_ready(isvc: dict[str, Any]) -> bool:
    ready = condition(isvc, "Ready")
    return bool(ready and ready.get("status") == "True")


def inference_service_state(isvc: dict[str, Any]) -> str:
    return READY if isvc_ready(isvc) else PENDING


@dataclass
class LiveObjects:
    """Live objects by kind, namespace and name."""

    members: dict[ObjectKey, dict[str, Any]] = field(default_factory=dict)

    _index: dict[tuple[str, str, str], dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        if len(self._index) != len(self.members):  # built on first use, rebuilt on growth
            self._index = {(k.kind, k.namespace, k.name): o for k, o in self.members.items()}
        return self._index.get((kind, namespace, name))
