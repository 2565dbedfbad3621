"""Conditions with the operator's timing rule: lastTransitionTime moves only on a change."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from msgspec import Struct


class HealthState(StrEnum):
    """The operator's state engine, worst first (the order of the roll-up)."""

    FAILED = "Failed"
    DEGRADED = "Degraded"
    NOT_AVAILABLE = "NotAvailable"
    PENDING = "Pending"
    PROGRESSING = "Progressing"
    READY = "Ready"


HEALTH_ORDER = list(HealthState)
# A component's health as its condition's status: Ready is True, Progressing Unknown.
CONDITION_STATUS = {HealthState.READY: "True", HealthState.PROGRESSING: "Unknown"}


class Health(Struct, frozen=True):
    """One component of an object, as the operator's state engine sees it."""

    component: str  # e.g. Profile, ProfileCache, InferenceService
    state: HealthState
    reason: str
    message: str

    @property
    def condition(self) -> tuple[str, str, str, str]:
        return (
            f"{self.component}Ready",
            CONDITION_STATUS.get(self.state, "False"),
            self.reason,
            self.message,
        )


def worst(states: list[HealthState]) -> HealthState:
    return min(states, key=HEALTH_ORDER.index) if states else HealthState.READY


def with_times(
    conditions: list[tuple[str, str, str, str]],
    previous: list[dict[str, Any]] | None,
    now: str,
) -> list[dict[str, str]]:
    """metav1.Conditions; a condition keeps its lastTransitionTime while its status holds."""
    before = {c.get("type"): c for c in previous or [] if isinstance(c, dict)}
    out = []
    for kind, status, reason, message in conditions:
        old = before.get(kind)
        moment = (
            str(old["lastTransitionTime"])
            if old and old.get("status") == status and old.get("lastTransitionTime")
            else now
        )
        out.append(
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastTransitionTime": moment,
            }
        )
    return out
