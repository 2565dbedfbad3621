"""Observe (DESIGN.md §5): the status of every spec, computed from the live objects.

The inputs are what a run has: a small repository rendered by the pipeline, the live objects
as the API would return them (the rendered manifests with a status), the status of the last
run and the time of this one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aimsync.core.facts import ClusterFacts
from aimsync.core.live import LiveObjects
from aimsync.core.objects import ObjectKey
from aimsync.core.sizing import MeasuredSize
from aimsync.load.status_tree import StatusKey
from aimsync.observe.observe import StatusReport, observe
from aimsync.pipeline import Derived, render_repository
from tests.support import CLUSTER_PROFILE, document, service, write_repo

NS = "team"
CHAT = "namespaces/team/services/chat.yaml"
QWEN = "cluster/profiles/qwen.yaml"
EARLIER = "2026-01-01T00:00:00Z"
NOW = "2026-02-01T00:00:00Z"

# Statuses of live objects, as the controllers write them.
RUNNING: dict[str, Any] = {}  # a Job that started and has not finished
SUCCEEDED = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
FAILED = {"failed": 3, "conditions": [{"type": "Failed", "status": "True"}]}
READY = {"conditions": [{"type": "Ready", "status": "True"}]}
NOT_READY = {"conditions": [{"type": "Ready", "status": "False"}]}


def derive(
    tmp_path: Path, files: dict[str, str | bytes], facts: ClusterFacts | None = None
) -> Derived:
    write_repo(tmp_path, files)
    return render_repository(tmp_path, facts=facts)


def chat_repo(tmp_path: Path, spec: str = "profile: {name: qwen}") -> Derived:
    """One cluster profile with a model source, one service in `team` that runs it."""
    return derive(tmp_path, {QWEN: CLUSTER_PROFILE, CHAT: service(spec)})


def pvc_uid(key: ObjectKey) -> str:
    return f"uid-of-{key.name}"


def live(derived: Derived, statuses: Mapping[str, Mapping[str, Any]]) -> LiveObjects:
    """The rendered objects of the kinds in `statuses` as live objects with that status
    (PVCs get a uid); objects of other kinds are not in the cluster."""
    members: dict[ObjectKey, dict[str, Any]] = {}
    for obj in derived.desired.objects:
        if obj.key.kind not in statuses:
            continue
        manifest: dict[str, Any] = copy.deepcopy(dict(obj.manifest))
        if obj.key.kind == "PersistentVolumeClaim":
            manifest["metadata"]["uid"] = pvc_uid(obj.key)
        if statuses[obj.key.kind]:
            manifest["status"] = copy.deepcopy(dict(statuses[obj.key.kind]))
        members[obj.key] = manifest
    return LiveObjects(members)


def downloading(derived: Derived) -> LiveObjects:
    return live(derived, {"ConfigMap": {}, "PersistentVolumeClaim": {}, "Job": RUNNING})


def downloaded(derived: Derived, **more: Mapping[str, Any]) -> LiveObjects:
    return live(
        derived, {"ConfigMap": {}, "PersistentVolumeClaim": {}, "Job": SUCCEEDED, **more}
    )


def reports_of(
    derived: Derived,
    cluster: LiveObjects,
    previous: Mapping[StatusKey, Mapping[str, Any]] | None = None,
    now: str = NOW,
) -> list[StatusReport]:
    return observe(
        derived.specs, derived.resolved, derived.desired, cluster, previous or {}, now
    )


def one(reports: list[StatusReport], kind: str, name: str) -> dict[str, Any]:
    found = [r for r in reports if r.kind == kind and r.name == name]
    assert len(found) == 1, [(r.kind, r.name) for r in reports]
    return found[0].status


def chat_status(derived: Derived, cluster: LiveObjects) -> dict[str, Any]:
    return one(reports_of(derived, cluster), "AIMService", "chat")


def conditions(status: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {c["type"]: c for c in status["conditions"]}


def as_previous(reports: list[StatusReport]) -> dict[StatusKey, Mapping[str, Any]]:
    """What the next run reads back from status/: each spec's status by (kind, ns, name)."""
    return {(r.kind, r.namespace, r.name): r.status for r in reports}


# -- services --------------------------------------------------------------------------------


