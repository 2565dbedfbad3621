"""What one sync did, as values: the plan, each object's outcome, the waits. Everything else
(failures, counts, objects written) is derived from them, never counted on the side."""

from __future__ import annotations

import dataclasses

from msgspec import Struct

from aimsync.core.halt import Halted
from aimsync.core.live import LiveObjects, ObjectState, WaitResult
from aimsync.core.objects import ObjectKey
from aimsync.core.results import Cause, Failure, Outcome, Result
from aimsync.core.sizing import SizeCheckState, SizeReading
from aimsync.plan.changes import Action, ChangeSet
from aimsync.render.desired import DesiredSet, WaitingService


class WaitReport(Struct, frozen=True):
    """One --wait: for what ("cache Job", "InferenceService"), and how it ended."""

    what: str
    result: WaitResult

    @property
    def failures(self) -> list[Failure]:
        failed = [
            Failure(key, Cause.OBJECT_FAILED, f"{self.what} failed")
            for key in self.result.with_state(ObjectState.FAILED)
        ]
        if self.result.timed_out:
            failed += [
                Failure(key, Cause.TIMEOUT, f"timeout waiting for the {self.what}")
                for key in self.result.with_state(ObjectState.PENDING)
            ]
        return failed


class RunCounts(Struct, frozen=True):
    created: int
    updated: int
    pruned: int
    unchanged: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created, "failed": self.failed, "pruned": self.pruned,
            "unchanged": self.unchanged, "updated": self.updated,
        }


@dataclasses.dataclass(frozen=True)
class SyncReport:
    changes: ChangeSet
    outcomes: tuple[Outcome, ...] = ()
    waits: tuple[WaitReport, ...] = ()
    waiting: tuple[WaitingService, ...] = ()  # still held back at the end
    live_after: LiveObjects | None = None  # read again at the end, for status reports
    desired: DesiredSet | None = None  # as applied: rendered with the sizes measured
    size_readings: tuple[SizeReading, ...] = ()  # check-size Jobs read in this run
    halted: Halted | None = None  # why the run stopped before it was done
    _outcomes: dict[ObjectKey, Outcome] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_outcomes", {o.key: o for o in self.outcomes})

    def outcome_of(self, key: ObjectKey) -> Outcome | None:
        return self._outcomes.get(key)

    def result_of(self, key: ObjectKey) -> Result | None:
        outcome = self._outcomes.get(key)
        return outcome.result if outcome is not None else None

    @property
    def failures(self) -> list[Failure]:
        """What could not be planned, applied or deleted, and what a wait found failed."""
        return [
            *self.changes.failures,
            *(o.failure for o in self.outcomes if o.failure is not None),
            *(f for wait in self.waits for f in wait.failures),
            *(
                Failure(r.job, Cause.BAD_OUTPUT, r.message)
                for r in self.size_readings
                if r.state is SizeCheckState.FAILED
            ),
        ]

    @property
    def deferred(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result is Result.DEFERRED]

    @property
    def object_writes(self) -> int:
        return sum(1 for o in self.outcomes if o.result.wrote)

    @property
    def ok(self) -> bool:
        return not self.failures and self.halted is None

    def counts(self) -> RunCounts:
        results = [o.result for o in self.outcomes]
        return RunCounts(
            created=results.count(Result.CREATED),
            updated=results.count(Result.CONFIGURED) + results.count(Result.RECREATED),
            pruned=results.count(Result.DELETED),
            unchanged=self.changes.count(Action.UNCHANGED),
            failed=len(self.failures),
        )
