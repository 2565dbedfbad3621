"""The run's Lease (aimsync.kube.lock): taking it, waiting for it, fencing writes with it, and
writes whose answer was lost. Over an in-memory Lease store that behaves as the API server
does for one object (resourceVersion preconditions, 404, 409, a PUT that creates a missing Lease
unless it names a uid); the real one is exercised by tests/integration/test_lease.py and
tests/integration/test_reliability.py."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from aimsync.core.halt import DeadlineExceeded
from aimsync.kube.errors import Conflict, NotFound
from aimsync.kube.guard import RequestGuard
from aimsync.kube.lock import LockHeld, LockLost, RunLock, micro_time

NS, NAME = "aimsync-system", "aimsync-lock"
PATH = f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{NAME}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class LeaseServer:
    """One Lease, as the API server keeps it; `lose_answer` drops the answer of the next
    write after committing it (a connection reset at the worst moment)."""

    def __init__(self, clock: Clock) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0
        self.lose_answer: str | None = None
        self.guard = RequestGuard(clock=clock)
        self.calls: list[str] = []

    def _store(self, body: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        stored = copy.deepcopy(body)
        stored.setdefault("metadata", {})
        stored["metadata"] = {**stored["metadata"], "uid": "uid-1",
                              "resourceVersion": str(self.version)}
        self.lease = stored
        return copy.deepcopy(stored)

    def _version(self) -> str:
        assert self.lease is not None
        return str(self.lease["metadata"]["resourceVersion"])

    def request(self, method: str, path: str, *, body: Any = None, exempt: bool = False,
                content_type: str = "application/json", **_: Any) -> dict[str, Any]:
        assert exempt, "the run's Lease requests are exempt from the run's guard"
        self.calls.append(method)
        if method == "GET":
            if self.lease is None:
                raise NotFound(method, path, 404, {})
            return copy.deepcopy(self.lease)
        if method == "POST":
            if self.lease is not None:
                raise Conflict(method, path, 409, {})
            answer = self._store(body)
        elif method == "PUT":
            if self.lease is None:  # Leases are created on update, unless the uid is given
                if body["metadata"].get("uid"):
                    raise Conflict(method, path, 409, {})  # "Precondition failed: UID"
                answer = self._store(body)
            elif body["metadata"].get("resourceVersion") != self._version():
                raise Conflict(method, path, 409, {})
            else:
                answer = self._store(body)
        elif method == "PATCH":  # a merge patch: never creates; its version is a precondition
            assert content_type == "application/merge-patch+json"
            if self.lease is None:
                raise NotFound(method, path, 404, {})
            if body["metadata"]["resourceVersion"] != self._version():
                raise Conflict(method, path, 409, {})
            answer = self._store({**self.lease, "spec": {**self.lease["spec"], **body["spec"]}})
        elif method == "DELETE":
            self.lease = None
            return {}
        else:
            raise AssertionError(method)
        if self.lose_answer == method:
            self.lose_answer = None
            raise Conflict(method, path, 409, {})  # what the client's retry then meets
        return answer

    def held_by(self, holder: str, renewed_seconds_ago: float, duration: int = 60) -> None:
        moment = micro_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=renewed_seconds_ago))
        self._store({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": NAME, "namespace": NS},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                     "acquireTime": moment, "renewTime": moment},
        })


def lock(server: LeaseServer, clock: Clock, **options: Any) -> RunLock:
    return RunLock(server, NS, NAME, "me", clock=clock, sleep=clock.sleep,  # type: ignore[arg-type]
                   **options)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> LeaseServer:
    return LeaseServer(clock)


def test_a_free_lease_is_taken(server: LeaseServer, clock: Clock) -> None:
    lock(server, clock).acquire()
    assert server.lease is not None and server.lease["spec"]["holderIdentity"] == "me"


def test_a_held_lease_is_refused_with_its_holder(server: LeaseServer, clock: Clock) -> None:
    server.held_by("cron-pod/42", renewed_seconds_ago=1)
    with pytest.raises(LockHeld, match="cron-pod/42"):
        lock(server, clock).acquire()


def test_an_expired_lease_is_taken_over(server: LeaseServer, clock: Clock) -> None:
    server.held_by("dead-run", renewed_seconds_ago=120)
    lock(server, clock).acquire()
    assert server.lease["spec"]["holderIdentity"] == "me"  # type: ignore[index]
    assert server.lease["spec"]["leaseTransitions"] == 1  # type: ignore[index]


def test_lock_wait_waits_for_a_held_lease_and_reports_progress(
    server: LeaseServer, clock: Clock
) -> None:
    server.held_by("busy-run", renewed_seconds_ago=0, duration=60)
    shown: list[str] = []
    waiting = lock(server, clock, wait_seconds=30, progress=shown.append)
    with pytest.raises(LockHeld):
        waiting.acquire()
    assert clock.now == pytest.approx(1030.0)  # it waited the whole --lock-wait
    assert shown and all("waiting for the lock held by busy-run" in s for s in shown)


def test_lock_wait_takes_the_lease_once_it_is_released(
    server: LeaseServer, clock: Clock
) -> None:
    server.held_by("busy-run", renewed_seconds_ago=0)
    releases_after = iter([None, None, "release"])

    def progress(_: str) -> None:
        if next(releases_after, None):
            server.lease = None

    lock(server, clock, wait_seconds=30, progress=progress).acquire()
    assert server.lease["spec"]["holderIdentity"] == "me"  # type: ignore[index]


def test_lock_wait_ends_at_the_runs_deadline(server: LeaseServer, clock: Clock) -> None:
    server.held_by("busy-run", renewed_seconds_ago=0)
    server.guard.deadline, server.guard.timeout_seconds = clock.now + 5, 5
    with pytest.raises(DeadlineExceeded):
        lock(server, clock, wait_seconds=60).acquire()


def test_a_takeover_whose_answer_was_lost_is_recognised_as_ours(
    server: LeaseServer, clock: Clock
) -> None:
    server.held_by("dead-run", renewed_seconds_ago=120)
    server.lose_answer = "PUT"
    lock(server, clock).acquire()  # the 409 of the retry is our own committed write
    assert server.lease["spec"]["holderIdentity"] == "me"  # type: ignore[index]


def test_a_create_whose_answer_was_lost_is_recognised_as_ours(
    server: LeaseServer, clock: Clock
) -> None:
    server.lose_answer = "POST"
    lock(server, clock).acquire()
    assert server.lease["spec"]["holderIdentity"] == "me"  # type: ignore[index]


def test_writes_are_fenced_by_the_time_since_the_last_renewal(
    server: LeaseServer, clock: Clock
) -> None:
    run = lock(server, clock, duration=60)
    run.acquire()
    assert run.remaining() == pytest.approx(45.0)  # 60 less a quarter
    clock.sleep(40)
    assert run.remaining() == pytest.approx(5.0)
    clock.sleep(10)  # paused, or cut off: it cannot know whether it still holds the Lease
    with pytest.raises(LockLost, match="not renewed for 50s"):
        run.remaining()
    assert run.lost


def test_a_renewal_that_finds_the_lease_gone_loses_it(server: LeaseServer, clock: Clock) -> None:
    run = lock(server, clock)
    run.acquire()
    server.lease = None  # another run took it over after expiry and released it
    with pytest.raises(LockLost, match="deleted"):
        run.renew()
    with pytest.raises(LockLost):
        run.remaining()
    assert server.lease is None


def test_a_renewal_whose_answer_was_lost_is_recognised_as_ours(
    server: LeaseServer, clock: Clock
) -> None:
    run = lock(server, clock)
    run.acquire()
    server.lose_answer = "PATCH"
    run.renew()
    assert server.calls[-3:] == ["PATCH", "GET", "PATCH"]
    assert run.remaining() > 0 and not run.lost


def test_a_lease_found_lost_is_never_renewed(server: LeaseServer, clock: Clock) -> None:
    run = lock(server, clock)
    run.acquire()
    clock.sleep(60)  # paused past its Lease: the writer finds it lost before the renewer runs
    with pytest.raises(LockLost):
        run.remaining()
    sent = len(server.calls)
    with pytest.raises(LockLost):
        run.renew()
    assert len(server.calls) == sent


def test_a_renewal_that_finds_another_holder_loses_it(server: LeaseServer, clock: Clock) -> None:
    run = lock(server, clock)
    run.acquire()
    server.held_by("newer-run", renewed_seconds_ago=0)
    with pytest.raises(LockLost, match="newer-run"):
        run.renew()


def test_verify_reads_the_lease_back_before_a_write_phase(
    server: LeaseServer, clock: Clock
) -> None:
    run = lock(server, clock)
    run.acquire()
    run.verify()
    server.held_by("newer-run", renewed_seconds_ago=0)
    with pytest.raises(LockLost, match="held by newer-run"):
        run.verify()


def test_a_lost_lease_is_not_deleted_at_the_end(server: LeaseServer, clock: Clock) -> None:
    run = lock(server, clock)
    run.acquire()
    server.held_by("newer-run", renewed_seconds_ago=0)
    with pytest.raises(LockLost):
        run.verify()
    run.release()
    assert server.lease is not None and server.lease["spec"]["holderIdentity"] == "newer-run"


def test_release_deletes_the_lease(server: LeaseServer, clock: Clock) -> None:
    run = lock(server, clock)
    run.acquire()
    run.release()
    assert server.lease is None
