"""The engine (aimsync.sync.engine): the steps of one run and the report built from them,
over an in-memory cluster (tests.fakes). The same steps against the real kube-apiserver are
in tests/integration/test_sync.py."""

from __future__ import annotations

from typing import Any

from aimsync.core.applyset import InventoryState
from aimsync.core.facts import ClusterFacts
from aimsync.core.halt import Interrupted
from aimsync.core.live import ObjectState
from aimsync.core.objects import ObjectKey
from aimsync.core.results import Cause, Result
from aimsync.core.sizing import SizeReading
from aimsync.kube.lock import LockLost
from aimsync.plan.changes import Action
from aimsync.render.desired import DesiredSet
from aimsync.render.labels import MODEL_SIZE_ANNOTATION
from aimsync.render.render import render
from aimsync.resolve.resolver import resolve_all
from aimsync.specs import Specs
from aimsync.sync.engine import SyncOptions, pending_names, run_sync
from aimsync.sync.report import SyncReport
from tests.factories import gpu_profile, make_specs
from tests.fakes import FakeCluster, job_status, refused

NS = "team"


def repository(*services: str) -> tuple[Specs, DesiredSet]:
    specs = make_specs(
        cluster={"qwen": gpu_profile()},
        services={(NS, name): {"profile": {"name": "qwen"}} for name in services or ("chat",)},
    )
    return specs, render(specs, resolve_all(specs, ClusterFacts.unknown()))


def run(
    cluster: FakeCluster, specs: Specs, desired: DesiredSet, progress: list[str] | None = None,
    **options: Any,
) -> SyncReport:
    shown = progress if progress is not None else []
    resolved = resolve_all(specs, ClusterFacts.unknown())
    return run_sync(
        cluster, specs, desired, SyncOptions(**options), shown.append,
        lambda sizes: render(specs, resolved, sizes),
    )


def unsized_repository() -> tuple[Specs, DesiredSet]:
    """A service whose profile's model source has no size (reference §4.3)."""
    source = {"modelId": "qwen/qwen3-32b-fp8", "sourceUri": "hf://Qwen/Qwen3-32B-FP8"}
    specs = make_specs(
        cluster={"qwen": gpu_profile(modelSources=[source])},
        services={(NS, "chat"): {"profile": {"name": "qwen"}}},
    )
    return specs, render(specs, resolve_all(specs, ClusterFacts.unknown()))


def size_check_job(desired: DesiredSet) -> ObjectKey:
    (check,) = desired.size_checks
    return check.job


SIZE = 9_094_593_249  # the example of ApplyHeadroomAndRound's comment (storage.go, e837778)


def kinds(report: SyncReport, result: Result) -> list[str]:
    return sorted(o.key.kind for o in report.outcomes if o.result is result)


def of_kind(desired: DesiredSet, kind: str) -> ObjectKey:
    (key,) = [o.key for o in desired.objects if o.key.kind == kind]
    return key


def test_a_plan_only_run_writes_nothing() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    report = run(cluster, specs, desired, plan_only=True)
    assert report.changes.count(Action.CREATE) == 2  # the PVC and the download Job
    assert cluster.writes() == [] and report.outcomes == ()


def test_the_first_run_creates_the_caches_and_holds_the_service_back() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    report = run(cluster, specs, desired)
    assert kinds(report, Result.CREATED) == ["Job", "PersistentVolumeClaim"]
    (waiting,) = report.waiting
    assert waiting.service == (NS, "chat") and waiting.jobs == (of_kind(desired, "Job"),)


def test_the_inventory_is_widened_before_anything_is_applied() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    run(cluster, specs, desired)
    assert cluster.writes()[0] == ("write_inventory", "")
    assert "InferenceService.serving.kserve.io" in cluster.inventory.group_kinds  # held too


def test_a_later_run_creates_what_the_finished_downloads_release() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    run(cluster, specs, desired)
    cluster.objects[of_kind(desired, "Job")]["status"] = job_status(ObjectState.READY)
    report = run(cluster, specs, desired)
    assert kinds(report, Result.CREATED) == ["ConfigMap", "InferenceService"]
    assert report.waiting == ()


def test_a_run_with_nothing_to_change_writes_nothing() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    run(cluster, specs, desired)
    cluster.calls.clear()
    report = run(cluster, specs, desired)
    assert report.changes.count(Action.UNCHANGED) == 2
    assert cluster.writes() == [] and report.object_writes == 0


def test_a_run_that_wrote_nothing_observes_the_members_it_read_without_reading_again() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    run(cluster, specs, desired)
    cluster.calls.clear()
    report = run(cluster, specs, desired, observe=True)
    assert [c[0] for c in cluster.calls].count("read_members") == 1
    assert report.live_after is not None
    assert set(report.live_after.members) == {c.key for c in report.changes.changes}


