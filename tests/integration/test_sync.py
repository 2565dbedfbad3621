"""`aimsync sync` and `aimsync diff` against the real control plane.

No kube-controller-manager runs, so the tests play the controllers: they mark download Jobs
succeeded and InferenceServices Ready by patching status, as the Job and KServe controllers
would. Each test gets its own namespace, lock and inventory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from kubernetes import client

from aimsync.cli import cli
from aimsync.core.naming import profile_configmap_name
from tests.cluster import ClusterAccess, KubeApiError
from tests.cluster import request as kube_request
from tests.cluster.controllers import job_succeeded_status
from tests.support import CLUSTER_PROFILE, service, write_repo

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FACTS = str(ROOT / "tests/fixtures/nodes.yaml")
PROFILE = CLUSTER_PROFILE.replace("name: qwen\n", "name: qwen-{ns}\n")


def settings(namespace: str) -> str:
    return textwrap.dedent(
        f"""\
        namespaces: [{namespace}]
        lock: {{namespace: {namespace}, name: aimsync-lock}}
        inventory: {{namespace: {namespace}, name: aimsync-inventory}}
        """
    )


def repo(tmp_path: Path, namespace: str, services: dict[str, str] | None = None) -> Path:
    """A repository with one cluster profile (unique per test) and services in `namespace`."""
    files: dict[str, str | bytes] = {
        "aimsync.yaml": settings(namespace),
        "cluster/profiles/qwen.yaml": PROFILE.format(ns=namespace),
    }
    for name, spec in (services or {"chat": f"profile: {{name: qwen-{namespace}}}"}).items():
        files[f"namespaces/{namespace}/services/{name}.yaml"] = service(spec, name=name)
    root = tmp_path / "repo"
    write_repo(root, files)
    return root


def run(access: ClusterAccess, *args: str) -> Result:
    return CliRunner().invoke(
        cli, [*args, "--kubeconfig", str(access.kubeconfig)], catch_exceptions=False
    )


def sync(access: ClusterAccess, root: Path, *extra: str) -> Result:
    return run(access, "sync", str(root), "--cluster-facts", FACTS, *extra)


def sync_report(access: ClusterAccess, root: Path, *extra: str) -> dict[str, Any]:
    """`sync -o json`: the run's report as data (exit code under "exitCode")."""
    result = sync(access, root, "-o", "json", *extra)
    assert result.stdout, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    report["exitCode"] = result.exit_code
    return report


