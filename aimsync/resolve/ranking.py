"""The ranking of candidate profiles (`profileLess`, resolver.go at e837778; reference §2.4)
and the status-first pick (`SelectBestPtr`).

Tiers, first difference decides: primary, type, accelerator model, metric, precision,
accelerator count, accelerator type, version, name.
"""

from __future__ import annotations

import dataclasses
from functools import total_ordering

from msgspec import Struct

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.selector import type_rank

ACCELERATOR_PREFERENCE = ["mi325x", "mi300x", "mi250x", "mi210", "r9700", "w7900"]
METRIC_PREFERENCE = ["latency", "throughput"]
PRECISION_PREFERENCE = ["fp4", "int4", "fp8", "int8", "fp16", "bf16", "fp32", "fp64"]
# AIMStatus priority, higher is better.
STATUS_PRIORITY = {
    "Running": 7,
    "Ready": 6,
    "Progressing": 5,
    "Starting": 4,
    "Pending": 3,
    "Degraded": 2,
    "NotAvailable": 1,
    "Failed": 0,
}
TIER_NAMES = (
    "primary",
    "type",
    "acceleratorModel",
    "metric",
    "precision",
    "acceleratorCount",
    "acceleratorType",
    "version",
    "name",
)


def _preference(value: str | None, order: list[str]) -> int:
    lowered = (value or "").lower()
    return order.index(lowered) if lowered in order else len(order)


@total_ordering
class _Descending(Struct, frozen=True):
    """A string that sorts high-first (`compareProfileVersions` at e837778 compares versions
    as plain strings: "0.10.0" < "0.9.0"); the empty version last."""

    text: str

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Descending):
            return NotImplemented
        if not self.text or not other.text:
            return bool(self.text) and not other.text
        return self.text > other.text


def _version_key(version: str) -> _Descending:
    return _Descending(version)


@dataclasses.dataclass(frozen=True, slots=True)
class RankedProfile:
    """A candidate with what the ranking needs to know about it."""

    name: str
    scope: str  # "Namespace" | "Cluster"
    spec: AIMProfileSpecCommon
    version: str
    status: str
    # computed once: the ranking, the deciding tiers and the ties all compare them
    _keys: tuple[object, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        count = self.spec.accelerator_count or 0
        object.__setattr__(self, "_keys", (
            0 if self.spec.primary else 1,
            type_rank(self.spec.type),
            _preference(self.spec.accelerator_model, ACCELERATOR_PREFERENCE),
            _preference(self.spec.metric, METRIC_PREFERENCE),
            _preference(self.spec.precision, PRECISION_PREFERENCE),
            count if count > 0 else 2**31,  # 0 loses to any positive count
            0 if self.spec.accelerator_type == "gpu" else 1,
            _version_key(self.version),
            self.name,
        ))

    def tier_keys(self) -> tuple[object, ...]:
        return self._keys


def rank(candidates: list[RankedProfile]) -> list[RankedProfile]:
    return sorted(candidates, key=RankedProfile.tier_keys)


def deciding_tier(winner: RankedProfile, other: RankedProfile) -> str:
    """The first tier on which `winner` beats `other` (for explanations)."""
    for name, mine, theirs in zip(
        TIER_NAMES, winner.tier_keys(), other.tier_keys(), strict=True
    ):
        if mine != theirs:
            return name
    return "name"


def pick_best_status(ranked: list[RankedProfile]) -> RankedProfile | None:
    """The first candidate of the ranking whose status has the best priority."""
    if not ranked:
        return None
    best = max(STATUS_PRIORITY.get(c.status, -1) for c in ranked)
    return next(c for c in ranked if STATUS_PRIORITY.get(c.status, -1) == best)
