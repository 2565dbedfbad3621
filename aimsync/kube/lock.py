"""One run at a time: a coordination.k8s.io/v1 Lease held for the run.

Taken when free or expired, renewed in the background during long waits, released at the end.
A second run that finds it held exits 4 and says who holds it and since when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from typing import Any

from aimsync.core.exit_codes import ExitCode
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import Conflict, KubeError, NotFound
from aimsync.kube.resources import RESOURCES

LEASE = RESOURCES["Lease"]
DEFAULT_DURATION_SECONDS = 60


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
        super().__init__(
            f"another aimsync run holds the lock: {holder} since {since} (expires {expires} "
            "unless renewed)"
        )


class LockLost(KubeError):
    """The lease was taken over while this run held it (it could not renew in time)."""


@dataclass
class RunLock:
    kube: KubeClient
    namespace: str
    name: str
    identity: str
    duration: int = DEFAULT_DURATION_SECONDS

    def __post_init__(self) -> None:
        self._lease: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    @property
    def path(self) -> str:
        return LEASE.object_path(self.name, self.namespace)

    def _spec(self, transitions: int) -> dict[str, Any]:
        moment = micro_time(now())
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.duration,
            "acquireTime": moment,
            "renewTime": moment,
            "leaseTransitions": transitions,
        }

    def acquire(self) -> None:
        try:
            current = self.kube.request("GET", self.path)
        except NotFound:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(0),
            }
            try:
                self._lease = self.kube.request(
                    "POST", LEASE.collection_path(self.namespace), body=body
                )
                return
            except Conflict:  # created by another run in between
                current = self.kube.request("GET", self.path)
        spec = current.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
        duration = int(spec.get("leaseDurationSeconds") or self.duration)
        expires = renewed + dt.timedelta(seconds=duration) if renewed else None
        if holder and holder != self.identity and expires and expires > now():
            raise LockHeld(holder, str(spec.get("acquireTime", "?")), micro_time(expires))
        current["spec"] = self._spec(int(spec.get("leaseTransitions") or 0) + 1)
        try:
            self._lease = self.kube.request("PUT", self.path, body=current)
        except Conflict:
            latest = self.kube.request("GET", self.path).get("spec") or {}
            raise LockHeld(
                str(latest.get("holderIdentity", "?")), str(latest.get("acquireTime", "?")), "?"
            ) from None

    def renew(self) -> None:
        assert self._lease is not None
        lease = dict(self._lease)
        lease["spec"] = {**lease["spec"], "renewTime": micro_time(now())}
        try:
            self._lease = self.kube.request("PUT", self.path, body=lease)
        except Conflict:
            latest = self.kube.request("GET", self.path)
            if (latest.get("spec") or {}).get("holderIdentity") != self.identity:
                self.lost = True
                raise LockLost(f"lease {self.namespace}/{self.name} was taken over") from None
            self._lease = latest
            self.renew()

    def release(self) -> None:
        if self._lease is None:
            return
        metadata = self._lease.get("metadata") or {}
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "preconditions": {"uid": metadata.get("uid")},
        }
        with contextlib.suppress(NotFound, Conflict):  # gone, or someone else's now
            self.kube.request("DELETE", self.path, body=body)
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
        self._thread = threading.Thread(target=self._renew_loop, name="aimsync-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(KubeError):  # if not, it expires by itself
            self.release()