def change_of(report: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [c for c in report["changes"] if c["kind"] == kind]
    return found


def items(api: client.ApiClient, namespace: str, plural: str, group: str = "") -> list[Any]:
    base = f"/apis/{group}" if group else "/api/v1"
    return kube_request(api, "GET", f"{base}/namespaces/{namespace}/{plural}")["items"]


def names(api: client.ApiClient, namespace: str, plural: str, group: str = "") -> list[str]:
    return sorted(o["metadata"]["name"] for o in items(api, namespace, plural, group))


def isvcs(api: client.ApiClient, namespace: str) -> list[str]:
    return names(api, namespace, "inferenceservices", "serving.kserve.io/v1beta1")


def succeed_jobs(api: client.ApiClient, namespace: str) -> None:
    """Play the Job controller: every download Job of the namespace succeeded."""
    status = job_succeeded_status()
    for name in names(api, namespace, "jobs", "batch/v1"):
        kube_request(
            api, "PATCH", f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status",
            body=status, content_type="application/merge-patch+json",
        )


def deployed(
    access: ClusterAccess, api: client.ApiClient, namespace: str, root: Path
) -> tuple[str, str]:
    """Sync, let the downloads succeed, sync again: the InferenceService's name and path."""
    sync(access, root)
    succeed_jobs(api, namespace)
    sync(access, root)
    (name,) = isvcs(api, namespace)
    return name, (
        f"/apis/serving.kserve.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}"
    )


def test_first_sync_creates_caches_and_waits_for_them(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    report = sync_report(control_plane, repo(tmp_path, namespace))
    assert report["exitCode"] == 0, report
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1
    assert isvcs(api_client, namespace) == []
    (waiting,) = report["waiting"]
    assert waiting["service"] == f"{namespace}/chat" and len(waiting["jobs"]) == 1


def test_the_sync_table_lists_the_changes_and_what_waits(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    result = sync(control_plane, repo(tmp_path, namespace))
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "KIND", "OP", "RESULT", "WAIT", "TO", "REASON"]
    assert sorted(row.split()[2:5] for row in rows) == [
        ["Job", "create", "created"], ["PersistentVolumeClaim", "create", "created"]
    ]
    assert f"Waiting: AIMService {namespace}/chat: InferenceService" in result.stdout


def test_inference_service_follows_the_succeeded_download(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    assert sync(control_plane, root).exit_code == 0
    succeed_jobs(api_client, namespace)
    report = sync_report(control_plane, root)
    assert report["exitCode"] == 0, report
    assert len(isvcs(api_client, namespace)) == 1
    # No kube-controller-manager runs here, so no kube-root-ca.crt: exactly aimsync's own.
    assert names(api_client, namespace, "configmaps") == sorted(
        ["aimsync-inventory", profile_configmap_name("chat")]
    )
    assert report["waiting"] == []


def test_second_sync_writes_nothing(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)
    succeed_jobs(api_client, namespace)
    sync(control_plane, root)
    again = sync_report(control_plane, root)
    assert again["exitCode"] == 0, again
    assert again["objectsWritten"] == 0
    assert again["requests"]["dryRuns"] == 0  # proven unchanged from managedFields alone
    assert again["requests"]["writes"] == 2  # only the lock: taking and releasing the Lease


def test_drift_is_shown_by_diff_and_repaired_by_sync(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    _, path = deployed(control_plane, api_client, namespace, root)
    kube_request(  # what `kubectl edit` does: an Update by another field manager
        api_client, "PATCH", path,
        query=[("fieldManager", "kubectl-edit")],
        body=[{"op": "replace", "path": "/spec/predictor/containers/0/image", "value": "evil:1"}],
        content_type="application/json-patch+json",
    )
    diff = run(control_plane, "diff", str(root), "--cluster-facts", FACTS, "-o", "unified")
    assert diff.exit_code == 1
    assert "-      image: evil:1\n" in diff.stdout
    assert "+      image: docker.io/amdenterpriseai/aim-qwen-qwen3-32b:0.8.5\n" in diff.stdout
    repaired = sync_report(control_plane, root)
    assert repaired["exitCode"] == 0, repaired
    isvc = change_of(repaired, "InferenceService")
    assert isvc["reason"] == "drift: taking back fields edited by kubectl-edit"
    assert isvc["result"] == "configured"
    live = kube_request(api_client, "GET", path)
    assert live["spec"]["predictor"]["containers"][0]["image"].endswith(":0.8.5")
    assert run(control_plane, "diff", str(root), "--cluster-facts", FACTS).exit_code == 0


def test_conflict_with_another_applier_is_reported_not_forced(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    name, path = deployed(control_plane, api_client, namespace, root)
    other = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"predictor": {"minReplicas": 7}},
    }
    kube_request(  # another tool applies (and forces) its own value
        api_client, "PATCH", path, query=[("fieldManager", "other-gitops"), ("force", "true")],
        body=other, content_type="application/apply-patch+yaml",
    )
    result = sync_report(control_plane, root)
    assert result["exitCode"] == 3
    (failure,) = result["failures"]
    assert failure["cause"] == "conflict"
    assert "spec.predictor.minReplicas owned by 'other-gitops' (Apply)" in failure["message"]
    assert "not forced" in failure["message"]
    assert kube_request(api_client, "GET", path)["spec"]["predictor"]["minReplicas"] == 7
    forced = sync(control_plane, root, "--force-conflicts")
    assert forced.exit_code == 0, forced.output
    assert kube_request(api_client, "GET", path)["spec"]["predictor"]["minReplicas"] == 1


def test_prune_removes_a_service_but_keeps_its_shared_cache(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    spec = f"profile: {{name: qwen-{namespace}}}"
    root = repo(tmp_path, namespace, {"chat": spec, "batch": spec})
    sync(control_plane, root)
    succeed_jobs(api_client, namespace)
    sync(control_plane, root)
    assert len(isvcs(api_client, namespace)) == 2
    (root / f"namespaces/{namespace}/services/chat.yaml").unlink()
    (root / f"namespaces/{namespace}/services/batch.yaml").unlink()
    not_pruned = sync_report(control_plane, root)
    assert len(isvcs(api_client, namespace)) == 2  # without --prune nothing is deleted
    assert {c["reason"] for c in not_pruned["changes"]} == {
        "left the repository; --prune deletes it"
    }
    result = sync_report(control_plane, root, "--prune", "--allow-empty")
    assert result["exitCode"] == 0, result
    assert isvcs(api_client, namespace) == []
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1
    pvc = change_of(result, "PersistentVolumeClaim")
    assert (pvc["op"], pvc["reason"]) == (
        "skip", "Shared model cache kept; --prune-shared-caches deletes it"
    )


def test_empty_render_refuses_to_prune(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)
    (root / f"namespaces/{namespace}/services/chat.yaml").unlink()
    result = sync_report(control_plane, root, "--prune")
    assert {(c["op"], c["reason"]) for c in result["changes"]} == {
        ("skip", "the render is empty; refusing to prune everything without --allow-empty")
    }
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1


def test_lock_held_by_another_run_exits_4(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    moment = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kube_request(
        api_client, "POST", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases",
        body={
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "aimsync-lock", "namespace": namespace},
            "spec": {"holderIdentity": "cron-pod/42", "leaseDurationSeconds": 600,
                     "acquireTime": moment, "renewTime": moment},
        },
    )
    result = sync(control_plane, repo(tmp_path, namespace))
    assert result.exit_code == 4
    assert "another aimsync run holds the lock: cron-pod/42 since" in result.stderr
    assert names(api_client, namespace, "jobs", "batch/v1") == []


def test_a_run_killed_half_way_is_completed_by_the_next(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    """A run died after widening the inventory and applying the first stage, holding the
    lock: the next run takes the expired lock over and finishes; nothing is left behind."""
    root = repo(tmp_path, namespace)
    plan = CliRunner().invoke(
        cli, ["render", str(root), "-o", "json", "--cluster-facts", FACTS],
        catch_exceptions=False,
    )
    first_stage = [
        o for o in json.loads(plan.stdout)["items"] if o["kind"] == "PersistentVolumeClaim"
    ]
    complete = sync(control_plane, root)  # a complete run, to learn the inventory id
    assert complete.exit_code == 0
    for plural, group in (("jobs", "batch/v1"), ("persistentvolumeclaims", "")):
        base = f"/apis/{group}" if group else "/api/v1"
        for name in names(api_client, namespace, plural, group):
            kube_request(api_client, "DELETE", f"{base}/namespaces/{namespace}/{plural}/{name}")
    # Now replay a dead run: stage one applied, an expired lease left behind.
    for obj in first_stage:
        obj["metadata"].setdefault("labels", {})
        inventory = kube_request(
            api_client, "GET", f"/api/v1/namespaces/{namespace}/configmaps/aimsync-inventory"
        )
        obj["metadata"]["labels"]["applyset.kubernetes.io/part-of"] = (
            inventory["metadata"]["labels"]["applyset.kubernetes.io/id"]
        )
        kube_request(
            api_client, "PATCH",
            f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{obj['metadata']['name']}",
            query=[("fieldManager", "aimsync")], body=obj,
            content_type="application/apply-patch+yaml",
        )
    stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kube_request(
        api_client, "POST", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases",
        body={
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "aimsync-lock", "namespace": namespace},
            "spec": {"holderIdentity": "dead-run", "leaseDurationSeconds": 60,
                     "acquireTime": stale, "renewTime": stale},
        },
    )
    result = sync(control_plane, root)
    assert result.exit_code == 0, result.output
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1
    with pytest.raises(KubeApiError) as gone:  # the lock is released, not leaked
        kube_request(
            api_client, "GET",
            f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/aimsync-lock",
        )
    assert gone.value.status == 404
    assert sync_report(control_plane, root)["objectsWritten"] == 0


def test_invalid_repository_exits_2_and_touches_nothing(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace, {"chat": f"profile: {{name: qwen-{namespace}}}\nreplicas: x"})
    result = sync(control_plane, root)
    assert result.exit_code == 2
    assert "spec.replicas" in result.stderr
    assert names(api_client, namespace, "persistentvolumeclaims") == []
    assert "aimsync-inventory" not in names(api_client, namespace, "configmaps")


def test_unreachable_cluster_exits_3(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Config
        clusters:
        - {name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}
        users: [{name: u, user: {token: t}}]
        contexts: [{name: x, context: {cluster: c, user: u}}]
        current-context: x
        """))
    root = repo(tmp_path, "nowhere")
    result = CliRunner().invoke(
        cli, ["sync", str(root), "--kubeconfig", str(kubeconfig), "--cluster-facts", FACTS],
        catch_exceptions=False,
    )
    assert result.exit_code == 3
    assert "cannot reach the API server" in result.stderr
    assert "Traceback" not in result.output


def test_diff_exit_codes(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    changes = run(control_plane, "diff", str(root), "--cluster-facts", FACTS, "-o", "json")
    assert changes.exit_code == 1
    planned = json.loads(changes.stdout)["changes"]
    assert sorted((c["kind"], c["action"]) for c in planned) == [
        ("Job", "create"), ("PersistentVolumeClaim", "create")
    ]
    assert names(api_client, namespace, "jobs", "batch/v1") == []  # diff writes nothing
    sync(control_plane, root)
    assert run(control_plane, "diff", str(root), "--cluster-facts", FACTS).exit_code == 0


def mark_inference_services_ready(api: client.ApiClient, namespace: str) -> None:
    """Play the KServe controller: every InferenceService of the namespace is Ready."""
    set_inference_service_status(
        api, namespace, {"conditions": [{"type": "Ready", "status": "True"}]}
    )


def set_inference_service_status(
    api: client.ApiClient, namespace: str, status: dict[str, Any]
) -> None:
    for name in isvcs(api, namespace):
        kube_request(
            api, "PATCH",
            f"/apis/serving.kserve.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}"
            "/status",
            body={"status": status},
            content_type="application/merge-patch+json",
        )


def test_wait_never_takes_ready_for_an_older_generation_as_ready(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    _, path = deployed(control_plane, api_client, namespace, root)
    generation = kube_request(api_client, "GET", path)["metadata"]["generation"]
    set_inference_service_status(api_client, namespace, {
        "observedGeneration": generation - 1,
        "conditions": [{"type": "Ready", "status": "True"}],
    })
    result = sync_report(control_plane, root, "--wait=3s")
    assert result["exitCode"] == 3
    (failure,) = result["failures"]
    assert failure["object"].startswith("InferenceService") and failure["cause"] == "timeout"


def test_wait_ends_at_once_on_an_inference_service_whose_model_failed_to_load(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    import time

    root = repo(tmp_path, namespace)
    _, path = deployed(control_plane, api_client, namespace, root)
    set_inference_service_status(api_client, namespace, {
        "observedGeneration": kube_request(api_client, "GET", path)["metadata"]["generation"],
        "conditions": [{"type": "Ready", "status": "False"}],
        "modelStatus": {"transitionStatus": "BlockedByFailedLoad"},
    })
    started = time.monotonic()
    result = sync_report(control_plane, root, "--wait=60s")
    assert time.monotonic() - started < 20  # not the 60 s of the wait
    assert result["exitCode"] == 3
    (failure,) = result["failures"]
    assert failure["object"].startswith("InferenceService")
    assert failure["cause"] == "object-failed"


def test_wait_creates_the_gated_service_and_waits_until_ready(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    import threading
    import time

    root = repo(tmp_path, namespace)
    results: list[Result] = []
    runner = threading.Thread(
        target=lambda: results.append(sync(control_plane, root, "--wait=60s", "-o", "json"))
    )
    runner.start()
    deadline = time.monotonic() + 50
    while not names(api_client, namespace, "jobs", "batch/v1"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    succeed_jobs(api_client, namespace)
    while not isvcs(api_client, namespace):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    mark_inference_services_ready(api_client, namespace)
    runner.join(timeout=60)
    (result,) = results
    assert result.exit_code == 0, result.output
    assert "waiting for 1 cache Jobs" in result.stderr
    report = json.loads(result.stdout)
    assert change_of(report, "InferenceService")["result"] == "created"
    assert report["waiting"] == [] and report["failures"] == []


def test_wait_times_out_with_exit_3(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    result = sync_report(control_plane, repo(tmp_path, namespace), "--wait=3s")
    assert result["exitCode"] == 3
    (failure,) = result["failures"]
    assert (failure["cause"], failure["message"]) == (
        "timeout", "timeout waiting for the cache Job"
    )


def test_a_finished_download_job_whose_spec_changed_is_recreated(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)
    succeed_jobs(api_client, namespace)
    (job,) = items(api_client, namespace, "jobs", "batch/v1")
    settings_file = root / "aimsync.yaml"
    settings_file.write_text(
        settings_file.read_text() + "downloaderImage: registry.example.com/downloader:2\n"
    )
    result = sync_report(control_plane, root)
    assert result["exitCode"] == 0, result
    assert change_of(result, "Job")["result"] == "recreated"
    (new_job,) = items(api_client, namespace, "jobs", "batch/v1")
    assert new_job["metadata"]["uid"] != job["metadata"]["uid"]
    container = new_job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/downloader:2"


def test_a_refused_pvc_change_is_reported_and_the_volume_kept(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)
    (pvc,) = items(api_client, namespace, "persistentvolumeclaims")
    profile = root / "cluster/profiles/qwen.yaml"
    profile.write_text(profile.read_text().replace("size: 35Gi", "size: 5Gi"))  # a shrink
    result = sync_report(control_plane, root)
    assert result["exitCode"] == 3
    (failure,) = result["failures"]
    assert failure["cause"] == "immutable"
    assert "Kubernetes refuses this PVC change" in failure["message"]
    assert "never deleted" in failure["message"]
    (still,) = items(api_client, namespace, "persistentvolumeclaims")
    assert still["metadata"]["uid"] == pvc["metadata"]["uid"]
    assert still["spec"]["resources"]["requests"]["storage"] == "39Gi"


def test_live_diff_markdown_has_the_aim_summary(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)
    succeed_jobs(api_client, namespace)  # the InferenceService is now due
    result = run(control_plane, "diff", str(root), "--cluster-facts", FACTS, "-o", "markdown")
    assert result.exit_code == 1, result.output
    assert f"| + | `{namespace}/chat` |" in result.stdout  # the service, added
    assert f"| `{namespace}` | MI300X | 0 | 1 |" in result.stdout  # its GPU demand
    assert "<details><summary><code>create</code> InferenceService" in result.stdout


def test_sync_json_report(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    result = sync(control_plane, repo(tmp_path, namespace), "-o", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["result"] == "Succeeded"
    assert {c["kind"] for c in report["changes"]} == {"PersistentVolumeClaim", "Job"}
    assert all(c["result"] == "created" for c in report["changes"])
    assert report["waiting"][0]["service"] == f"{namespace}/chat"
    assert report["requests"]["writes"] >= 2


def test_a_running_download_job_whose_spec_changed_is_left_to_finish(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    sync(control_plane, root)  # the download Job runs (no controller finishes it here)
    (job,) = items(api_client, namespace, "jobs", "batch/v1")
    settings_file = root / "aimsync.yaml"
    settings_file.write_text(
        settings_file.read_text() + "downloaderImage: registry.example.com/downloader:2\n"
    )
    result = sync_report(control_plane, root)
    assert result["exitCode"] == 0, result
    assert change_of(result, "Job")["result"] == "deferred"
    assert result["deferred"] and "recreated by a run after it finishes" in result["deferred"][0]
    (still,) = items(api_client, namespace, "jobs", "batch/v1")
    assert still["metadata"]["uid"] == job["metadata"]["uid"]


def test_create_namespaces_creates_the_missing_namespaces_of_the_repository(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    missing = f"{namespace}-new"[:40]
    root = repo(tmp_path, namespace)
    write_repo(root, {f"namespaces/{missing}/services/other.yaml": service(
        f"profile: {{name: qwen-{namespace}}}", name="other")})
    (root / "aimsync.yaml").write_text(settings(namespace).replace(
        f"namespaces: [{namespace}]", f"namespaces: [{namespace}, {missing}]"))
    try:
        refused = sync(control_plane, root)
        assert refused.exit_code == 3 and "not found" in refused.output
        result = sync(control_plane, root, "--create-namespaces")
        assert result.exit_code == 0, result.output
        created = kube_request(api_client, "GET", f"/api/v1/namespaces/{missing}")
        assert created["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "aimsync"
        assert len(names(api_client, missing, "jobs", "batch/v1")) == 1
    finally:
        with contextlib.suppress(KubeApiError):
            kube_request(api_client, "DELETE", f"/api/v1/namespaces/{missing}")


def test_a_change_of_objects_only_aimsync_manages_is_applied_without_a_dry_run(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    _, path = deployed(control_plane, api_client, namespace, root)
    repo(tmp_path, namespace, {"chat": f"profile: {{name: qwen-{namespace}}}\nreplicas: 2"})
    planned = run(control_plane, "diff", str(root), "--cluster-facts", FACTS, "-o", "json")
    assert planned.exit_code == 1, planned.output
    report = sync_report(control_plane, root)
    assert report["exitCode"] == 0, report
    assert report["requests"]["dryRuns"] == 0 and report["objectsWritten"] == 1
    isvc = change_of(report, "InferenceService")
    assert (isvc["op"], isvc["result"], isvc["reason"]) == ("update", "configured",
                                                           "fields changed")
    (diffed,) = [c for c in json.loads(planned.stdout)["changes"] if c["action"] == "update"]
    assert (diffed["kind"], diffed["reason"]) == ("InferenceService", "fields changed")
    assert kube_request(api_client, "GET", path)["spec"]["predictor"]["minReplicas"] == 2


def two_namespace_repo(
    api: client.ApiClient, namespace: str, tmp_path: Path
) -> tuple[Path, str]:
    """Services `chat` in `namespace` and in a second namespace, both owned."""
    other = f"other-{namespace[-12:].strip('-')}"  # short: the name length rule
    kube_request(api, "POST", "/api/v1/namespaces", body={
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    spec = f"profile: {{name: qwen-{namespace}}}"
    files: dict[str, str | bytes] = {
        "aimsync.yaml": settings(namespace).replace(
            f"namespaces: [{namespace}]", f"namespaces: [{namespace}, {other}]"),
        "cluster/profiles/qwen.yaml": PROFILE.format(ns=namespace),
        f"namespaces/{namespace}/services/chat.yaml": service(spec),
        f"namespaces/{other}/services/chat.yaml": service(spec),
    }
    return write_repo(tmp_path / "repo", files), other


def test_sync_with_a_namespace_acts_on_that_namespace_only(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root, other = two_namespace_repo(api_client, namespace, tmp_path)
    result = sync_report(control_plane, root, "-n", namespace)
    assert result["exitCode"] == 0, [f["message"] for f in result.get("findings", [])]
    assert {c["namespace"] for c in result["changes"]} == {namespace}
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1
    assert names(api_client, other, "jobs", "batch/v1") == []


def test_prune_with_a_namespace_leaves_the_other_namespaces_and_their_inventory(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root, other = two_namespace_repo(api_client, namespace, tmp_path)
    assert sync(control_plane, root).exit_code == 0
    for ns in (namespace, other):
        (root / f"namespaces/{ns}/services/chat.yaml").unlink()
    pruned = sync_report(control_plane, root, "-n", namespace, "--prune", "--allow-empty")
    assert pruned["exitCode"] == 0, pruned
    assert names(api_client, namespace, "jobs", "batch/v1") == []
    assert len(names(api_client, other, "jobs", "batch/v1")) == 1  # not acted on
    # The inventory still reaches the other namespace: a full run prunes there too.
    assert sync(control_plane, root, "--prune", "--allow-empty").exit_code == 0
    assert names(api_client, other, "jobs", "batch/v1") == []


def test_sync_refuses_a_namespace_this_instance_does_not_own(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    result = sync(control_plane, repo(tmp_path, namespace), "-n", "kube-system")
    assert result.exit_code == 2
    assert "-n kube-system: not a namespace this instance owns" in result.output
