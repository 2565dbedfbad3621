"""What one run needs of a cluster, as one small interface, and its Kubernetes implementation.

The engine, planner and applier talk to `Cluster` only; `KubeCluster` carries it out through
the kube edge (aimsync.kube). Unit tests give the engine an in-memory cluster instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from msgspec import Struct

from aimsync.core.applyset import InventoryState, member_selector
from aimsync.core.halt import Halted
from aimsync.core.live import LiveObject, LiveObjects, WaitResult, uid_of
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import DryRun, Outcome
from aimsync.core.sizing import SizeReading
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError
from aimsync.kube.inventory import Inventory
from aimsync.kube.lock import RunLock
from aimsync.kube.members import read_members
from aimsync.kube.size_check import read_size_check
from aimsync.kube.ssa.apply import Applied, ApplyPolicy, apply
from aimsync.kube.ssa.delete import delete_object
from aimsync.kube.ssa.dry_run import dry_run
from aimsync.kube.ssa.failures import ApplyFailed, failure_of
from aimsync.kube.ssa.replace import recreate_job
from aimsync.kube.wait import wait_for

WaitProgress = Callable[[WaitResult, float], None]


class Cluster(Protocol):
    """Per-object calls raise ApplyFailed; anything else that fails raises KubeError."""

    @property
    def applyset(self) -> str:
        """The inventory's id: the part-of label value of every member."""
        ...

    def read_inventory(self) -> InventoryState: ...

    def write_inventory(self, state: InventoryState) -> None: ...

    def read_members(self, namespaces: Iterable[str]) -> LiveObjects: ...

    def dry_run(self, obj: DesiredObject, live: LiveObject | None) -> DryRun: ...

    def apply(self, obj: DesiredObject, live: LiveObject | None, *, force: bool) -> Applied: ...

    def recreate(self, obj: DesiredObject, live: LiveObject | None) -> Outcome: ...

    def delete(self, key: ObjectKey, live: LiveObject | None) -> None: ...

    def wait(
        self, keys: list[ObjectKey], deadline: float, progress: WaitProgress
    ) -> WaitResult: ...

    def read_size(self, job: ObjectKey) -> SizeReading:
        """What a check-size Job measured (never raises: a failure is a reading)."""
        ...

    def check_lock(self) -> None:
        """Before each writing phase: raises Halted when the run must stop (a signal, its
        deadline) and LockLost when it cannot prove it still holds its Lease."""
        ...


class KubeCluster(Struct):
    kube: KubeClient
    inventory: Inventory
    policy: ApplyPolicy
    lock: RunLock | None = None  # None for a plan-only run, which writes nothing
    concurrency: int = 8

    @property
    def applyset(self) -> str:
        return self.inventory.id

    def read_inventory(self) -> InventoryState:
        return self.inventory.read()

    def write_inventory(self, state: InventoryState) -> None:
        self.inventory.write(state)

    def read_members(self, namespaces: Iterable[str]) -> LiveObjects:
        return read_members(self.kube, self.applyset, namespaces, concurrency=self.concurrency)

    def dry_run(self, obj: DesiredObject, live: LiveObject | None) -> DryRun:
        return dry_run(self.kube, obj, live, self.policy)

    def apply(self, obj: DesiredObject, live: LiveObject | None, *, force: bool) -> Applied:
        return apply(self.kube, obj, live, self.policy, force=force)

    def recreate(self, obj: DesiredObject, live: LiveObject | None) -> Outcome:
        return recreate_job(self.kube, obj, live, self.policy)

    def delete(self, key: ObjectKey, live: LiveObject | None) -> None:
        try:
            delete_object(self.kube, key, uid=uid_of(live))
        except Halted:  # the whole run stops, not this object
            raise
        except KubeError as exc:
            raise ApplyFailed(failure_of(key, exc, exists=True)) from None

    def wait(self, keys: list[ObjectKey], deadline: float, progress: WaitProgress) -> WaitResult:
        selector = member_selector(self.applyset)
        return wait_for(self.kube, keys, label_selector=selector, deadline=deadline,
                        progress=progress)

    def read_size(self, job: ObjectKey) -> SizeReading:
        return read_size_check(self.kube, job)

    def check_lock(self) -> None:
        self.kube.guard.check()
        if self.lock is not None:
            self.lock.verify()