def test_a_service_whose_download_runs_is_starting(tmp_path: Path) -> None:
    status = chat_status(derived := chat_repo(tmp_path), downloading(derived))
    found = conditions(status)
    assert status["status"] == "Starting"
    assert found["ProfileReady"]["status"] == "True"
    assert found["ProfileCacheReady"]["status"] == "Unknown"
    assert found["ProfileCacheReady"]["reason"] == "CacheNotReady"  # the Job exists
    assert found["Ready"]["status"] == "False"


def test_a_downloaded_service_waits_for_its_inference_service(tmp_path: Path) -> None:
    status = chat_status(derived := chat_repo(tmp_path), downloaded(derived))
    found = conditions(status)
    isvc = derived.desired.services[(NS, "chat")].inference_service.name
    assert status["status"] == "Starting"
    assert found["ProfileCacheReady"]["status"] == "True"
    assert found["InferenceServiceReady"]["status"] == "Unknown"
    assert found["InferenceServiceReady"]["message"] == (
        f"waiting for the model cache before creating InferenceService {isvc}"
    )
    assert status["runtime"]["replicas"] == "0/1"


def test_a_live_inference_service_that_is_not_ready_keeps_the_service_starting(
    tmp_path: Path,
) -> None:
    derived = chat_repo(tmp_path)
    status = chat_status(derived, downloaded(derived, InferenceService=NOT_READY))
    found = conditions(status)
    assert status["status"] == "Starting"
    assert found["InferenceServiceReady"]["status"] == "Unknown"
    assert found["InferenceServiceReady"]["message"].endswith("is not ready yet")
    assert status["runtime"]["currentReplicas"] == 0


def test_a_ready_inference_service_makes_the_service_running(tmp_path: Path) -> None:
    derived = chat_repo(tmp_path)
    status = chat_status(derived, downloaded(derived, InferenceService=READY))
    found = conditions(status)
    assert status["status"] == "Running"
    assert status["runtime"]["replicas"] == "1/1"
    assert {c["status"] for c in status["conditions"]} == {"True"}
    assert found["Ready"]["reason"] == "AllComponentsReady"


def test_the_replicas_of_a_running_service_follow_its_min_and_max_replicas(
    tmp_path: Path,
) -> None:
    derived = chat_repo(
        tmp_path,
        "profile: {name: qwen}\nminReplicas: 1\nmaxReplicas: 3\nautoScaling:\n  metrics:\n"
        "    - type: PodMetric\n      podmetric:\n"
        "        metric: {query: vllm:num_requests_running}\n"
        "        target: {type: Value, value: '1'}",
    )
    status = chat_status(derived, downloaded(derived, InferenceService=READY, ScaledObject={}))
    assert status["status"] == "Running"
    assert status["runtime"] == {
        "currentReplicas": 3, "desiredReplicas": 3, "minReplicas": 1, "maxReplicas": 3,
        "replicas": "3/3",
    }


def test_a_routed_service_is_starting_until_its_http_route_is_live(tmp_path: Path) -> None:
    routing = (
        "profile: {name: qwen}\n"
        "routing: {enabled: true, gatewayRef: {name: gw, namespace: gateways}}"
    )
    derived = chat_repo(tmp_path, routing)
    without = chat_status(derived, downloaded(derived, InferenceService=READY))
    with_route = chat_status(
        derived, downloaded(derived, InferenceService=READY, HTTPRoute={})
    )
    assert without["status"] == "Starting"
    assert conditions(without)["HTTPRouteReady"]["status"] == "Unknown"
    assert with_route["status"] == "Running"
    assert conditions(with_route)["HTTPRouteReady"]["status"] == "True"


def test_an_autoscaled_service_is_starting_until_its_scaled_object_is_live(
    tmp_path: Path,
) -> None:
    autoscaled = (
        "profile: {name: qwen}\nminReplicas: 1\nmaxReplicas: 3\nautoScaling:\n  metrics:\n"
        "    - type: PodMetric\n      podmetric:\n        metric: {backend: opentelemetry, "
        "query: 'vllm:num_requests_running'}\n        target: {type: Value, value: '1'}"
    )
    derived = chat_repo(tmp_path, autoscaled)
    without = chat_status(derived, downloaded(derived, InferenceService=READY))
    with_scaler = chat_status(
        derived, downloaded(derived, InferenceService=READY, ScaledObject={})
    )
    assert without["status"] == "Starting"
    assert conditions(without)["AutoscalingReady"]["reason"] == "ScaledObjectCreating"
    assert with_scaler["status"] == "Running"
    assert conditions(with_scaler)["AutoscalingReady"]["status"] == "True"


