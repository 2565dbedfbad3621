"""One run at a time: a coordination.k8s.io/v1 Lease held for the run.

Taken when free or expired (with --lock-wait: waited for), renewed in the background,
released at the end, also when the run stops early. A second run that finds it held exits 4
and says who holds it and since when.

Fencing: a run that cannot prove it still holds the Lease writes nothing more. Every write
asks `remaining()` first (the time since the last renewal this run saw succeed, against the
lease duration less a margin: a run paused longer than that, or cut off from the API server,
may have been taken over) and may take at most that long; before each write phase `verify()`
reads the Lease back (holder and resourceVersion as last written). A renewal is a patch
conditional on the resourceVersion this run last wrote; one that finds the Lease gone or
written by another run marks it lost, and a lost Lease is never renewed. Lease writes whose
answer was lost are recognised on retry by the holder identity, so a run never locks itself
out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aimsync.core.exit_codes import ExitCode
from aimsync.core.halt import Halted
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import Conflict, KubeError, NotFound
from aimsync.kube.resources import RESOURCES

LEASE = RESOURCES["Lease"]
DEFAULT_DURATION_SECONDS = 60
MERGE_PATCH = "application/merge-patch+json"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def micro_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def run_identity() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(3)}"


class LockHeld(KubeError):
    """Another run holds the lease (exit 4)."""

    exit_code = ExitCode.LOCKED

    @property
    def headline(self) -> str:
        return str(self)

    def __init__(self, holder: str, since: str, expires: str) -> None:
        self.holder = holder
        self.since = since
        self.expires = expires
        super().__init__(
            f"another aimsync run holds the lock: {holder} since {since} (expires {expires} "
            "unless renewed)"
        )


class LockLost(KubeError, Halted):
    """The run can no longer prove it holds its Lease: it writes nothing more (exit 3)."""

    @property
    def headline(self) -> str:
        return str(self)


Progress = Callable[[str], None]


@dataclass
class RunLock:
    kube: KubeClient
    namespace: str
    name: str
    identity: str
    duration: int = DEFAULT_DURATION_SECONDS
    wait_seconds: float = 0.0  # --lock-wait: how long to wait for a held Lease
    progress: Progress | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self._lease: dict[str, Any] | None = None
        self._renewed_at = 0.0  # clock() when the Lease was last written by this run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost_reason = ""
        self.lost = False

    @property
    def path(self) -> str:
        return LEASE.object_path(self.name, self.namespace)

    @property
    def margin(self) -> float:
        """Renewals come every third of the duration; a write needs a quarter left."""
        return self.duration / 4

    def _spec(self, transitions: int) -> dict[str, Any]:
        moment = micro_time(now())
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.duration,
            "acquireTime": moment,
            "renewTime": moment,
            "leaseTransitions": transitions,
        }

    def _request(
        self, method: str, path: str, body: object = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        return self.kube.request(method, path, body=body, content_type=content_type, exempt=True)

    def _held(self, lease: dict[str, Any]) -> None:
        self._lease = lease
        self._renewed_at = self.clock()

    def _mine(self, lease: dict[str, Any]) -> bool:
        return (lease.get("spec") or {}).get("holderIdentity") == self.identity

    def _try_acquire(self) -> None:
        try:
            current = self._request("GET", self.path)
        except NotFound:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(0),
            }
            try:
                self._held(self._request("POST", LEASE.collection_path(self.namespace), body))
                return
            except Conflict:  # created by another run in between, or by us (answer lost)
                current = self._request("GET", self.path)
        if self._mine(current):  # our own write whose answer was lost
            self._held(current)
            return
        spec = current.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
        duration = int(spec.get("leaseDurationSeconds") or self.duration)
        expires = renewed + dt.timedelta(seconds=duration) if renewed else None
        if holder and expires and expires > now():
            raise LockHeld(holder, str(spec.get("acquireTime", "?")), micro_time(expires))
        current["spec"] = self._spec(int(spec.get("leaseTransitions") or 0) + 1)
        try:
            self._held(self._request("PUT", self.path, current))
        except Conflict:
            latest = self._request("GET", self.path)
            if self._mine(latest):  # the takeover was written; its answer was lost
                self._held(latest)
                return
            spec = latest.get("spec") or {}
            raise LockHeld(
                str(spec.get("holderIdentity", "?")), str(spec.get("acquireTime", "?")), "?"
            ) from None

    def acquire(self) -> None:
        """Take the Lease; with `wait_seconds`, wait that long for a held one to be released
        or to expire (progress every few seconds), then raise LockHeld."""
        deadline = self.clock() + self.wait_seconds
        while True:
            try:
                self._try_acquire()
                return
            except LockHeld as held:
                left = deadline - self.clock()
                if left <= 0:
                    raise
                if self.progress is not None:
                    self.progress(
                        f"waiting for the lock held by {held.holder} (expires {held.expires} "
                        f"unless renewed; {int(left)}s left of --lock-wait)"
                    )
                self.kube.guard.check()  # a signal or the run's deadline ends the wait
                self.sleep(min(2.0, left))

    def _lose(self, reason: str) -> LockLost:
        self.lost = True
        self._lost_reason = reason
        return LockLost(f"lease {self.namespace}/{self.name} lost: {reason}; the run writes "
                        "nothing more")

    def _raise_if_lost(self) -> None:
        if self.lost:
            raise LockLost(f"lease {self.namespace}/{self.name} lost: {self._lost_reason}")

    def remaining(self) -> float:
        """Seconds a write may take while this run can be sure it holds the Lease; raises
        LockLost when it cannot."""
        self._raise_if_lost()
        since = self.clock() - self._renewed_at
        left = self.duration - since - self.margin
        if left <= 0:
            raise self._lose(
                f"not renewed for {since:.0f}s of its {self.duration}s (the run was paused or "
                "cut off from the API server); another run may hold it now"
            )
        return left

    def verify(self) -> None:
        """Read the Lease back: still ours, as last written (before a write phase)."""
        self.remaining()
        try:
            latest = self._request("GET", self.path)
        except NotFound:
            raise self._lose("it no longer exists (another run took it over and ended)") from None
        expected = ((self._lease or {}).get("metadata") or {}).get("resourceVersion")
        if not self._mine(latest):
            holder = (latest.get("spec") or {}).get("holderIdentity", "?")
            raise self._lose(f"it is held by {holder} now")
        if (latest.get("metadata") or {}).get("resourceVersion") != expected:
            raise self._lose("it was written by someone else since this run renewed it")

    def renew(self) -> None:
        """Write a new renewTime into the Lease as this run last wrote it: a merge patch whose
        resourceVersion is its precondition. Not a PUT: the API server creates Leases on
        update, so a PUT finding the Lease gone (released by a run that took it over) is a
        create or, with the uid, a conflict; a patch of it is the 404 that says what happened."""
        assert self._lease is not None
        self._raise_if_lost()
        patch = {
            "metadata": {"resourceVersion": (self._lease.get("metadata") or {}).get(
                "resourceVersion")},
            "spec": {"renewTime": micro_time(now())},
        }
        try:
            self._held(self._request("PATCH", self.path, patch, MERGE_PATCH))
        except NotFound:
            raise self._lose("it was deleted (another run took it over and ended)") from None
        except Conflict:
            latest = self._request("GET", self.path)
            if not self._mine(latest):
                holder = (latest.get("spec") or {}).get("holderIdentity", "?")
                raise self._lose(f"it was taken over by {holder}") from None
            self._lease = latest  # our own renewal whose answer was lost, or a stale copy
            self.renew()

    def release(self) -> None:
        if self._lease is None:
            return
        metadata = self._lease.get("metadata") or {}
        # Only the Lease as this run last wrote it: a takeover keeps the uid, not the version.
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "preconditions": {
                "uid": metadata.get("uid"), "resourceVersion": metadata.get("resourceVersion"),
            },
        }
        if not self.lost:
            with contextlib.suppress(NotFound, Conflict):  # gone, or someone else's now
                self._request("DELETE", self.path, body)
        self._lease = None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.duration / 3):
            try:
                self.renew()
            except KubeError:
                if self.lost:
                    return

    def __enter__(self) -> RunLock:
        self.acquire()
        self.kube.guard.fence = self.remaining
        self._thread = threading.Thread(target=self._renew_loop, name="aimsync-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kube.guard.fence = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)  # a renewal in flight ends within its timeout
        with contextlib.suppress(KubeError):  # if not, it expires by itself
            self.release()
