"""Waiting for download Jobs and InferenceServices, with a deadline and progress reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from aimsync.core.live import ObjectState, WaitResult, key_of, state_of
from aimsync.core.objects import ObjectKey
from aimsync.kube.client import KubeClient
from aimsync.kube.read import list_objects
from aimsync.kube.resources import RESOURCES


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
    states = dict.fromkeys(wanted, ObjectState.PENDING)
    groups = sorted({(k.kind, k.namespace) for k in wanted})
    while True:
        for kind, namespace in groups:
            for obj in list_objects(kube, RESOURCES[kind], namespace, label_selector):
                key = key_of(obj)
                if key in wanted:
                    states[key] = state_of(key, obj)
        left = deadline - time.monotonic()
        if all(s is not ObjectState.PENDING for s in states.values()):
            return WaitResult(dict(states), timed_out=False)
        if left <= 0:
            return WaitResult(dict(states), timed_out=True)
        if progress is not None:
            progress(WaitResult(dict(states), timed_out=False), left)
        sleep(min(interval, max(left, 0.05)))
