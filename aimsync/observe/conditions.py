"""Conditions with the operator's timing rule: lastTransitionTime moves only on a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Health of a component -> (condition status), and the status rollup order (worst first).
HEALTH_ORDER = ["Failed", "Degraded", "NotAvailable", "Pending", "Progressing", "Ready"]
CONDITION_STATUS = {"Ready": "True", "Progressing": "Unknown"}


@dataclass(frozen=True)
class Health:
    """One component of an object, as the operator's state engine sees it."""

    component: str  # e.g. Profile, ProfileCache, InferenceService
    state: str  # one of HEALTH_ORDER
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


def worst(states: list[str]) -> str:
    return min(states, key=HEALTH_ORDER.index) if states else "Ready"


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
