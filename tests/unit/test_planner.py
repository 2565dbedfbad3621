"""The planner (aimsync.sync.planner): per desired object, a decision without a request when
one is possible, otherwise from a dry-run apply."""

from __future__ import annotations

import copy
from typing import Any

from aimsync.core.live import LiveObjects
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Cause
from aimsync.plan.changes import Action, ChangeSet
from aimsync.plan.membership import with_membership
from aimsync.sync.planner import plan_objects
from tests.fakes import APPLYSET, FakeCluster, refused

CM = ObjectKey("v1", "ConfigMap", "ns", "cm")
JOB = ObjectKey("batch/v1", "Job", "ns", "download")


def desired(key: ObjectKey = CM, **data: str) -> DesiredObject:
    """An object as the planner gets it: already a member of the inventory."""
    manifest: dict[str, object] = {
        "apiVersion": key.api_version, "kind": key.kind,
        "metadata": {"name": key.name, "namespace": key.namespace},
        "data": data or {"k": "v"},
    }
    (member,) = with_membership([DesiredObject(key, manifest, origin="test")], APPLYSET)
    return member


def applied_by_aimsync(obj: DesiredObject) -> dict[str, Any]:
    """`obj` live, as aimsync's server-side apply left it (its managedFields entry included)."""
    live = copy.deepcopy(obj.manifest)
    live["metadata"] = {**live["metadata"], "uid": "u1", "resourceVersion": "7", "managedFields": [
        {"manager": "aimsync", "operation": "Apply", "apiVersion": obj.key.api_version,
         "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:k": {}}}}]}
    return live


def plan(cluster: FakeCluster, objects: list[DesiredObject], live: LiveObjects | None = None, *,
         verify_creates: bool = False) -> ChangeSet:
    return plan_objects(cluster, objects, live or LiveObjects(), manager="aimsync",
                        verify_creates=verify_creates, concurrency=2)


def test_a_new_object_is_created_without_a_request() -> None:
    cluster = FakeCluster()
    (change,) = plan(cluster, [desired()]).changes
    assert (change.action, change.reason) == (Action.CREATE, "new")
    assert cluster.calls == []


def test_a_new_object_is_dry_run_when_creates_are_verified() -> None:
    cluster = FakeCluster()
    (change,) = plan(cluster, [desired()], verify_creates=True).changes
    assert change.action is Action.CREATE
    assert cluster.calls == [("dry_run", str(CM))]


def test_an_object_proven_unchanged_needs_no_request() -> None:
    cluster = FakeCluster()
    obj = desired()
    (change,) = plan(cluster, [obj], LiveObjects({CM: applied_by_aimsync(obj)})).changes
    assert change.action is Action.UNCHANGED
    assert "no request" in change.reason
    assert cluster.calls == []


def test_a_changed_object_is_an_update_with_its_patch() -> None:
    cluster = FakeCluster()
    old = cluster.holds(desired(k="old"))
    (change,) = plan(cluster, [desired(k="new")], LiveObjects({CM: old})).changes
    assert (change.action, change.reason) == (Action.UPDATE, "fields changed")
    assert {"op": "replace", "path": "/data/k", "value": "new"} in change.patch


def test_an_object_the_dry_run_leaves_as_it_is_is_unchanged() -> None:
    cluster = FakeCluster()
    obj = desired()
    live = cluster.holds(obj)  # no managedFields: the proof fails, the dry run decides
    (change,) = plan(cluster, [obj], LiveObjects({CM: live})).changes
    assert (change.action, change.reason) == (Action.UNCHANGED, "unchanged (dry-run)")


def test_drift_taken_back_is_a_forced_update_naming_the_managers() -> None:
    cluster = FakeCluster(reclaims={CM: ("kubectl-edit",)})
    old = cluster.holds(desired(k="edited"))
    (change,) = plan(cluster, [desired()], LiveObjects({CM: old})).changes
    assert change.action is Action.UPDATE and change.force
    assert change.reason == "drift: taking back fields edited by kubectl-edit"


def test_a_refused_dry_run_is_skipped_with_its_failure() -> None:
    failure = refused(CM, Cause.CONFLICT, "conflict: .data.k owned by 'other'")
    cluster = FakeCluster(refusals={CM: failure})
    old = cluster.holds(desired(k="x"))
    (change,) = plan(cluster, [desired()], LiveObjects({CM: old})).changes
    assert (change.action, change.reason) == (Action.SKIP, "not applied: conflict")
    assert change.failure == failure


def test_an_immutable_job_change_is_planned_as_a_replacement() -> None:
    cluster = FakeCluster(refusals={JOB: refused(JOB, Cause.IMMUTABLE)})
    old = cluster.holds(desired(JOB, k="old"))
    (change,) = plan(cluster, [desired(JOB)], LiveObjects({JOB: old})).changes
    assert change.action is Action.UPDATE and change.replace
    assert change.failure is None


def test_an_opted_out_live_object_is_skipped_without_a_request() -> None:
    cluster = FakeCluster()
    live = cluster.holds(desired(k="mine"))
    live["metadata"]["annotations"] = {"aimsync.io/ignore": "true"}
    (change,) = plan(cluster, [desired()], LiveObjects({CM: live})).changes
    assert change.action is Action.SKIP and "aimsync.io/ignore" in change.reason
    assert cluster.calls == []


def test_an_object_outside_the_inventory_is_adopted() -> None:
    cluster = FakeCluster()
    cluster.holds(desired(k="made by hand"))  # in the cluster, not listed as a member
    (change,) = plan(cluster, [desired()], verify_creates=True).changes
    assert change.action is Action.UPDATE
    assert change.reason.startswith("adopted")


def test_the_plan_keeps_the_order_of_the_objects() -> None:
    cluster = FakeCluster()
    first, second = desired(ObjectKey("v1", "ConfigMap", "ns", "b")), desired(JOB)
    live = cluster.holds(second)
    keys = [c.key for c in plan(cluster, [first, second], LiveObjects({JOB: live})).changes]
    assert keys == [first.key, JOB]


def test_a_sync_applies_a_change_only_aimsync_manages_without_a_dry_run() -> None:
    cluster = FakeCluster()
    live = applied_by_aimsync(desired(k="old"))
    (change,) = plan(cluster, [desired(k="new")], LiveObjects({CM: live})).changes
    assert (change.action, change.reason, change.direct) == (
        Action.UPDATE, "fields changed", True
    )
    assert cluster.calls == []


def test_a_diff_dry_runs_a_change_only_aimsync_manages() -> None:
    cluster = FakeCluster()
    cluster.objects[CM] = live = applied_by_aimsync(desired(k="old"))
    (change,) = plan(cluster, [desired(k="new")], LiveObjects({CM: live}),
                     verify_creates=True).changes
    assert not change.direct and cluster.calls == [("dry_run", str(CM))]


def test_a_download_job_is_always_planned_by_a_dry_run() -> None:
    cluster = FakeCluster()
    cluster.objects[JOB] = live = applied_by_aimsync(desired(JOB, k="old"))
    (change,) = plan(cluster, [desired(JOB, k="new")], LiveObjects({JOB: live})).changes
    assert not change.direct and cluster.calls == [("dry_run", str(JOB))]
