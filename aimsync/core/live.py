"""Live objects as the API returns them (plain dicts), and what state they are in.

One definition of "a download Job succeeded" and "an InferenceService is ready" for gating,
waiting and observing alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from msgspec import Struct, field

from aimsync.core.objects import ObjectKey

LiveObject = dict[str, Any]


class ObjectState(StrEnum):
    """Where a Job or an InferenceService is: done, failed for good, or not yet."""

    READY = "ready"
    FAILED = "failed"
    PENDING = "pending"


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(entry, dict) and entry.get("type") == kind:
            return entry
    return None


def job_state(job: Mapping[str, Any]) -> ObjectState:
    """Complete (or succeeded) -> ready; Failed -> failed; anything else is pending."""
    complete = condition(job, "Complete")
    if (complete and complete.get("status") == "True") or (
        (job.get("status") or {}).get("succeeded") or 0
    ) >= 1:
        return ObjectState.READY
    failed = condition(job, "Failed")
    if failed and failed.get("status") == "True":
        return ObjectState.FAILED
    return ObjectState.PENDING


# KServe's modelStatus.transitionStatus values that no waiting repairs: the model failed to
# load, or the spec is invalid (a new spec is needed).
FAILED_TRANSITIONS = frozenset({"BlockedByFailedLoad", "InvalidSpec"})


def observed_current(obj: Mapping[str, Any]) -> bool:
    """Whether the status describes the spec as it is now: a controller that reports
    `status.observedGeneration` has seen `metadata.generation`. A status without it (an
    older controller, or none yet) is taken at its word."""
    observed = (obj.get("status") or {}).get("observedGeneration")
    generation = (obj.get("metadata") or {}).get("generation")
    if not isinstance(observed, int) or not isinstance(generation, int):
        return True
    return observed >= generation


def inference_service_state(isvc: Mapping[str, Any]) -> ObjectState:
    """Ready only for the current generation; failed when KServe says the model failed to
    load or the spec is invalid; anything else is pending."""
    if not observed_current(isvc):
        return ObjectState.PENDING
    model_status = (isvc.get("status") or {}).get("modelStatus") or {}
    if isinstance(model_status, dict) and model_status.get("transitionStatus") in (
        FAILED_TRANSITIONS
    ):
        return ObjectState.FAILED
    ready = condition(isvc, "Ready")
    return ObjectState.READY if ready and ready.get("status") == "True" else ObjectState.PENDING


def state_of(key: ObjectKey, obj: Mapping[str, Any]) -> ObjectState:
    """The state of a Job or an InferenceService; any other kind is ready once it exists."""
    if key.kind == "Job":
        return job_state(obj)
    if key.kind == "InferenceService":
        return inference_service_state(obj)
    return ObjectState.READY


class WaitResult(Struct, frozen=True):
    """Where the objects waited for ended up, and whether the wait ran out of time."""

    states: Mapping[ObjectKey, ObjectState]
    timed_out: bool

    def with_state(self, state: ObjectState) -> list[ObjectKey]:
        return sorted((k for k, s in self.states.items() if s is state), key=str)


def key_of(obj: Mapping[str, Any]) -> ObjectKey:
    metadata = obj.get("metadata") or {}
    return ObjectKey(
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(metadata.get("namespace", "")),
        str(metadata.get("name", "")),
    )


def uid_of(obj: Mapping[str, Any] | None) -> str | None:
    uid = ((obj or {}).get("metadata") or {}).get("uid")
    return str(uid) if uid else None


class LiveObjects(Struct, frozen=True):
    """Live objects by key, read once."""

    members: Mapping[ObjectKey, LiveObject] = field(default_factory=dict)

    @staticmethod
    def of(objects: Iterable[LiveObject]) -> LiveObjects:
        return LiveObjects({key_of(obj): obj for obj in objects})

    def succeeded_jobs(self) -> frozenset[tuple[str, str]]:
        """(namespace, name) of every Job that finished successfully."""
        return frozenset(
            (k.namespace, k.name)
            for k, obj in self.members.items()
            if k.kind == "Job" and job_state(obj) is ObjectState.READY
        )

    def inference_services(self) -> frozenset[tuple[str, str]]:
        """(namespace, name) of every InferenceService that exists."""
        return frozenset(
            (k.namespace, k.name) for k in self.members if k.kind == "InferenceService"
        )
