"""One typed error per API failure, chosen by HTTP status (after kopf's clients/errors.py).

Only the Kubernetes `Status` payload is kept (reason, message, causes); any other body is cut
to a short prefix so that object data never reaches a log.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct

from aimsync.core.errors import AimsyncError

TEXT_BODY_LIMIT = 256


class Cause(Struct, frozen=True):
    field: str
    message: str
    reason: str


class KubeError(AimsyncError):
    """Anything that went wrong talking to the cluster (exit 3)."""

    @property
    def headline(self) -> str:
        return f"cluster error: {self}"


class ConnectionFailed(KubeError):
    """The API server could not be reached (after retries)."""


class ApiError(KubeError):
    status: int = 0

    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        self.method = method
        self.path = path
        self.status = status
        is_status = isinstance(body, dict) and body.get("kind") == "Status"
        payload: dict[str, Any] = body if is_status else {}  # type: ignore[assignment]
        self.reason = str(payload.get("reason", ""))
        if payload:
            self.message = str(payload.get("message", ""))
        else:
            text = body if isinstance(body, str) else ""
            self.message = text[:TEXT_BODY_LIMIT]
            if status == 404:  # a plain "404 page not found": nothing is served at the path
                self.message = not_served_message(path) or self.message
        details = payload.get("details") or {}
        self.causes = tuple(
            Cause(str(c.get("field", "")), str(c.get("message", "")), str(c.get("reason", "")))
            for c in details.get("causes") or []
            if isinstance(c, dict)
        )
        super().__init__(f"{method} {path}: {status} {self.reason}: {self.message}".rstrip(": "))


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404

    @property
    def not_served(self) -> bool:
        """The API server serves no such resource (its CRD is not installed), as opposed to
        an object that does not exist (which comes with a `Status`)."""
        return not self.reason


# Who installs the CRDs of the API groups aimsync writes, for the message when one is missing.
API_GROUP_PROVIDERS = {
    "keda.sh": "KEDA",
    "serving.kserve.io": "KServe",
    "gateway.networking.k8s.io": "the Gateway API",
}
_RESOURCE_PATH = re.compile(r"^/apis/([^/]+)/([^/]+)/(?:namespaces/[^/]+/)?([^/?]+)")


def not_served_message(path: str) -> str:
    """What a 404 without a Status means for a custom resource path: its CRD is missing."""
    match = _RESOURCE_PATH.match(path)
    if not match:
        return ""
    group, version, plural = match.groups()
    crd = f"{plural}.{group}"
    provider = API_GROUP_PROVIDERS.get(group)
    install = f"install {provider}, which brings it" if provider else "install it"
    return (
        f"the cluster does not serve {group}/{version} {plural}: the CustomResourceDefinition "
        f"{crd} is not installed ({install})"
    )


class Conflict(ApiError):
    """409: a field-manager conflict on apply, or a resourceVersion precondition."""

    status = 409


class Gone(ApiError):
    status = 410


class Invalid(ApiError):
    """422: the object was refused (schema, immutable field)."""

    status = 422

    @property
    def immutable(self) -> bool:
        text = self.message.lower() + " ".join(c.message.lower() for c in self.causes)
        return "immutable" in text


class TooManyRequests(ApiError):
    status = 429


class ServerError(ApiError):
    """5xx."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def api_error(method: str, path: str, status: int, body: object) -> ApiError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(method, path, status, body)
