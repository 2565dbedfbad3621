"""Model sizes the repository does not give: what the operator's check-size step measures
(reference §4.3; `parseCheckSizeOutput` in internal/v1alpha1/aimartifact/reconcile.go at
e837778), as plain values.

The check-size Job prints one JSON line, `{"url": "...", "sizeBytes": N}`, as the last line
of its log; the operator reads it once the Job succeeded and keeps it in the artifact's
status. aimsync has no artifact object: it reads the line in the run after the Job finished
and records the size on the PVC it then creates, where later runs find it.
"""

from __future__ import annotations

import json
from enum import StrEnum

from msgspec import Struct

from aimsync.core.objects import ObjectKey

MAX_MODEL_SIZE_BYTES = 1 << 50  # parseCheckSizeOutput's maxReasonableSize: 1 PiB
CHECK_SIZE_CONTAINER = "check-size"  # the container whose last log line holds the size


class MeasuredSize(Struct, frozen=True):
    """A model's size found by a check-size Job."""

    size_bytes: int
    recorded: bool  # already on the PVC: the check-size Job is no longer needed


class SizeCheckState(StrEnum):
    MEASURED = "measured"
    RUNNING = "running"  # the Job has not finished (or does not exist yet)
    FAILED = "failed"  # the Job failed, or its output cannot be used


class SizeReading(Struct, frozen=True):
    """What one check-size Job says, read from the cluster."""

    job: ObjectKey
    state: SizeCheckState
    size_bytes: int | None = None  # set exactly when MEASURED
    message: str = ""

    @staticmethod
    def measured(job: ObjectKey, size_bytes: int) -> SizeReading:
        return SizeReading(job, SizeCheckState.MEASURED, size_bytes)

    @staticmethod
    def failed(job: ObjectKey, message: str) -> SizeReading:
        return SizeReading(job, SizeCheckState.FAILED, None, message)


class UnusableOutput(ValueError):
    """The check-size output is not a size (the operator's InvalidSizeOutput)."""


def parse_check_size_output(log_tail: str) -> int:
    """The size in the last non-empty line of a check-size log. Raises UnusableOutput."""
    lines = [line for line in log_tail.splitlines() if line.strip()]
    if not lines:
        raise UnusableOutput("the check-size log is empty")
    last = lines[-1].strip()
    try:
        output = json.loads(last)
    except json.JSONDecodeError:
        raise UnusableOutput(
            f"the last log line is not JSON: {last[:80]!r} (expected "
            '{"url": "...", "sizeBytes": N})'
        ) from None
    size = output.get("sizeBytes") if isinstance(output, dict) else None
    if isinstance(size, bool) or not isinstance(size, int):
        raise UnusableOutput(f"sizeBytes is missing or not an integer in {last[:80]!r}")
    if size <= 0 or size > MAX_MODEL_SIZE_BYTES:
        raise UnusableOutput(
            f"invalid size: {size} bytes (a model size is above 0 and at most 1 PiB)"
        )
    return size


def recorded_size(annotation: object) -> int | None:
    """A size recorded on a PVC, or None when the annotation is absent or not a size (then
    the size is measured again, which only costs a Job)."""
    if not isinstance(annotation, str) or not annotation.isdigit():
        return None
    size = int(annotation)
    return size if 0 < size <= MAX_MODEL_SIZE_BYTES else None