def test_a_failed_download_makes_the_service_failed(tmp_path: Path) -> None:
    derived = chat_repo(tmp_path)
    status = chat_status(
        derived, live(derived, {"ConfigMap": {}, "PersistentVolumeClaim": {}, "Job": FAILED})
    )
    found = conditions(status)
    assert status["status"] == "Failed"
    assert found["ProfileCacheReady"]["status"] == "False"
    assert found["ProfileCacheReady"]["reason"] == "CacheFailed"
    assert found["Ready"]["reason"] == "CacheFailed"


def test_a_service_whose_profile_no_node_can_run_is_pending(tmp_path: Path) -> None:
    # Known facts with no node at all: the profile is NotAvailable, the service unresolved.
    derived = derive(
        tmp_path, {QWEN: CLUSTER_PROFILE, CHAT: service("profile: {name: qwen}")},
        facts=ClusterFacts(()),
    )
    status = chat_status(derived, LiveObjects({}))
    found = conditions(status)
    assert status["status"] == "Pending"
    assert found["ProfileReady"]["status"] == "False"
    assert found["ProfileReady"]["reason"] == "ProfileNotReady"
    assert "resolvedProfile" not in status
    assert "cache" not in status


# -- caches ----------------------------------------------------------------------------------


WARM = "namespaces/team/caches/warm.yaml"


def warm_cache_repo(tmp_path: Path) -> Derived:
    cache = document("AIMProfileCache", "warm", "profileName: qwen\nprofileScope: Cluster")
    return derive(tmp_path, {QWEN: CLUSTER_PROFILE, WARM: cache})


def test_a_profile_cache_reports_its_artifacts_with_their_pvcs(tmp_path: Path) -> None:
    derived = warm_cache_repo(tmp_path)
    status = one(reports_of(derived, downloaded(derived)), "AIMProfileCache", "warm")
    (artifact,) = derived.desired.caches[(NS, "warm")].artifacts
    assert status["status"] == "Ready"
    assert status["artifacts"] == {
        artifact.name: {
            "name": artifact.name,
            "uid": pvc_uid(artifact.pvc),
            "model": "qwen/qwen3-32b-fp8",
            "status": "Ready",
            "step": "Download",
            "persistentVolumeClaim": artifact.pvc.name,
        }
    }
    assert conditions(status)["ArtifactsReady"]["status"] == "True"
    assert conditions(status)["Ready"]["status"] == "True"


def test_a_profile_cache_whose_download_runs_is_progressing(tmp_path: Path) -> None:
    derived = warm_cache_repo(tmp_path)
    status = one(reports_of(derived, downloading(derived)), "AIMProfileCache", "warm")
    (entry,) = status["artifacts"].values()
    assert status["status"] == "Progressing"
    assert entry["status"] == "Progressing"
    assert conditions(status)["Ready"]["status"] == "False"


# -- condition timing ------------------------------------------------------------------------


def test_a_condition_keeps_its_transition_time_while_its_status_holds(tmp_path: Path) -> None:
    derived = chat_repo(tmp_path)
    first = reports_of(derived, downloading(derived), now=EARLIER)
    again = reports_of(derived, downloading(derived), as_previous(first), now=NOW)
    times = {c["lastTransitionTime"] for r in again for c in r.status["conditions"]}
    assert times == {EARLIER}
    assert again == first


def test_a_condition_that_flips_gets_the_time_of_this_run(tmp_path: Path) -> None:
    derived = chat_repo(tmp_path)
    first = reports_of(derived, downloading(derived), now=EARLIER)
    later = reports_of(derived, downloaded(derived), as_previous(first), now=NOW)
    found = conditions(one(later, "AIMService", "chat"))
    assert found["ProfileCacheReady"]["status"] == "True"  # Unknown -> True
    assert found["ProfileCacheReady"]["lastTransitionTime"] == NOW
    assert found["ProfileReady"]["lastTransitionTime"] == EARLIER  # True all along
    assert found["Ready"]["lastTransitionTime"] == EARLIER  # False all along (waits)


# -- ownership and determinism ---------------------------------------------------------------


