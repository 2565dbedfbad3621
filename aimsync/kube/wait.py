"""Waiting for download Jobs and InferenceServices, with a deadline and progress reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aimsync.kube.client import KubeClient
from aimsync.kube.read import key_of, list_objects
from aimsync.kube.resources import RESOURCES
from aimsync.observe.live import (
    FAILED,
    PENDING,
    READY,
    inference_service_state,
    job_state,
)
from aimsync.render.objects import ObjectKey

__all__ = ["FAILED", "PENDING", "READY", "WaitResult", "wait_for"]

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