def test_a_run_that_wrote_reads_the_members_again_to_observe_them() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    report = run(cluster, specs, desired, observe=True)
    assert [c[0] for c in cluster.calls].count("read_members") == 2
    assert report.live_after is not None
    assert {k.kind for k in report.live_after.members} == {"Job", "PersistentVolumeClaim"}


def test_wait_applies_the_second_wave_in_the_same_run() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    progress: list[str] = []
    report = run(cluster, specs, desired, progress, wait_seconds=60.0)
    assert kinds(report, Result.CREATED) == [
        "ConfigMap", "InferenceService", "Job", "PersistentVolumeClaim"
    ]
    assert report.waiting == () and report.ok
    assert [w.what for w in report.waits] == ["cache Job", "InferenceService"]
    assert progress[0].startswith("waiting for 1 cache Jobs: 1 ready")


def test_a_wait_that_runs_out_of_time_is_a_failure() -> None:
    cluster = FakeCluster(wait_states={"Job": ObjectState.PENDING})
    specs, desired = repository()
    report = run(cluster, specs, desired, wait_seconds=1.0)
    (failure,) = report.failures
    assert failure.cause is Cause.TIMEOUT and failure.key == of_kind(desired, "Job")
    assert len(report.waiting) == 1  # the service still waits


def test_a_failed_download_is_a_failure_of_the_run() -> None:
    cluster = FakeCluster(wait_states={"Job": ObjectState.FAILED})
    specs, desired = repository()
    report = run(cluster, specs, desired, wait_seconds=60.0)
    assert [f.cause for f in report.failures] == [Cause.OBJECT_FAILED]
    assert not report.ok


def test_an_object_the_cluster_refuses_fails_and_the_others_are_applied() -> None:
    specs, desired = repository()
    job = of_kind(desired, "Job")
    cluster = FakeCluster(apply_refusals={job: refused(job, Cause.FORBIDDEN, "Forbidden")})
    report = run(cluster, specs, desired)
    assert [(f.key, f.cause) for f in report.failures] == [(job, Cause.FORBIDDEN)]
    assert kinds(report, Result.CREATED) == ["PersistentVolumeClaim"]


def test_prune_deletes_what_left_the_repository() -> None:
    cluster = FakeCluster()
    specs, desired = repository("chat", "batch")
    run(cluster, specs, desired, wait_seconds=60.0)
    fewer_specs, fewer = repository("chat")
    report = run(cluster, fewer_specs, fewer, prune=True)
    deleted = {o.key.kind for o in report.outcomes if o.result is Result.DELETED}
    assert deleted == {"ConfigMap", "InferenceService"}  # chat still uses the Shared cache
    assert report.ok


def test_the_inventory_is_narrowed_when_everything_that_left_was_pruned() -> None:
    specs, desired = repository("chat")
    cluster = FakeCluster(inventory=InventoryState(frozenset({"Old.example.com"}),
                                                   frozenset({"aimsync-system"})))
    run(cluster, specs, desired, prune=True)
    assert cluster.inventory == InventoryState.of(desired.keys, "aimsync-system")


def test_a_member_left_behind_by_a_guard_keeps_the_inventory_wide() -> None:
    cluster = FakeCluster(inventory=InventoryState(frozenset({"Old.example.com"}),
                                                   frozenset({"aimsync-system"})))
    specs, desired = repository()
    run(cluster, specs, desired)
    report = run(cluster, specs, DesiredSet(), prune=True)  # an empty render: nothing pruned
    assert all(c.action is Action.SKIP for c in report.changes.changes)
    assert "Old.example.com" in cluster.inventory.group_kinds


def test_a_run_that_lost_its_lock_stops_before_writing_more() -> None:
    cluster = FakeCluster(lose_lock_after=1)  # the inventory write, then the lease is gone
    specs, desired = repository()
    report = run(cluster, specs, desired)
    assert isinstance(report.halted, LockLost) and not report.ok
    assert [method for method, _ in cluster.writes()] == ["write_inventory"]


def test_a_run_stopped_inside_a_wave_reports_what_it_wrote_and_what_it_did_not() -> None:
    cluster = FakeCluster(halt_after_applies=1)  # a SIGTERM while the first wave applies
    specs, desired = repository()
    report = run(cluster, specs, desired)
    assert isinstance(report.halted, Interrupted)
    assert sorted(o.result for o in report.outcomes) == [Result.CREATED, Result.HALTED]
    assert report.object_writes == 1


def test_the_counts_are_derived_from_the_outcomes() -> None:
    cluster = FakeCluster()
    specs, desired = repository()
    report = run(cluster, specs, desired)
    counts = report.counts()
    assert (counts.created, counts.updated, counts.failed) == (2, 0, 0)
    assert report.object_writes == 2


# -- model sources without a size: the check-size step (reference §4.3) -----------------


def test_an_unsized_model_is_measured_first_by_a_check_size_job_only() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    report = run(cluster, specs, desired)
    assert kinds(report, Result.CREATED) == ["Job"]
    assert [o.key for o in report.outcomes] == [size_check_job(desired)]
    assert len(report.waiting) == 1  # the InferenceService waits for the cache


