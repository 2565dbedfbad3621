"""Every failure of an apply, dry run, replace or delete as one typed error: a cause a
program can act on, and a message a person can (after kopf's error hierarchy)."""

from __future__ import annotations

from aimsync.core.objects import ObjectKey
from aimsync.core.results import Cause, Failure
from aimsync.kube.client import KubeConfigError
from aimsync.kube.errors import ApiError, ConnectionFailed, Forbidden, Invalid, KubeError


class ApplyFailed(KubeError):
    """One object could not be applied (or dry-run, replaced, deleted); others go on."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(failure.message)


def describe_api_error(error: ApiError) -> str:
    if error.causes:
        details = "; ".join(f"{c.field}: {c.message}" if c.field else c.message
                            for c in error.causes)
        return f"{error.reason or error.status}: {details}"
    return f"{error.reason or error.status}: {error.message}"


def pvc_refusal(error: ApiError) -> str:
    return (
        f"Kubernetes refuses this PVC change ({describe_api_error(error)}); a model cache "
        "volume is never deleted to force it: change it back, or delete the PVC yourself if "
        "the cache may be downloaded again"
    )


def failure_of(key: ObjectKey, error: KubeError, *, exists: bool) -> Failure:
    """The typed failure of a request about `key`; `exists`: the object is live."""
    if isinstance(error, ApplyFailed):
        return error.failure
    if isinstance(error, Invalid):
        cause = Cause.IMMUTABLE if error.immutable else Cause.REFUSED
        if key.kind == "PersistentVolumeClaim" and exists:
            return Failure(key, cause, pvc_refusal(error))
        return Failure(key, cause, describe_api_error(error))
    if isinstance(error, Forbidden):
        return Failure(key, Cause.FORBIDDEN, describe_api_error(error))
    if isinstance(error, ApiError):
        return Failure(key, Cause.API_ERROR, describe_api_error(error))
    if isinstance(error, (ConnectionFailed, KubeConfigError)):
        return Failure(key, Cause.UNREACHABLE, str(error))
    return Failure(key, Cause.API_ERROR, str(error))
