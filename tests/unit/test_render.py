"""Rendering (DESIGN.md §3): the objects, their names, caches, gating, env and replicas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aimsync.api.common import EnvVar
from aimsync.api.profile import AIMClusterProfileSpec
from aimsync.core.facts import ClusterFacts
from aimsync.core.objects import DesiredObject
from aimsync.core.path_template import PathTemplateError, render_path
from aimsync.pipeline import render_repository
from aimsync.render.desired import DesiredSet
from aimsync.render.gating import CacheState, Gated, gate
from aimsync.render.inference_service import image_pull_policy
from aimsync.render.profile_configmap import profile_document, profile_file_stem
from aimsync.render.render import render
from aimsync.resolve.resolver import resolve_all
from aimsync.settings import Settings
from aimsync.specs import Specs
from tests.factories import gpu_profile, make_specs
from tests.support import CLUSTER_PROFILE, document, service, write_repo

NS = "ml-team"


def derived(specs: Specs, settings: Settings | None = None) -> DesiredSet:
    if settings is not None:
        specs.settings = settings
    return render(specs, resolve_all(specs, ClusterFacts.unknown()))


def rendered(
    specs: Specs, cache_state: CacheState | None = None, settings: Settings | None = None
) -> Gated:
    """What may be applied: every download done unless `cache_state` says otherwise."""
    return gate(derived(specs, settings), cache_state or CacheState(assume_ready=True))


def one(desired: DesiredSet | Gated, kind: str) -> dict[str, Any]:
    found = [o for o in desired.objects if o.key.kind == kind]
    assert len(found) == 1, [str(o.key) for o in desired.objects]
    return found[0].manifest


def container(desired: DesiredSet | Gated) -> dict[str, Any]:
    isvc = one(desired, "InferenceService")
    return isvc["spec"]["predictor"]["containers"][0]  # type: ignore[no-any-return]


def chat(**service: Any) -> Specs:
    spec = {"profile": {"name": "qwen"}, **service}
    return make_specs(cluster={"qwen": gpu_profile()}, services={(NS, "qwen-chat"): spec})


def test_objects_and_names_follow_the_operator() -> None:
    desired = rendered(chat())
    kinds = [o.key.kind for o in desired.objects]
    assert kinds == [
        "ConfigMap", "PersistentVolumeClaim", "Job", "InferenceService"
    ]  # apply order
    isvc = one(desired, "InferenceService")
    assert isvc["metadata"]["name"] == "qwen-chat-faa5534a"  # hashed on (namespace, service)
    assert one(desired, "ConfigMap")["metadata"]["name"] == "qwen-chat-profile-1e27bbb7"


def test_inference_service_matches_the_reference_example() -> None:
    desired = rendered(chat())
    isvc = one(desired, "InferenceService")
    predictor = isvc["spec"]["predictor"]
    assert predictor["minReplicas"] == predictor["maxReplicas"] == 1
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
    c = container(desired)
    assert c["ports"] == [{"containerPort": 8000, "name": "http", "protocol": "TCP"}]
    assert c["imagePullPolicy"] == "Always"  # kserve.go at e837778
    assert c["resources"] == {"limits": {"amd.com/gpu": "1"}, "requests": {"amd.com/gpu": "1"}}
    assert isvc["metadata"]["annotations"]["aim.eai.amd.com/model-id"] == "qwen/qwen3-32b-fp8"
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert "AIM_ENGINE" not in env
    assert env["AIM_PROFILE_ID"] == "custom/qwen/qwen3-32b/vllm-mi300x-fp8-tp1-latency"
    assert env["AIM_ID"] == "" and env["AIM_CACHE_PATH"] == "/workspace/cache"
    assert env["AIM_MODEL_ID"] == "qwen/qwen3-32b-fp8"
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts["dshm"] == "/dev/shm"
    assert mounts["aim-profile"] == "/workspace/aim-runtime/profiles/custom/qwen/qwen3-32b"
    assert "/workspace/cache/qwen/qwen3-32b-fp8" in mounts.values()
    labels = isvc["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "aimsync"
    assert labels["aim.eai.amd.com/profile"] == "qwen"
    assert labels["aim.eai.amd.com/precision"] == "fp8"


def test_cache_pvc_is_sized_with_headroom() -> None:
    desired = rendered(chat())
    pvc = one(desired, "PersistentVolumeClaim")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "11Gi"  # 10Gi * 1.1
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_download_job_downloads_the_source_into_the_pvc() -> None:
    desired = rendered(chat())
    job = one(desired, "Job")
    pod = job["spec"]["template"]["spec"]
    assert job["spec"]["backoffLimit"] == 2
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["args"] == ["hf://Qwen/Qwen3-32B-FP8"]
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim == one(desired, "PersistentVolumeClaim")["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["EXPECTED_SIZE_BYTES"] == str(10 * 2**30)


def test_shared_caches_with_the_same_source_share_one_pvc() -> None:
    specs = make_specs(
        cluster={"qwen": gpu_profile()},
        services={
            (NS, "a"): {"profile": {"name": "qwen"}},
            (NS, "b"): {"profile": {"name": "qwen"}},
        },
    )
    desired = rendered(specs)
    assert sum(o.key.kind == "PersistentVolumeClaim" for o in desired.objects) == 1


def test_dedicated_caches_get_their_own_pvc() -> None:
    specs = make_specs(
        cluster={"qwen": gpu_profile()},
        services={
            (NS, "a"): {"profile": {"name": "qwen"}, "caching": {"mode": "Dedicated"}},
            (NS, "b"): {"profile": {"name": "qwen"}, "caching": {"mode": "Never"}},
            (NS, "c"): {"profile": {"name": "qwen"}},
        },
    )
    desired = rendered(specs)
    assert sum(o.key.kind == "PersistentVolumeClaim" for o in desired.objects) == 3


def test_inference_service_waits_for_its_downloads() -> None:
    desired = rendered(chat(), CacheState())
    assert [o.key.kind for o in desired.objects] == ["PersistentVolumeClaim", "Job"]
    assert desired.waiting[0].service == (NS, "qwen-chat")
    job = desired.waiting[0].jobs[0]
    done = rendered(chat(), CacheState(succeeded_jobs=frozenset({(NS, job.name)})))
    assert not done.waiting and any(o.key.kind == "InferenceService" for o in done.objects)


def test_an_existing_inference_service_is_always_kept_up_to_date() -> None:
    state = CacheState(existing_inference_services=frozenset({(NS, "qwen-chat-faa5534a")}))
    desired = rendered(chat(), state)
    assert not desired.waiting
    assert one(desired, "InferenceService")


def test_service_env_wins_over_profile_env_but_not_over_framework_env() -> None:
    specs = make_specs(
        cluster={"qwen": gpu_profile(containerEnv=[{"name": "A", "value": "profile"}])},
        services={(NS, "qwen-chat"): {
            "profile": {"name": "qwen"},
            "env": [{"name": "A", "value": "service"}, {"name": "AIM_ID", "value": "x"}],
        }},
    )
    env = {e["name"]: e.get("value") for e in container(rendered(specs))["env"]}
    assert env["A"] == "service"
    assert env["AIM_ID"] == ""


@pytest.mark.parametrize("var", [
    {"name": "A", "value": "x"}, {"name": "A", "value": ""}, {"name": "A"},
    {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
])
def test_an_env_var_is_written_as_its_model_dump(var: dict[str, Any]) -> None:
    model = EnvVar.model_validate(var)
    assert model.to_api() == model.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert list(model.to_api()) == list(var)


def test_min_and_max_replicas_use_the_external_autoscaler() -> None:
    isvc = one(rendered(chat(minReplicas=2, maxReplicas=5)), "InferenceService")
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "external"
    assert (isvc["spec"]["predictor"]["minReplicas"], isvc["spec"]["predictor"]["maxReplicas"]) \
        == (2, 5)


def test_replicas_pin_min_and_max() -> None:
    predictor = one(rendered(chat(replicas=3)), "InferenceService")["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (3, 3)


def test_service_resources_replace_the_profile_resources() -> None:
    c = container(rendered(chat(resources={"requests": {"amd.com/gpu": 2}})))
    assert c["resources"] == {"requests": {"amd.com/gpu": "2"}}


def test_pull_secrets_come_from_the_service_else_the_profile() -> None:
    specs = make_specs(
        cluster={"qwen": gpu_profile(imagePullSecrets=[{"name": "profile-secret"}])},
        services={(NS, "qwen-chat"): {"profile": {"name": "qwen"}}},
    )
    predictor = one(rendered(specs), "InferenceService")["spec"]["predictor"]
    assert predictor["imagePullSecrets"] == [{"name": "profile-secret"}]
    predictor = one(
        rendered(chat(imagePullSecrets=[{"name": "svc"}])), "InferenceService"
    )["spec"]["predictor"]
    assert predictor["imagePullSecrets"] == [{"name": "svc"}]


def test_http_route_points_at_the_predictor() -> None:
    """buildHTTPRoute (v1alpha1/aimservice/httproute.go, 528af2c = e837778's): the timeout
    is a metav1.Duration, written as Go's Duration.String() prints it."""
    desired = rendered(chat(routing={"enabled": True, "gatewayRef": {"name": "gw"},
                                     "requestTimeout": "60s"}))
    route = one(desired, "HTTPRoute")
    rule = route["spec"]["rules"][0]
    assert route["spec"]["parentRefs"] == [
        {"name": "gw", "group": "gateway.networking.k8s.io", "kind": "Gateway"}
    ]
    assert route["metadata"]["name"] == "qwen-chat-a04542d9"  # hashed on the namespace only
    assert rule["backendRefs"][0]["name"] == "qwen-chat-faa5534a-predictor"
    assert rule["matches"][0]["path"]["value"] == f"/{NS}/qwen-chat"
    assert rule["timeouts"] == {"request": "1m0s"}  # written as Go's Duration.String()


def test_path_templates_render_from_the_service() -> None:
    document = {"metadata": {"name": "chat", "namespace": "team", "labels": {"app": "llm"}}}
    assert render_path("/{.metadata.labels.app}/{.metadata.name}", document) == "/llm/chat"
    for bad in ("/{.metadata.uid}", "/{.spec}/x", "/UPPER"):
        try:
            render_path(bad, document)
        except PathTemplateError:
            continue
        raise AssertionError(f"{bad} should not render")


def test_profile_configmap_holds_the_profile_yaml() -> None:
    desired = rendered(chat(profileOverrides={"engineArgs": {"max-model-len": 8192}}))
    data = one(desired, "ConfigMap")["data"]
    assert list(data) == ["vllm-mi300x-fp8-tp1-latency.yaml"]
    assert "max-model-len: 8192" in data["vllm-mi300x-fp8-tp1-latency.yaml"]


def profile_spec(**fields: Any) -> AIMClusterProfileSpec:
    return AIMClusterProfileSpec.model_validate(gpu_profile(**fields))


# TestProfileFilename (aim-engine internal/v1alpha2/aimservice/configmap_test.go at e837778).
@pytest.mark.parametrize(("model", "precision", "count", "metric", "file"), [
    ("MI300X", "fp8", 1, "latency", "vllm-mi300x-fp8-tp1-latency"),
    ("MI300X", "bf16", 8, "throughput", "vllm-mi300x-bf16-tp8-throughput"),
    (None, "fp16", 0, "latency", "vllm-none-fp16-tp0-latency"),
])
def test_profile_file_name_as_the_operator(
    model: str | None, precision: str, count: int, metric: str, file: str
) -> None:
    """TestProfileFilename (configmap_test.go@e837778): profileFilename in configmap.go."""
    spec = profile_spec(acceleratorModel=model, precision=precision, acceleratorCount=count,
                        metric=metric)
    assert profile_file_stem(spec) == file


def test_the_profile_id_does_not_name_the_profile_file() -> None:
    """profileFilename (configmap.go@e837778) ignores spec.profileId."""
    assert profile_file_stem(profile_spec(profileId="custom-id")) == "vllm-mi300x-fp8-tp1-latency"


def test_the_profile_file_carries_gpu_and_gpu_count() -> None:
    """TestAssembleProfileYAML_RoundTrip: the runtime images require metadata.gpu and
    metadata.gpu_count (omitting them crashes the predictor pod)."""
    spec = profile_spec(modelId="qwen/qwen3-32b-fp8", engine="vllm",
                        engineArgs={"max-model-len": 8192.0, "dtype": "auto"},
                        engineEnv={"VLLM_FOO": "bar"})
    document = yaml.safe_load(profile_document(spec))
    assert document["aim_id"] == "qwen/qwen3-32b" and document["model_id"] == "qwen/qwen3-32b-fp8"
    metadata = document["metadata"]
    assert (metadata["gpu"], metadata["gpu_count"]) == ("MI300X", 1)
    assert (metadata["accelerator_model"], metadata["accelerator_type"],
            metadata["accelerator_count"], metadata["engine"]) == ("MI300X", "gpu", 1, "vllm")
    assert document["engine_args"] == {"dtype": "auto", "max-model-len": 8192}
    assert document["env_vars"] == {"VLLM_FOO": "bar"}
    assert "max-model-len: 8192\n" in profile_document(spec)  # a JSON number, not 8192.0


def test_the_profile_file_lists_features_only_when_there_are_some() -> None:
    """assembleProfileYAML (configmap.go@e837778): `features,omitempty`."""
    with_features = yaml.safe_load(profile_document(profile_spec(features=["adapters"])))
    assert with_features["metadata"]["features"] == ["adapters"]
    assert "features" not in profile_document(profile_spec())


def test_keys_of_the_profile_file_are_in_go_yaml_order() -> None:
    """assembleProfileYAML marshals with go-yaml, which sorts map keys its own way."""
    spec = profile_spec(engineEnv={"VLLMA": "1", "VLLM_X": "2", "tp10": "3", "tp2": "4"})
    text = profile_document(spec)
    assert text.index("VLLM_X") < text.index("VLLMA") < text.index("tp2") < text.index("tp10")


@pytest.mark.parametrize(("image", "policy"), [
    ("repo/img:1.0", "IfNotPresent"), ("repo/img:latest", "Always"),
    ("registry:5000/img", "Always"), ("img@sha256:" + "a" * 64, "IfNotPresent"), ("", "Always"),
])
def test_download_image_pull_policy_from_the_tag(image: str, policy: str) -> None:
    """pullPolicyForImage (aimartifact/download.go@e837778)."""
    assert image_pull_policy(image) == policy


def test_namespaces_not_owned_are_not_rendered() -> None:
    specs = make_specs(
        cluster={"qwen": gpu_profile()},
        services={("a", "x"): {"profile": {"name": "qwen"}},
                  ("b", "y"): {"profile": {"name": "qwen"}}},
    )
    desired = rendered(specs, settings=Settings.model_validate({"namespaces": ["a"]}))
    assert {o.key.namespace for o in desired.objects} == {"a"}


def test_rendering_is_deterministic() -> None:
    def keys(d: Gated) -> list[tuple[str, dict[str, object]]]:
        return [(str(o.key), o.manifest) for o in d.objects]

    assert keys(rendered(chat())) == keys(rendered(chat()))


def test_profile_caching_and_profile_cache_specs_create_caches() -> None:
    specs = make_specs(
        namespaced={(NS, "local"): gpu_profile(caching={"enabled": True})},
    )
    desired = rendered(specs)
    objects: tuple[DesiredObject, ...] = desired.objects
    assert [o.key.kind for o in objects] == ["PersistentVolumeClaim", "Job"]
    assert objects[0].manifest["metadata"]["annotations"] == {"aimsync.io/caches": f"{NS}/local"}


def _pvc_sizes(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    write_repo(tmp_path, files)
    derived = render_repository(tmp_path)
    return [
        o.manifest["spec"]["resources"]["requests"]["storage"]  # type: ignore[index]
        for o in derived.desired.objects if o.key.kind == "PersistentVolumeClaim"
    ]


HEADROOM_25 = "pvcHeadroomPercent: 25\n"
CHAT = "namespaces/team/services/chat.yaml"


def test_the_instance_headroom_sizes_the_cache_of_a_service(tmp_path: Path) -> None:
    sizes = _pvc_sizes(tmp_path, {
        "aimsync.yaml": HEADROOM_25,
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}"),
    })
    assert sizes == ["44Gi"]  # ceil_Gi(35Gi * 1.25) = ceil(43.75)


def test_the_headroom_of_a_service_wins_over_the_instance_default(tmp_path: Path) -> None:
    sizes = _pvc_sizes(tmp_path, {
        "aimsync.yaml": HEADROOM_25,
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}\nstorage: {pvcHeadroomPercent: 50}"),
    })
    assert sizes == ["53Gi"]  # ceil_Gi(35Gi * 1.5) = ceil(52.5)


