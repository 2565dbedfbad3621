"""What a run did to each object, and why something failed: typed values, never text to
compare. Every step of a sync returns these; the report is derived from them."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from msgspec import Struct

from aimsync.core.objects import ObjectKey


class DryRun(Struct, frozen=True):
    """What a server-side dry-run apply answered for one object (the plan decides from it)."""

    merged: dict[str, Any]  # the object as it would be after the apply
    live: dict[str, Any] | None  # what exists now (found by the dry-run when not listed)
    reclaimed: tuple[str, ...] = ()  # managers whose imperative edits the apply takes back


class Result(StrEnum):
    """What happened to one object (kapp's "result" column)."""

    CREATED = "created"
    CONFIGURED = "configured"
    RECREATED = "recreated"  # deleted and created again: an immutable field changed
    DELETED = "deleted"
    DEFERRED = "deferred"  # left for a later run on purpose (a running download Job)
    HALTED = "halted"  # not written: the run stopped first (a signal, deadline, lost Lease)
    FAILED = "failed"

    @property
    def wrote(self) -> bool:
        """Whether the cluster was written for this object."""
        return self not in (Result.DEFERRED, Result.HALTED, Result.FAILED)


class Cause(StrEnum):
    """Why an object failed."""

    CONFLICT = "conflict"  # another field manager owns a field aimsync sets
    REFUSED = "refused"  # the API server refused the object (schema, validation)
    IMMUTABLE = "immutable"  # the change needs a field Kubernetes does not let change
    FORBIDDEN = "forbidden"  # RBAC
    API_ERROR = "api-error"  # any other answer of the API server
    UNREACHABLE = "unreachable"  # no answer (after retries)
    NOT_GONE = "not-gone"  # an object to be recreated did not go away in time
    OBJECT_FAILED = "object-failed"  # the download Job or InferenceService failed
    TIMEOUT = "timeout"  # --wait ran out of time
    BAD_OUTPUT = "bad-output"  # a check-size Job failed or printed no usable size


class Failure(Struct, frozen=True):
    key: ObjectKey
    cause: Cause
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The result of one write (or of deciding not to write) for one object."""

    key: ObjectKey
    result: Result
    message: str = ""
    failure: Failure | None = None  # set exactly when result is FAILED
    # The object as the apply answered: set for a change applied without a dry-run, whose
    # before -> after the report takes from it.
    applied: dict[str, Any] | None = dataclasses.field(default=None, compare=False, repr=False)

    @staticmethod
    def failed(failure: Failure) -> Outcome:
        return Outcome(failure.key, Result.FAILED, failure.message, failure)


class PublishStep(StrEnum):
    """The steps of publishing status reports, in order."""

    WRITE = "write"  # the status files
    COMMIT = "commit"
    PUSH = "push"


class PublishFailure(Struct, frozen=True):
    step: PublishStep  # the step that failed; the ones before it are done
    message: str


class PublishResult(Struct, frozen=True):
    changed_files: tuple[str, ...] = ()
    commit: str | None = None
    pushed_to: str | None = None
    failure: PublishFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None
