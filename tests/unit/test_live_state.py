"""What state a live InferenceService or Job is in (aimsync.core.live): the one definition
gating, --wait and the status reports share."""

from __future__ import annotations

from typing import Any

from aimsync.core.live import ObjectState, inference_service_state


def isvc(
    *, ready: str | None = "True", generation: int | None = 2, observed: int | None = 2,
    transition: str | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": ready}]
    if observed is not None:
        status["observedGeneration"] = observed
    if transition is not None:
        status["modelStatus"] = {"transitionStatus": transition}
    metadata: dict[str, Any] = {"name": "chat", "namespace": "team"}
    if generation is not None:
        metadata["generation"] = generation
    return {"metadata": metadata, "status": status}


def test_an_inference_service_ready_for_its_current_generation_is_ready() -> None:
    assert inference_service_state(isvc()) is ObjectState.READY


def test_an_inference_service_ready_for_an_older_generation_is_pending() -> None:
    assert inference_service_state(isvc(generation=3, observed=2)) is ObjectState.PENDING


def test_a_status_without_observed_generation_is_taken_at_its_word() -> None:
    assert inference_service_state(isvc(observed=None)) is ObjectState.READY


def test_an_inference_service_whose_model_failed_to_load_has_failed() -> None:
    state = inference_service_state(isvc(ready="False", transition="BlockedByFailedLoad"))
    assert state is ObjectState.FAILED


def test_an_inference_service_with_an_invalid_spec_has_failed() -> None:
    assert inference_service_state(isvc(ready="False", transition="InvalidSpec")) is (
        ObjectState.FAILED
    )


def test_a_failure_reported_for_an_older_generation_is_still_pending() -> None:
    state = inference_service_state(
        isvc(ready="False", generation=3, observed=2, transition="BlockedByFailedLoad")
    )
    assert state is ObjectState.PENDING


def test_an_inference_service_in_progress_is_pending() -> None:
    state = inference_service_state(isvc(ready="False", transition="InProgress"))
    assert state is ObjectState.PENDING