def test_a_service_storage_without_headroom_takes_the_instance_default(tmp_path: Path) -> None:
    sizes = _pvc_sizes(tmp_path, {
        "aimsync.yaml": HEADROOM_25,
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}\nstorage: {defaultStorageClassName: fast}"),
    })
    assert sizes == ["44Gi"]


def test_the_instance_headroom_sizes_profile_cache_specs(tmp_path: Path) -> None:
    cache = document("AIMProfileCache", "warm", "profileName: qwen\nprofileScope: Cluster")
    sizes = _pvc_sizes(tmp_path, {
        "aimsync.yaml": HEADROOM_25,
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        "namespaces/team/caches/warm.yaml": cache,
    })
    assert sizes == ["44Gi"]


def test_the_download_job_has_the_operators_env_and_security_context() -> None:
    """buildDownloadJob at e837778: /cache/models, ARTIFACT_NAME/NAMESPACE, the default
    filter, the container's own user."""
    job = one(rendered(chat()), "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = [(e["name"], e.get("value")) for e in container["env"]]
    assert [name for name, _ in env] == [
        "AIM_DOWNLOADER_PROTOCOL", "TMPDIR", "HF_HOME", "EXPECTED_SIZE_BYTES", "MOUNT_PATH",
        "ARTIFACT_NAME", "ARTIFACT_NAMESPACE", "STALL_TIMEOUT", "TARGET_DIR", "AIM_HF_EXCLUDE",
    ]
    values = dict(env)
    assert values["MOUNT_PATH"] == values["TARGET_DIR"] == "/cache/models"
    assert values["ARTIFACT_NAMESPACE"] == NS and values["AIM_HF_EXCLUDE"] == "*/*"
    assert container["volumeMounts"] == [{"name": "cache", "mountPath": "/cache/models"}]
    assert container["securityContext"] == {"runAsUser": 1000, "runAsGroup": 1000}


def test_cluster_auth_annotations_of_the_service_reach_the_inference_service() -> None:
    """buildInferenceServiceFromProfile (v1alpha2/aimservice/kserve.go@e837778) copies the
    service's annotations with FilterAnnotationsByPrefix(.., "cluster-auth/")."""
    specs = chat()
    service = specs.services[(NS, "qwen-chat")]
    annotations = {"cluster-auth/allowed-group": "ml", "team.example.com/owner": "x"}
    metadata = service.obj.metadata.model_copy(update={"annotations": annotations})
    specs.services[(NS, "qwen-chat")] = type(service)(
        service.kind, service.name, service.namespace, service.source,
        service.obj.model_copy(update={"metadata": metadata}),
    )
    isvc_annotations = one(rendered(specs), "InferenceService")["metadata"]["annotations"]
    assert isvc_annotations["cluster-auth/allowed-group"] == "ml"
    assert "team.example.com/owner" not in isvc_annotations