def test_the_run_after_the_check_size_job_succeeded_creates_the_pvc_and_the_download() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    run(cluster, specs, desired)
    job = size_check_job(desired)
    cluster.objects[job]["status"] = job_status(ObjectState.READY)
    cluster.size_outputs[job] = SizeReading.measured(job, SIZE)
    report = run(cluster, specs, desired)
    assert kinds(report, Result.CREATED) == ["Job", "PersistentVolumeClaim"]
    pvc = cluster.objects[of_kind(report.desired, "PersistentVolumeClaim")]  # type: ignore[arg-type]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"  # ceil_Gi(size * 1.1)
    assert pvc["metadata"]["annotations"][MODEL_SIZE_ANNOTATION] == str(SIZE)
    assert report.changes.count(Action.UNCHANGED) == 1  # the check-size Job stays until then


def test_a_size_recorded_on_the_pvc_is_not_measured_again_and_the_check_job_is_pruned() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    run(cluster, specs, desired)
    job = size_check_job(desired)
    cluster.objects[job]["status"] = job_status(ObjectState.READY)
    cluster.size_outputs[job] = SizeReading.measured(job, SIZE)
    run(cluster, specs, desired)
    cluster.calls.clear()
    report = run(cluster, specs, desired, prune=True)
    assert ("read_size", str(job)) not in cluster.calls
    assert [o.key for o in report.outcomes if o.result is Result.DELETED] == [job]
    assert job not in report.desired.keys  # type: ignore[union-attr]


def test_wait_goes_from_the_size_check_to_the_inference_service_in_one_run() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    cluster.size_outputs[size_check_job(desired)] = SizeReading.measured(
        size_check_job(desired), SIZE
    )
    report = run(cluster, specs, desired, wait_seconds=60.0)
    assert kinds(report, Result.CREATED) == [
        "ConfigMap", "InferenceService", "Job", "Job", "PersistentVolumeClaim"
    ]
    assert [w.what for w in report.waits] == ["cache Job", "cache Job", "InferenceService"]
    assert report.waiting == () and report.ok


def test_an_unusable_size_output_is_a_failure_and_nothing_follows() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    run(cluster, specs, desired)
    job = size_check_job(desired)
    cluster.objects[job]["status"] = job_status(ObjectState.READY)
    cluster.size_outputs[job] = SizeReading.failed(job, "invalid size: 0 bytes")
    report = run(cluster, specs, desired)
    (failure,) = report.failures
    assert failure.cause is Cause.BAD_OUTPUT and failure.key == job
    assert kinds(report, Result.CREATED) == []


def test_prune_keeps_the_pvc_of_a_model_whose_size_is_being_measured() -> None:
    cluster = FakeCluster()
    specs, desired = unsized_repository()
    (check,) = desired.size_checks
    sized_specs, sized = repository()  # the same source, with a size: its PVC exists
    run(cluster, sized_specs, sized)
    assert check.pvc in cluster.objects
    report = run(cluster, specs, desired, prune=True)
    assert report.result_of(check.pvc) is None and check.pvc in cluster.objects


def test_a_wait_does_not_wait_for_a_job_whose_creation_failed() -> None:
    specs, desired = repository()
    job = of_kind(desired, "Job")
    cluster = FakeCluster(apply_refusals={job: refused(job, Cause.FORBIDDEN, "Forbidden")})
    report = run(cluster, specs, desired, wait_seconds=60.0)
    assert ("wait", "Job") not in cluster.calls and report.waits == ()
    assert [f.cause for f in report.failures] == [Cause.FORBIDDEN]  # not also a timeout


def test_a_wait_does_not_wait_for_an_inference_service_whose_creation_failed() -> None:
    specs, desired = repository()
    isvc = of_kind(desired, "InferenceService")
    cluster = FakeCluster(apply_refusals={isvc: refused(isvc, Cause.REFUSED, "Invalid")})
    report = run(cluster, specs, desired, wait_seconds=60.0)
    assert [w.what for w in report.waits] == ["cache Job"]
    assert [(f.key, f.cause) for f in report.failures] == [(isvc, Cause.REFUSED)]


def test_wait_progress_names_what_is_still_pending() -> None:
    cluster = FakeCluster(wait_states={"Job": ObjectState.PENDING})
    specs, desired = repository()
    progress: list[str] = []
    run(cluster, specs, desired, progress, wait_seconds=1.0)
    job = of_kind(desired, "Job")
    assert progress == [
        f"waiting for 1 cache Jobs: 0 ready, 0 failed, 1 pending: {NS}/{job.name} (0s left)"
    ]


def test_wait_progress_names_three_pending_objects_and_counts_the_rest() -> None:
    keys = [ObjectKey("batch/v1", "Job", NS, f"job-{i}") for i in range(5)]
    assert pending_names(keys) == f": {NS}/job-0, {NS}/job-1, {NS}/job-2 and 2 more"
    assert pending_names([]) == ""
