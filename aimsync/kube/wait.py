"""Waiting for download Jobs and InferenceServices, with a deadline and progress reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aimsync.kube.client import KubeClient
from aimsync.kube.read import key_of, list_objects
from aimsync.kube.resources import RESOURCES
from aimsync.render.objects import ObjectKey

READY = "ready"
FAILED = "failed"
PENDING = "pending"


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition  # type: ignore[no-any-return]
    return None


def job_state(job: dict[str, Any]) -> str:
    """Complete ⇒ ready; Failed ⇒ failed; anything else is still pending."""
    complete = _condition(job, "Complete")
    if (complete and complete.get("status") == "True") or (
        (job.get("status") or {}).get("succeeded") or 0
    ) >= 1:
        return READY
    failed = _condition(job, "Failed")
    if failed and failed.get("status") == "True":
        return FAILED
    return PENDING


def inference_service_state(isvc: dict[str, Any]) -> str:
    ready = _condition(isvc, "Ready")
    if ready and ready.get("status") == "True":
        return READY
    return PENDING


STATE_OF: dict[str, Callable[[dict[str, Any]], str]] = {
    "Job": job_state,
    "InferenceService": inference_service_state,
}


@dataclass(frozen=True)
class WaitResult:
    states: dict[ObjectKey, str]
    timed_out: bool

    def with_state(self, state: str) -> list[ObjectKey]:
        return sorted((k for k, s in self.states.items() if s == state), key=str)


def wait_for(
    kube: KubeClient,
    keys: Iterable[ObjectKey],
    *,
    label_selector: str,
    deadline: float,
    progress: Callable[[WaitResult, float], None] | None = None,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> WaitResult:
    """Poll (one LIST per kind and namespace) until every object is ready or failed, or the
    deadline (a `time.monotonic()` value) passes."""
    wanted = set(keys)
    states = {k: PENDING for k in wanted}
    groups = sorted({(k.kind, k.namespace) for k in wanted})
    while True:
        for kind, namespace in groups:
            for obj in list_objects(kube, RESOURCES[kind], namespace, label_selector):
                key = key_of(obj)
                if key in wanted:
                    states[key] = STATE_OF[kind](obj)
        result = WaitResult(dict(states), timed_out=False)
        left = deadline - time.monotonic()
        if all(s != PENDING for s in states.values()):
            return result
        if left <= 0:
            return WaitResult(dict(states), timed_out=True)
        if progress is not None:
            progress(result, left)
        sleep(min(interval, max(left, 0.05)))
