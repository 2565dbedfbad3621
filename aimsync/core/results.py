"""What a run did to each object, and why something failed: typed values, never text to
compare. Every step of a sync returns these; the report is derived from them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aimsync.core.objects import ObjectKey


class Result(StrEnum):
    """What happened to one object (kapp's "result" column)."""

    CREATED = "created"
    CONFIGURED = "configured"
    RECREATED = "recreated"  # deleted and created again: an immutable field changed
    DELETED = "deleted"
    DEFERRED = "deferred"  # left for a later run on purpose (a running download Job)
    FAILED = "failed"

    @property
    def wrote(self) -> bool:
        """Whether the cluster was written for this object."""
        return self not in (Result.DEFERRED, Result.FAILED)


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


@dataclass(frozen=True)
class Failure:
    key: ObjectKey
    cause: Cause
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """The result of one write (or of deciding not to write) for one object."""

    key: ObjectKey
    result: Result
    message: str = ""
    failure: Failure | None = None  # set exactly when result is FAILED

    @staticmethod
    def failed(failure: Failure) -> Outcome:
        return Outcome(failure.key, Result.FAILED, failure.message, failure)