def split_repo(tmp_path: Path) -> Derived:
    """An instance that owns `team` only, in a repository that also has `other`."""
    profile_body = CLUSTER_PROFILE.split("spec:\n", 1)[1]
    return derive(tmp_path, {
        "aimsync.yaml": "namespaces: [team]\n",
        QWEN: CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}"),
        "namespaces/other/services/chat.yaml": service("profile: {name: qwen}"),
        "namespaces/other/profiles/local.yaml": document("AIMProfile", "local", profile_body),
    })


UNSIZED_PROFILE = CLUSTER_PROFILE.replace("      size: 35Gi\n", "")


def unsized_cache_repo(tmp_path: Path) -> Derived:
    cache = document("AIMProfileCache", "warm", "profileName: qwen\nprofileScope: Cluster")
    return derive(tmp_path, {QWEN: UNSIZED_PROFILE, WARM: cache})


def test_a_cache_whose_model_size_is_being_measured_is_at_the_check_size_step(
    tmp_path: Path,
) -> None:
    derived = unsized_cache_repo(tmp_path)
    status = one(reports_of(derived, live(derived, {"Job": RUNNING})), "AIMProfileCache", "warm")
    (entry,) = status["artifacts"].values()
    (artifact,) = derived.desired.caches[(NS, "warm")].artifacts
    assert entry["step"] == "CheckSize" and entry["status"] == "Progressing"
    assert entry["checkSizeJob"] == artifact.size_check.name  # type: ignore[union-attr]
    assert conditions(status)["ArtifactsReady"]["reason"] == "CheckingSize"


def test_a_failed_check_size_job_makes_the_cache_failed(tmp_path: Path) -> None:
    derived = unsized_cache_repo(tmp_path)
    status = one(reports_of(derived, live(derived, {"Job": FAILED})), "AIMProfileCache", "warm")
    assert status["status"] == "Failed"
    assert conditions(status)["ArtifactsReady"]["reason"] == "SizeCheckFailed"


def test_a_measured_cache_reports_the_size_recorded_on_its_pvc(tmp_path: Path) -> None:
    derived = unsized_cache_repo(tmp_path)
    (check,) = derived.desired.size_checks
    measured = derived.resized({check.artifact: MeasuredSize(9_094_593_249, recorded=True)})
    cluster = LiveObjects({
        o.key: {**copy.deepcopy(dict(o.manifest)), "status": SUCCEEDED}
        for o in measured.objects
    })
    reports = observe(derived.specs, derived.resolved, measured, cluster, {}, NOW)
    (entry,) = one(reports, "AIMProfileCache", "warm")["artifacts"].values()
    assert entry["step"] == "Download" and entry["status"] == "Ready"
    assert entry["discoveredSizeBytes"] == 9_094_593_249


def test_services_in_namespaces_the_instance_does_not_own_get_no_report(
    tmp_path: Path,
) -> None:
    reports = reports_of(derived := split_repo(tmp_path), downloading(derived))
    services = [(r.namespace, r.name, r.file) for r in reports if r.kind == "AIMService"]
    assert services == [(NS, "chat", CHAT)]


def test_profiles_in_namespaces_the_instance_does_not_own_get_no_report(
    tmp_path: Path,
) -> None:
    reports = reports_of(derived := split_repo(tmp_path), downloading(derived))
    assert [(r.kind, r.namespace) for r in reports if r.namespace == "other"] == []


def test_the_same_inputs_give_equal_reports(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        QWEN: CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}") + "---\n" + service(
            "profile: {name: qwen}\ncaching: {mode: Dedicated}", name="batch"
        ),
        WARM: document("AIMProfileCache", "warm", "profileName: qwen\nprofileScope: Cluster"),
    }
    first_derived = derive(tmp_path / "a", files)
    second_derived = derive(tmp_path / "b", files)
    cluster = downloaded(first_derived, InferenceService=READY)
    reversed_cluster = LiveObjects(dict(reversed(list(cluster.members.items()))))
    first = reports_of(first_derived, cluster)
    second = reports_of(second_derived, reversed_cluster)
    assert first == second
    assert [(r.kind, r.name) for r in first] == [
        ("AIMClusterProfile", "qwen"), ("AIMProfileCache", "warm"),
        ("AIMService", "batch"), ("AIMService", "chat"),
    ]
