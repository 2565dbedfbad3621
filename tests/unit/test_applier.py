"""The applier (aimsync.sync.applier): applies a plan stage by stage and prunes in reverse,
one typed outcome per object; a failing object does not stop the others."""

from __future__ import annotations

from aimsync.core.live import LiveObjects, ObjectState
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Cause, Outcome, Result
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.sync.applier import apply_changes, prune
from tests.fakes import FakeCluster, job_status, refused

PVC = ObjectKey("v1", "PersistentVolumeClaim", "ns", "cache")
JOB = ObjectKey("batch/v1", "Job", "ns", "download")
ISVC = ObjectKey("serving.kserve.io/v1beta1", "InferenceService", "ns", "chat")
ROUTE = ObjectKey("gateway.networking.k8s.io/v1", "HTTPRoute", "ns", "chat")


def obj(key: ObjectKey) -> DesiredObject:
    manifest: dict[str, object] = {
        "apiVersion": key.api_version, "kind": key.kind,
        "metadata": {"name": key.name, "namespace": key.namespace}, "spec": {"x": 1},
    }
    return DesiredObject(key, manifest, origin="test")


def change(key: ObjectKey, action: Action = Action.CREATE, *, replace: bool = False) -> (
    ObjectChange
):
    return ObjectChange(key, action, None, obj(key).manifest, replace=replace)


def apply(cluster: FakeCluster, *changes: ObjectChange) -> tuple[Outcome, ...]:
    objects = {c.key: obj(c.key) for c in changes}
    live = LiveObjects({k: v for k, v in cluster.objects.items()})
    return apply_changes(cluster, ChangeSet(changes), objects, live, concurrency=4)


def test_objects_are_applied_stage_by_stage() -> None:
    cluster = FakeCluster()
    apply(cluster, change(ROUTE), change(ISVC), change(JOB), change(PVC))
    assert [key for method, key in cluster.calls if method == "apply"] == [
        str(PVC), str(JOB), str(ISVC), str(ROUTE)
    ]


def test_a_new_object_is_created_and_an_existing_one_configured() -> None:
    cluster = FakeCluster()
    cluster.holds(obj(JOB))
    outcomes = apply(cluster, change(PVC), change(JOB, Action.UPDATE))
    assert {o.key: o.result for o in outcomes} == {PVC: Result.CREATED, JOB: Result.CONFIGURED}


def test_unchanged_and_skipped_objects_are_not_written() -> None:
    cluster = FakeCluster()
    assert apply(cluster, change(PVC, Action.UNCHANGED), change(JOB, Action.SKIP)) == ()
    assert cluster.writes() == []


def test_a_failing_object_does_not_stop_the_others() -> None:
    failure = refused(JOB, Cause.FORBIDDEN, "Forbidden: jobs")
    cluster = FakeCluster(apply_refusals={JOB: failure})
    outcomes = {o.key: o for o in apply(cluster, change(PVC), change(JOB), change(ISVC))}
    assert outcomes[JOB] == Outcome.failed(failure)
    assert outcomes[PVC].result is Result.CREATED and outcomes[ISVC].result is Result.CREATED


def test_a_job_refused_as_immutable_is_recreated() -> None:
    cluster = FakeCluster(apply_refusals={JOB: refused(JOB, Cause.IMMUTABLE)})
    cluster.holds(obj(JOB), **job_status(ObjectState.READY))
    (outcome,) = apply(cluster, change(JOB, Action.UPDATE))
    assert outcome.result is Result.RECREATED


def test_a_pvc_refused_as_immutable_fails_and_is_kept() -> None:
    failure = refused(PVC, Cause.IMMUTABLE, "Kubernetes refuses this PVC change")
    cluster = FakeCluster(apply_refusals={PVC: failure})
    cluster.holds(obj(PVC))
    (outcome,) = apply(cluster, change(PVC, Action.UPDATE))
    assert outcome.failure == failure
    assert PVC in cluster.objects and ("delete", str(PVC)) not in cluster.calls


def test_a_replacement_the_cluster_defers_is_reported_as_deferred_not_written() -> None:
    deferred = Outcome(JOB, Result.DEFERRED, "the download Job is running")
    cluster = FakeCluster(recreations={JOB: deferred})
    cluster.holds(obj(JOB), **job_status(ObjectState.PENDING))
    (outcome,) = apply(cluster, change(JOB, Action.UPDATE, replace=True))
    assert outcome == deferred and not outcome.result.wrote


def test_prune_deletes_in_reverse_apply_order() -> None:
    cluster = FakeCluster()
    for key in (PVC, JOB, ISVC):
        cluster.holds(obj(key))
    changes = ChangeSet(tuple(change(k, Action.DELETE) for k in (PVC, ISVC, JOB)))
    outcomes = prune(cluster, changes, LiveObjects(dict(cluster.objects)), concurrency=2)
    assert [o.key for o in outcomes] == [ISVC, JOB, PVC]
    assert all(o.result is Result.DELETED for o in outcomes)
    assert cluster.objects == {}


def test_a_failed_delete_keeps_its_cause() -> None:
    failure = refused(JOB, Cause.UNREACHABLE, "cannot reach the API server")
    cluster = FakeCluster(delete_refusals={JOB: failure})
    changes = ChangeSet((change(JOB, Action.DELETE),))
    (outcome,) = prune(cluster, changes, LiveObjects(), concurrency=1)
    assert outcome.failure is not None and outcome.failure.cause is Cause.UNREACHABLE
