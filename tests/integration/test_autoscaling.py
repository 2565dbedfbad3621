"""KEDA autoscaling against the real control plane: the InferenceService and the ScaledObject
aimsync renders pass strict server-side validation with the real KServe and KEDA CRDs, `sync`
creates, keeps and prunes the ScaledObject, and scale-to-zero without routing is refused
before anything is applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from kubernetes import client

from aimsync.cli import cli
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import NotFound
from aimsync.pipeline import facts_from_file, render_repository
from tests.cluster import ClusterAccess
from tests.cluster import request as kube_request
from tests.integration.test_sync import FACTS, names, repo, succeed_jobs, sync, sync_report
from tests.support import service

pytestmark = pytest.mark.integration

KEDA = "keda.sh/v1alpha1"
PLURALS = {"InferenceService": "inferenceservices", "ScaledObject": "scaledobjects"}

METRIC = """\
autoScaling:
  metrics:
    - type: PodMetric
      podmetric:
        metric:
          metricNames: ["vllm:num_requests_running"]
          query: "vllm:num_requests_running"
          operationOverTime: avg
        target: {type: Value, value: "1"}
"""
ROUTING = """\
routing:
  enabled: true
  gatewayRef: {name: gw, namespace: gateways}
"""


def scale_to_zero(namespace: str, extra: str = METRIC) -> str:
    """A service that scales between 0 and 4 replicas behind the gateway."""
    return f"profile: {{name: qwen-{namespace}}}\nminReplicas: 0\nmaxReplicas: 4\n{ROUTING}{extra}"


def contains(stored: object, wanted: object) -> bool:
    """Whether the API server kept every field of `wanted` as it was (it may add defaults)."""
    if isinstance(wanted, dict):
        return isinstance(stored, dict) and all(
            k in stored and contains(stored[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(stored, list) and len(stored) == len(wanted)
            and all(contains(a, b) for a, b in zip(stored, wanted, strict=True))
        )
    return stored == wanted


def scaled_objects(api: client.ApiClient, namespace: str) -> list[str]:
    return names(api, namespace, "scaledobjects", KEDA)


def test_rendered_objects_pass_strict_server_side_dry_run(
    api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace, {"chat": scale_to_zero(namespace)})
    objects = render_repository(root, facts=facts_from_file(Path(FACTS))).desired.objects
    checked = [o for o in objects if o.key.kind in PLURALS]
    assert sorted(o.key.kind for o in checked) == ["InferenceService", "ScaledObject"]
    for obj in checked:
        base = f"/apis/{obj.key.api_version}/namespaces/{namespace}/{PLURALS[obj.key.kind]}"
        stored = kube_request(
            api_client, "PATCH", f"{base}/{obj.key.name}",
            query=[("fieldManager", "aimsync"), ("dryRun", "All"),
                   ("fieldValidation", "Strict")],
            body=obj.manifest, content_type="application/apply-patch+yaml",
        )
        assert contains(stored["spec"], obj.manifest["spec"])  # nothing dropped or changed
    (scaled,) = [o for o in checked if o.key.kind == "ScaledObject"]
    triggers = scaled.manifest["spec"]["triggers"]  # type: ignore[index]
    assert [t["metadata"]["metricQuery"].split("{")[0] for t in triggers] == [
        "sum(envoy_cluster_external_upstream_rq_completed", "sum(vllm:num_requests_running"
    ]


def test_sync_creates_keeps_and_prunes_the_scaled_object(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    # A second service wakes from zero on the gateway trigger alone: its InferenceService
    # carries `autoScaling: {}` (no metrics), which must round-trip as unchanged too.
    timings = "autoScaling: {pollingInterval: 10}\n"
    services = {"chat": scale_to_zero(namespace), "idle": scale_to_zero(namespace, timings)}
    root = repo(tmp_path, namespace, services)
    first = sync_report(control_plane, root)
    assert first["exitCode"] == 0, first
    assert scaled_objects(api_client, namespace) == []  # held back with the InferenceServices
    succeed_jobs(api_client, namespace)
    created = sync_report(control_plane, root)
    assert created["exitCode"] == 0, created
    assert len(scaled_objects(api_client, namespace)) == 2
    changes = [(c["kind"], c["result"]) for c in created["changes"] if c["kind"] == "ScaledObject"]
    assert changes == [("ScaledObject", "created")] * 2

    (chat,) = [n for n in scaled_objects(api_client, namespace) if n.startswith("chat-")]
    live = kube_request(
        api_client, "GET", f"/apis/{KEDA}/namespaces/{namespace}/scaledobjects/{chat}"
    )
    assert live["metadata"]["labels"]["app.kubernetes.io/component"] == "autoscaling"
    assert live["spec"]["scaleTargetRef"] == {"name": chat}
    assert (live["spec"]["minReplicaCount"], live["spec"]["pollingInterval"]) == (0, 5)

    again = sync_report(control_plane, root)
    assert again["exitCode"] == 0, again
    assert again["objectsWritten"] == 0

    # Back to a fixed replica count: no autoscaling, so no ScaledObject is wanted any more.
    fixed = f"profile: {{name: qwen-{namespace}}}\nreplicas: 1\n{ROUTING}"
    for name in services:
        (root / f"namespaces/{namespace}/services/{name}.yaml").write_text(service(fixed, name))
    kept = sync_report(control_plane, root)
    assert kept["exitCode"] == 0, kept
    assert len(scaled_objects(api_client, namespace)) == 2  # nothing deleted without --prune
    assert {c["reason"] for c in kept["changes"] if c["kind"] == "ScaledObject"} == {
        "left the repository; --prune deletes it"
    }
    pruned = sync_report(control_plane, root, "--prune")
    assert pruned["exitCode"] == 0, pruned
    assert scaled_objects(api_client, namespace) == [], pruned
    assert len(names(api_client, namespace, "inferenceservices", "serving.kserve.io/v1beta1")) == 2
    assert sync(control_plane, root, "--prune").exit_code == 0


def test_scale_to_zero_without_routing_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path, "team", {"chat": "profile: {name: qwen-team}\nminReplicas: 0\n" + METRIC})
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code == 2, result.output
    assert (
        "namespaces/team/services/chat.yaml:7:3: error: spec.minReplicas: minReplicas 0 "
        "(scale to zero) needs routing (the operator's RoutingRequiredForScaleToZero)"
    ) in result.output


def test_a_kind_the_cluster_does_not_serve_is_told_apart_from_a_missing_object(
    control_plane: ClusterAccess, namespace: str
) -> None:
    """What a cluster without KEDA answers (a plain-text 404, no Status) is what aimsync
    treats as 'no such API': members of it are none, and an apply names the CRD."""
    kube = KubeClient.connect(control_plane.kubeconfig)
    try:
        with pytest.raises(NotFound) as missing_api:
            kube.request("GET", f"/apis/nokeda.aimsync.test/v1alpha1/namespaces/{namespace}/"
                         "scaledobjects")
        assert missing_api.value.not_served
        assert "CustomResourceDefinition scaledobjects.nokeda.aimsync.test is not installed" in (
            missing_api.value.message
        )
        with pytest.raises(NotFound) as missing_object:
            kube.request("GET", f"/apis/{KEDA}/namespaces/{namespace}/scaledobjects/nothing")
        assert not missing_object.value.not_served
    finally:
        kube.close()
