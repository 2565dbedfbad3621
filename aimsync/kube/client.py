"""Transport: one small client over the official `kubernetes` package.

Every request goes through `KubeClient.request`, which decodes JSON, turns failures into typed
errors, retries what is worth retrying (429, 5xx, lost connections; `Retry-After` honoured;
bounded), and counts reads and writes so that "a no-op run writes nothing" can be checked.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import Struct

from aimsync.core.halt import Halted, WriteInDoubt
from aimsync.kube.errors import ApiError, ConnectionFailed, Invalid, KubeError, api_error
from aimsync.kube.guard import RequestGuard
from aimsync.load.files import UnreadableFile, read_regular_file

if TYPE_CHECKING:
    # The `kubernetes` package costs a command that never talks to a cluster a good part of
    # its start-up: it is imported when a client connects (or sends its first request).
    from kubernetes import client

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PreparedRequest(Struct, frozen=True):
    """One attempt as it goes on the wire: made before the guard allows it to be sent."""

    url: str
    headers: dict[str, str]
    body: bytes | None  # JSON, encoded here and not by the generated client after the check


class RetryPolicy(Struct, frozen=True):
    attempts: int = 5
    first_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 30.0


@dataclasses.dataclass
class RequestStats:
    """Requests sent, by purpose (retries included; dry-run writes counted separately)."""

    reads: int = 0
    writes: int = 0
    dry_runs: int = 0
    retries: int = 0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, dry_run: bool) -> None:
        with self._lock:
            if method not in WRITE_METHODS:
                self.reads += 1
            elif dry_run:
                self.dry_runs += 1
            else:
                self.writes += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "dryRuns": self.dry_runs,
            "retries": self.retries,
            "total": self.reads + self.writes + self.dry_runs,
        }


class KubeConfigError(KubeError):
    """No usable kubeconfig or in-cluster configuration."""

    @property
    def headline(self) -> str:
        return str(self)


class ThrottledRefresh:
    """The credential loader's refresh hook, run at most once per `interval` seconds.

    The kubeconfig loader's hook runs before every request. It sets the host, certificates
    and proxy on the configuration again, and the proxy setter reads every environment
    variable (0.14 ms a request). It runs an exec plugin again whenever the token expires
    within five minutes, which means a subprocess per request for a short-lived token. Tokens
    are renewed five minutes before they expire (the loader's margin), so renewing once a
    second is still in time."""

    def __init__(
        self, hook: Callable[[Any], None], interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hook = hook
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()  # the hook rewrites the configuration: one at a time

    def __call__(self, configuration: Any) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._interval:
                return
            self._last = now
            self._hook(configuration)
            # The loader's hook sets a new hook of its own each time it runs: it is the one
            # run next, still through this one.
            renewed = getattr(configuration, "refresh_api_key_hook", None)
            if renewed is not None and renewed is not self:
                self._hook = renewed
                configuration.refresh_api_key_hook = self


class KubeClient:
    def __init__(
        self,
        api_client: client.ApiClient,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api_client
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self.guard = RequestGuard()
        self._sleep = sleep

    @staticmethod
    def connect(
        kubeconfig: Path | None = None, context: str | None = None, pool_size: int = 8
    ) -> KubeClient:
        """From a kubeconfig (flag, $KUBECONFIG or ~/.kube/config), else in-cluster."""
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        if kubeconfig is not None:
            try:  # a FIFO or a device would hang the loader, a huge file exhaust memory
                read_regular_file(kubeconfig, MAX_KUBECONFIG_BYTES)
            except UnreadableFile as exc:
                raise KubeConfigError(f"kubeconfig {kubeconfig}: {exc}") from None
        try:
            if kubeconfig is not None or context is not None or _default_kubeconfig_exists():
                config.load_kube_config(
                    config_file=str(kubeconfig) if kubeconfig else None,
                    context=context,
                    client_configuration=configuration,
                )
            else:
                try:
                    config.load_incluster_config(client_configuration=configuration)
                except ConfigException:
                    raise KubeConfigError(
                        "no Kubernetes configuration: pass --kubeconfig, set $KUBECONFIG or "
                        "create ~/.kube/config (or run inside a cluster)"
                    ) from None
        except KubeConfigError:
            raise
        except Exception as exc:  # the loader raises anything for a malformed file
            raise KubeConfigError(
                f"cannot load the Kubernetes configuration: {_short(exc) or type(exc).__name__}"
            ) from None
        if configuration.refresh_api_key_hook is not None:
            configuration.refresh_api_key_hook = ThrottledRefresh(
                configuration.refresh_api_key_hook)
        configuration.connection_pool_maxsize = max(pool_size, 4)
        configuration.retries = False  # retries are ours, with their own policy
        return KubeClient(client.ApiClient(configuration))

    def close(self) -> None:
        self.api.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: object = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
        exempt: bool = False,
    ) -> dict[str, Any]:
        """`exempt`: the run's own Lease requests, sent also while the run stops."""
        return self.request_with_status(
            method, path, query=query, body=body, content_type=content_type, timeout=timeout,
            exempt=exempt,
        )[1]

    def request_with_status(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: object = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
        exempt: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        """Like `request`, with the HTTP status (201 tells an apply that created)."""
        status, raw = self._exchange(
            method, path, list(query), body, content_type, timeout, exempt=exempt
        )
        decoded = _decode(raw)
        return status, decoded if isinstance(decoded, dict) else {}

    def read_text(
        self, path: str, *, query: Iterable[tuple[str, str]] = (), limit: int = 64 * 1024,
        timeout: float = 30.0,
    ) -> str:
        """GET a text resource (a pod log), at most `limit` bytes of it."""
        _status, raw = self._exchange(
            "GET", path, list(query), None, "", timeout, accept="text/plain, */*"
        )
        return raw[:limit].decode(errors="replace")

    def _exchange(
        self,
        method: str,
        path: str,
        query_params: list[tuple[str, str]],
        body: object,
        content_type: str,
        timeout: float,
        accept: str = "application/json",
        exempt: bool = False,
    ) -> tuple[int, bytes]:
        """One request with retries; an answer other than 2xx raises its typed error. The
        guard decides before each attempt whether it may be sent, and for how long."""
        import urllib3  # loaded with the client already (see TYPE_CHECKING above)
        from kubernetes.client.exceptions import ApiException

        dry_run = ("dryRun", "All") in query_params
        write = method in WRITE_METHODS and not dry_run
        delay = self.retry.first_delay
        unanswered = 0
        in_doubt = False  # a write attempt was sent and no answer came back
        encoded = _encode(body)  # once for every attempt
        for attempt in range(1, self.retry.attempts + 1):
            # Prepared before the guard is asked: a run paused between the Lease check and
            # the send writes late, so as little as possible happens between the two.
            prepared = self._prepare(method, path, query_params, encoded, content_type, accept)
            try:
                connect, read = self.guard.before(write, exempt)
            except Halted as exc:
                if in_doubt:
                    raise WriteInDoubt(exc) from None
                raise
            self.stats.record(method, dry_run)
            try:
                status, raw, retry_after = self._send(
                    method, prepared, (connect, min(read, timeout)))
            except (urllib3.exceptions.HTTPError, ApiException, OSError) as exc:
                # A server that takes a request and never answers is not asked twice more.
                unanswered += isinstance(exc, urllib3.exceptions.ReadTimeoutError)
                in_doubt = write
                if attempt == self.retry.attempts or unanswered >= 2:
                    message = f"{method} {path}: cannot reach the API server: {_short(exc)}"
                    if not exempt:
                        self.guard.unreachable(message)
                    raise ConnectionFailed(message) from None
                self._pause(delay, None)
                delay = min(delay * 2, self.retry.max_delay)
                continue
            self.guard.answered()
            if 200 <= status < 300:
                return status, raw
            error = api_error(method, path, status, _decode(raw))
            if _schema_error_as_500(error):
                # kube-apiserver answers a server-side apply that does not fit the schema
                # with 500 (kubernetes#139253): it is a refusal, never worth retrying.
                raise Invalid(method, path, 422, _decode(raw)) from None
            if status not in RETRY_STATUSES or attempt == self.retry.attempts:
                raise error
            self._pause(delay, retry_after)
            delay = min(delay * 2, self.retry.max_delay)
        raise AssertionError("unreachable")

    def _pause(self, delay: float, retry_after: str | None) -> None:
        with self.stats._lock:
            self.stats.retries += 1
        wait = delay
        if retry_after and retry_after.strip().isdigit():
            wait = min(float(retry_after), self.retry.max_retry_after)
        if self.guard.deadline is not None:  # the next attempt meets the deadline instead
            wait = min(wait, max(0.0, self.guard.deadline - self.guard.clock()))
        self._sleep(wait)

    def _prepare(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes | None,
        content_type: str,
        accept: str,
    ) -> PreparedRequest:
        """The URL and headers (credentials, refreshed if they expire) of one attempt."""
        # As client-go: the API server compresses large answers (a LIST of every member of a
        # kind is megabytes: less to read and de-chunk here, and far less to carry off a
        # machine's loopback).
        headers = {"Accept": accept, "Accept-Encoding": "gzip"}
        if body is not None:
            headers["Content-Type"] = content_type
        _method, url, header_params, _body, _post = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or None,
            header_params=headers,
            auth_settings=["BearerToken"],
        )
        return PreparedRequest(url, header_params, body)

    def _send(
        self, method: str, prepared: PreparedRequest, timeout: tuple[float, float]
    ) -> tuple[int, bytes, str | None]:
        """Straight to the connection pool: between the guard's check and the bytes on the
        socket only urllib3's own work (the generated client's request method would walk
        and encode the body there again)."""
        import urllib3

        response = self.api.rest_client.pool_manager.request(
            method, prepared.url, body=prepared.body, headers=prepared.headers,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]), preload_content=True,
        )
        return response.status, response.data or b"", response.headers.get("Retry-After")


def _schema_error_as_500(error: ApiError) -> bool:
    return error.status == 500 and "failed to create typed patch object" in error.message


def _default_kubeconfig_exists() -> bool:
    import os

    if os.environ.get("KUBECONFIG"):
        return True
    return Path("~/.kube/config").expanduser().is_file()


def _encode(body: object) -> bytes | None:
    """A request body as JSON (the API server reads JSON as the YAML of an apply patch too)."""
    return None if body is None else msgspec.json.encode(body)


def _decode(raw: bytes) -> object:
    """The answer's JSON (a LIST of every member is most of a no-op's client CPU: msgspec
    decodes it in half the time of the json module, to the same values)."""
    if not raw:
        return {}
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:  # also a number out of range; the API server writes none
        return raw[:256].decode(errors="replace")


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


__all__ = ["ApiError", "KubeClient", "KubeConfigError", "RequestStats", "RetryPolicy"]
