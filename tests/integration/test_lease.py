"""The run's Lease against the real API server: what the in-memory store of
tests/unit/test_lock.py assumes, checked where it matters (a paused run that resumes after a
newer run took its Lease over and released it must not bring the Lease back and write on)."""

from __future__ import annotations

import pytest

from aimsync.kube.client import KubeClient
from aimsync.kube.errors import Conflict, NotFound
from aimsync.kube.lock import LEASE, LockLost, RunLock

pytestmark = pytest.mark.integration


def held(kube: KubeClient, namespace: str, identity: str) -> RunLock:
    lock = RunLock(kube, namespace, "aimsync-lock", identity, duration=30)
    lock.acquire()
    return lock


def test_a_put_to_a_missing_lease_creates_it_unless_it_names_the_old_uid(
    kube: KubeClient, namespace: str
) -> None:
    """What the in-memory store of the unit tests assumes, and why renewals are patches: a PUT
    of a Lease deleted since is a conflict (uid precondition) or a create, never a 404."""
    lock = held(kube, namespace, "older-run")
    stale = kube.request("GET", lock.path)
    kube.request("DELETE", lock.path)
    with pytest.raises(Conflict, match="UID"):
        kube.request("PUT", lock.path, body=stale)
    del stale["metadata"]["uid"]
    recreated = kube.request("PUT", lock.path, body=stale)
    assert recreated["spec"]["holderIdentity"] == "older-run"


def test_a_renewal_of_a_lease_released_by_a_newer_run_does_not_bring_it_back(
    kube: KubeClient, namespace: str
) -> None:
    older = held(kube, namespace, "older-run")
    kube.request("DELETE", older.path)  # a newer run took it over after expiry and ended
    with pytest.raises(LockLost, match="deleted"):
        older.renew()
    with pytest.raises(LockLost):
        older.remaining()
    with pytest.raises(NotFound):
        kube.request("GET", older.path)


def test_a_renewal_of_a_lease_another_run_holds_now_loses_it_and_leaves_it_alone(
    kube: KubeClient, namespace: str
) -> None:
    older = held(kube, namespace, "older-run")
    kube.request("DELETE", older.path)
    newer = held(kube, namespace, "newer-run")
    with pytest.raises(LockLost, match="newer-run"):
        older.renew()
    assert kube.request("GET", newer.path)["spec"]["holderIdentity"] == "newer-run"
    newer.renew()  # the newer run goes on renewing it
    assert newer.remaining() > 0


def test_a_renewal_writes_only_the_renew_time(kube: KubeClient, namespace: str) -> None:
    lock = held(kube, namespace, "run")
    before = kube.request("GET", lock.path)
    lock.renew()
    after = kube.request("GET", LEASE.object_path("aimsync-lock", namespace))
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    assert {k: v for k, v in after["spec"].items() if k != "renewTime"} == {
        k: v for k, v in before["spec"].items() if k != "renewTime"
    }
