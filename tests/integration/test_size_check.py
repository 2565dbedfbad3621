"""Model sources without `size` against the real control plane: the check-size step
(reference §4.3; buildCheckSizeJob, FetchRemoteState and planCachePvc in
internal/v1alpha1/aimartifact/ at e837778).

The tests play the Job controller and the kubelet: they create the Job's pod on a Node whose
kubelet is a loopback server (tests/cluster/kubelet.py), set the pod Succeeded and the Job
complete, and give the container the log line the operator's /check-size.sh prints. aimsync
reads it through the API server (`pods/log`, `tailLines=1`), as the operator does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.cluster import ClusterAccess
from tests.cluster import request as kube_request
from tests.cluster.controllers import job_pod, job_succeeded_status, pod_succeeded_status
from tests.cluster.kubelet import FakeKubelet, kubelet_node
from tests.integration.test_sync import FACTS, items, names, repo, run, sync, sync_report

pytestmark = pytest.mark.integration
SIZE = 9_094_593_249  # storage.go's example at e837778: 10 % headroom -> 10Gi
OUTPUT = f'{{"url":"hf://Qwen/Qwen3-32B-FP8","sizeBytes":{SIZE}}}\n'


@pytest.fixture
def kubelet(control_plane: ClusterAccess, api_client: client.ApiClient) -> Iterator[FakeKubelet]:
    pki = control_plane.kubeconfig.parent / "pki"
    if not (pki / "apiserver.crt").is_file():
        pytest.skip("needs the local test control plane (its apiserver reaches a loopback "
                    "kubelet); AIMSYNC_TEST_KUBECONFIG points elsewhere")
    with kubelet_node(api_client, pki, f"node-{secrets.token_hex(4)}") as fake:
        yield fake


def unsized_repo(tmp_path: Path, namespace: str) -> Path:
    root = repo(tmp_path, namespace)
    profile = root / "cluster/profiles/qwen.yaml"
    profile.write_text(profile.read_text().replace("      size: 35Gi\n", ""))
    return root


def jobs(api: client.ApiClient, namespace: str) -> list[dict[str, Any]]:
    return items(api, namespace, "jobs", "batch/v1")


def component(job: dict[str, Any]) -> str:
    return str(job["metadata"]["labels"]["aim.eai.amd.com/component"])


def finish_check_size_job(
    api: client.ApiClient, kubelet: FakeKubelet, namespace: str, log: str = OUTPUT
) -> str:
    """Play the Job controller, the scheduler and the kubelet: the check-size Job ran one pod
    that printed `log` and succeeded."""
    (job,) = [j for j in jobs(api, namespace) if component(j) == "check-size"]
    name = job["metadata"]["name"]
    pod = f"{name}-x7k2p"
    node = kube_request(api, "GET", "/api/v1/nodes")["items"]
    (mine,) = [n for n in node if n["status"].get("daemonEndpoints", {}).get(
        "kubeletEndpoint", {}).get("Port") == kubelet.port]
    kube_request(api, "POST", f"/api/v1/namespaces/{namespace}/pods",
                 body=job_pod(job, mine["metadata"]["name"], pod))
    kube_request(api, "PATCH", f"/api/v1/namespaces/{namespace}/pods/{pod}/status",
                 body=pod_succeeded_status(), content_type="application/merge-patch+json")
    kube_request(api, "PATCH", f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status",
                 body=job_succeeded_status(), content_type="application/merge-patch+json")
    kubelet.set_log(namespace, pod, "check-size", log)
    return str(name)


def test_the_first_sync_creates_the_check_size_job_only(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    report = sync_report(control_plane, unsized_repo(tmp_path, namespace))
    assert report["exitCode"] == 0, report
    (job,) = jobs(api_client, namespace)
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert component(job) == "check-size"
    assert container["command"] == ["/check-size.sh"]
    assert container["args"] == ["hf://Qwen/Qwen3-32B-FP8"]
    assert names(api_client, namespace, "persistentvolumeclaims") == []
    (waiting,) = report["waiting"]
    assert waiting["service"] == f"{namespace}/chat"


def test_after_the_check_size_job_the_next_sync_creates_the_sized_pvc_and_the_download(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path,
    kubelet: FakeKubelet,
) -> None:
    root = unsized_repo(tmp_path, namespace)
    sync(control_plane, root)
    finish_check_size_job(api_client, kubelet, namespace)

    result = sync(control_plane, root)

    assert result.exit_code == 0, result.output
    (pvc,) = items(api_client, namespace, "persistentvolumeclaims")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"  # ceil_Gi(size * 1.1)
    assert pvc["metadata"]["annotations"]["aimsync.io/model-size-bytes"] == str(SIZE)
    assert sorted(component(j) for j in jobs(api_client, namespace)) == [
        "check-size", "download"
    ]
    (download,) = [j for j in jobs(api_client, namespace) if component(j) == "download"]
    env = {e["name"]: e.get("value")
           for e in download["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EXPECTED_SIZE_BYTES"] == str(SIZE)


def test_a_live_diff_after_the_check_size_job_shows_the_pvc_to_create(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path,
    kubelet: FakeKubelet,
) -> None:
    root = unsized_repo(tmp_path, namespace)
    sync(control_plane, root)
    finish_check_size_job(api_client, kubelet, namespace)
    result = run(control_plane, "diff", str(root), "--cluster-facts", FACTS)
    assert result.exit_code == 1, result.output
    assert "PersistentVolumeClaim" in result.stdout
    assert names(api_client, namespace, "persistentvolumeclaims") == []  # a diff writes nothing


def test_once_the_size_is_on_the_pvc_the_check_size_job_is_pruned_and_not_read_again(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path,
    kubelet: FakeKubelet,
) -> None:
    root = unsized_repo(tmp_path, namespace)
    sync(control_plane, root)
    pod_log = finish_check_size_job(api_client, kubelet, namespace)
    sync(control_plane, root)
    kubelet.set_log(namespace, f"{pod_log}-x7k2p", "check-size", "garbage\n")  # not read again

    report = sync_report(control_plane, root, "--prune")

    assert report["exitCode"] == 0, report
    assert [component(j) for j in jobs(api_client, namespace)] == ["download"]
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1


def test_an_output_that_is_not_a_size_fails_the_run_and_creates_no_pvc(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path,
    kubelet: FakeKubelet,
) -> None:
    root = unsized_repo(tmp_path, namespace)
    sync(control_plane, root)
    job = finish_check_size_job(
        api_client, kubelet, namespace, '{"url":"hf://Qwen/Qwen3-32B-FP8","sizeBytes":0}\n'
    )

    result = sync(control_plane, root)

    assert result.exit_code == 3, result.output
    assert job in result.output and "invalid size: 0 bytes" in result.output
    assert names(api_client, namespace, "persistentvolumeclaims") == []


def test_status_says_the_cache_is_at_its_check_size_step(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    root = unsized_repo(tmp_path, namespace)
    result = sync(control_plane, root, "--write-status")
    assert result.exit_code == 0, result.output
    (status_file,) = (root / "status").rglob("chat.yaml")
    status = yaml.safe_load(status_file.read_text())
    conditions = {c["type"]: c for c in status["status"]["conditions"]}
    assert conditions["ProfileCacheReady"]["reason"] == "CheckingSize"
