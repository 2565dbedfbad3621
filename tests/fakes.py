"""An in-memory `Cluster` (aimsync.sync.cluster) for unit tests of the planner, the applier
and the engine.

It is a fake of aimsync's own small interface, not of the Kubernetes API: what server-side
apply does to an object is left to the integration tests against the real kube-apiserver.
Here an apply stores the manifest as the live object (one manager owns every field), a dry run
answers with that same object without storing it, and a wait finds every object in the state
the test chose. Every call is recorded, in order.
"""

from __future__ import annotations

import copy
import itertools
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aimsync.core.applyset import PART_OF_LABEL, InventoryState
from aimsync.core.halt import Interrupted
from aimsync.core.live import LiveObject, LiveObjects, ObjectState, WaitResult
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Cause, DryRun, Failure, Outcome, Result
from aimsync.core.sizing import SizeCheckState, SizeReading
from aimsync.kube.lock import LockLost
from aimsync.kube.ssa.apply import Applied
from aimsync.kube.ssa.failures import ApplyFailed
from aimsync.sync.cluster import WaitProgress

APPLYSET = "applyset-test-v1"
_uids = itertools.count(1)


def job_status(state: ObjectState) -> dict[str, Any]:
    if state is ObjectState.READY:
        return {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    if state is ObjectState.FAILED:
        return {"failed": 3, "conditions": [{"type": "Failed", "status": "True"}]}
    return {"active": 1}


@dataclass
class FakeCluster:
    objects: dict[ObjectKey, LiveObject] = field(default_factory=dict)
    inventory: InventoryState = field(
        default_factory=lambda: InventoryState(frozenset(), frozenset())
    )
    refusals: dict[ObjectKey, Failure] = field(default_factory=dict)  # dry runs and applies
    apply_refusals: dict[ObjectKey, Failure] = field(default_factory=dict)  # applies only
    delete_refusals: dict[ObjectKey, Failure] = field(default_factory=dict)
    reclaims: dict[ObjectKey, tuple[str, ...]] = field(default_factory=dict)  # drift taken back
    recreations: dict[ObjectKey, Outcome] = field(default_factory=dict)  # what recreate answers
    wait_states: dict[str, ObjectState] = field(default_factory=dict)  # kind -> what wait finds
    lose_lock_after: int | None = None  # the lock is lost after this many writes
    size_outputs: dict[ObjectKey, SizeReading] = field(default_factory=dict)  # check-size Jobs
    halt_after_applies: int | None = None  # a SIGTERM arrives after this many applies
    calls: list[tuple[str, str]] = field(default_factory=list)

    @property
    def applyset(self) -> str:
        return APPLYSET

    # -- what the test sets up and looks at ----------------------------------------------

    def holds(self, obj: DesiredObject, **status: Any) -> LiveObject:
        """Put `obj` in the cluster as a member of the inventory (as a past run applied it)."""
        manifest = copy.deepcopy(obj.manifest)
        metadata = manifest["metadata"]
        assert isinstance(metadata, dict)
        metadata["labels"] = {**(metadata.get("labels") or {}), PART_OF_LABEL: APPLYSET}
        return self._store(obj.key, manifest, status or None)

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] in ("apply", "recreate", "delete",
                                                   "write_inventory")]

    def _store(
        self, key: ObjectKey, manifest: dict[str, Any], status: dict[str, Any] | None
    ) -> LiveObject:
        live = copy.deepcopy(manifest)
        live["metadata"] = {**live["metadata"], "uid": f"uid-{next(_uids)}",
                            "resourceVersion": "1"}
        if status is not None:
            live["status"] = status
        self.objects[key] = live
        return live

    def _wrote(self, method: str, what: str) -> None:
        self.calls.append((method, what))
        if self.lose_lock_after is not None:
            self.lose_lock_after -= 1

    # -- the Cluster interface -----------------------------------------------------------

    def read_inventory(self) -> InventoryState:
        self.calls.append(("read_inventory", ""))
        return self.inventory

    def write_inventory(self, state: InventoryState) -> None:
        self._wrote("write_inventory", "")
        self.inventory = state

    def read_members(self, namespaces: Iterable[str]) -> LiveObjects:
        wanted = set(namespaces)
        self.calls.append(("read_members", ",".join(sorted(wanted))))
        return LiveObjects({
            key: copy.deepcopy(obj) for key, obj in self.objects.items()
            if key.namespace in wanted
            and (obj["metadata"].get("labels") or {}).get(PART_OF_LABEL) == APPLYSET
        })

    def dry_run(self, obj: DesiredObject, live: LiveObject | None) -> DryRun:
        self.calls.append(("dry_run", str(obj.key)))
        if obj.key in self.refusals:
            raise ApplyFailed(self.refusals[obj.key])
        existing = self.objects.get(obj.key)
        merged = copy.deepcopy(obj.manifest)
        if existing is not None:
            merged["metadata"] = {**merged["metadata"], **{
                k: existing["metadata"][k] for k in ("uid", "resourceVersion")}}
        return DryRun(
            merged, copy.deepcopy(existing) if existing else None, self.reclaims.get(obj.key, ())
        )

    def apply(self, obj: DesiredObject, live: LiveObject | None, *, force: bool) -> Applied:
        if self.halt_after_applies is not None:
            if self.halt_after_applies <= 0:
                raise Interrupted(signal.SIGTERM)
            self.halt_after_applies -= 1
        self._wrote("apply", str(obj.key))
        refusal = self.refusals.get(obj.key) or self.apply_refusals.get(obj.key)
        if refusal is not None:
            raise ApplyFailed(refusal)
        created = obj.key not in self.objects
        status = None if created else self.objects[obj.key].get("status")
        return Applied(self._store(obj.key, copy.deepcopy(obj.manifest), status), created)

    def recreate(self, obj: DesiredObject, live: LiveObject | None) -> Outcome:
        """What the test set in `recreations` (a deferral, say), else RECREATED."""
        if obj.key in self.recreations:
            return self.recreations[obj.key]
        self._wrote("recreate", str(obj.key))
        self._store(obj.key, copy.deepcopy(obj.manifest), None)
        return Outcome(obj.key, Result.RECREATED)

    def delete(self, key: ObjectKey, live: LiveObject | None) -> None:
        self._wrote("delete", str(key))
        if key in self.delete_refusals:
            raise ApplyFailed(self.delete_refusals[key])
        self.objects.pop(key, None)

    def wait(self, keys: list[ObjectKey], deadline: float, progress: WaitProgress) -> WaitResult:
        self.calls.append(("wait", ",".join(sorted(k.kind for k in keys))))
        states = {k: self.wait_states.get(k.kind, ObjectState.READY) for k in keys}
        for key, state in states.items():
            if key.kind == "Job" and key in self.objects:
                self.objects[key]["status"] = job_status(state)
        result = WaitResult(states, timed_out=ObjectState.PENDING in states.values())
        progress(result, 0.0)
        return result

    def read_size(self, job: ObjectKey) -> SizeReading:
        """What the test put in `size_outputs`, else a Job still running."""
        self.calls.append(("read_size", str(job)))
        return self.size_outputs.get(job, SizeReading(job, SizeCheckState.RUNNING))

    def check_lock(self) -> None:
        if self.halt_after_applies is not None and self.halt_after_applies <= 0:
            raise Interrupted(signal.SIGTERM)
        if self.lose_lock_after is not None and self.lose_lock_after <= 0:
            raise LockLost("the run lost its lock while working; it stops before writing more")


def refused(key: ObjectKey, cause: Cause = Cause.REFUSED, message: str = "Invalid: no") -> (
    Failure
):
    return Failure(key, cause, message)
