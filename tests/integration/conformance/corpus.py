"""AIM v1alpha2 specs, valid and invalid, with what the real CRDs and aimsync should say.

Each `Case` is checked twice by `tests/integration/test_validation_conformance.py`: by
`aimsync.validate.validate_documents` (with the case's supporting objects in the same run, so
references resolve) and by a server-side dry-run create against the pinned AIM CRDs.

`Expect.ACCEPT`: both accept. `Expect.REJECT`: the CRD rejects, so aimsync must too (`rule`,
when given, must be among aimsync's errors). `Expect.STRICTER`: the CRD accepts and aimsync
deliberately refuses, with exactly `rule` (README "Deliberately stricter", or a field aimsync
refuses as not implemented).

Namespaced documents get the test namespace filled in by the test (`namespace="long"` asks for
a 43-character one). AIMClusterProfile names carry `RUN`, unique per test run.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

API_VERSION = "aim.eai.amd.com/v1alpha2"
RUN = secrets.token_hex(3)

Doc = dict[str, Any]


class Expect(StrEnum):
    ACCEPT = "both-accept"
    REJECT = "both-reject"
    STRICTER = "aimsync-stricter"


@dataclass(frozen=True, repr=False)
class Case:
    id: str
    doc: Doc
    expect: Expect
    rule: str | None = None
    support: tuple[Doc, ...] = ()
    namespace: Literal["short", "long"] = "short"
    # Dotted paths (from the document root) -> the value the API server defaults; aimsync's
    # validated object must carry the same value.
    defaults: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:  # pytest prints it for a failing parameter
        return f"Case({self.id!r}, {self.expect.value}, rule={self.rule!r})"


def _doc(kind: str, name: str, spec: object, **metadata: object) -> Doc:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, **metadata},
        "spec": spec,
    }


SOURCE: Doc = {
    "modelId": "qwen/qwen3-32b-fp8",
    "sourceUri": "hf://Qwen/Qwen3-32B-FP8",
    "size": "35Gi",
}


def deployable(**changes: object) -> Doc:
    """A deployable profile spec; a change to None removes the field."""
    spec: Doc = {
        "aimId": "qwen/qwen3-32b",
        "image": "docker.io/amdenterpriseai/aim-qwen-qwen3-32b:0.8.5",
        "metric": "latency",
        "precision": "fp8",
        "type": "optimized",
        "acceleratorType": "gpu",
        "acceleratorModel": "MI300X",
        "acceleratorCount": 1,
        "modelSources": [copy.deepcopy(SOURCE)],
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def base(**changes: object) -> Doc:
    spec: Doc = {"image": "docker.io/amdenterpriseai/aim-base:0.8.5"}
    spec.update(changes)
    return spec


def source(**changes: object) -> Doc:
    src = copy.deepcopy(SOURCE)
    for key, value in changes.items():
        if value is None:
            src.pop(key, None)
        else:
            src[key] = value
    return src


def profile(name: str, spec: object, **metadata: object) -> Doc:
    return _doc("AIMProfile", name, spec, **metadata)


def cluster_profile(stem: str, spec: object, **metadata: object) -> Doc:
    return _doc("AIMClusterProfile", f"{stem}-{RUN}", spec, **metadata)


def cache(name: str, spec: object) -> Doc:
    return _doc("AIMProfileCache", name, spec)


def service(name: str, spec: object, **metadata: object) -> Doc:
    return _doc("AIMService", name, spec, **metadata)


PROFILE_NAME = "qwen-fp8"
SUPPORT_PROFILE = profile(PROFILE_NAME, deployable())
SUPPORT_CLUSTER_PROFILE = cluster_profile("conf-qwen", deployable())
BY_NAME: Doc = {"profile": {"name": PROFILE_NAME}}
BY_SELECTOR: Doc = {"profile": {"selector": {"aimId": "qwen/qwen3-32b"}}}
GATEWAY: Doc = {"name": "inference-gateway", "namespace": "gateways"}
# One usable PodMetric (the operator's validVLLMMetric, without the defaulted backend).
AUTOSCALING: Doc = {
    "metrics": [{
        "type": "PodMetric",
        "podmetric": {
            "metric": {
                "metricNames": ["vllm:num_requests_running"],
                "query": "vllm:num_requests_running",
                "operationOverTime": "avg",
            },
            "target": {"type": "Value", "value": "1"},
        },
    }]
}


def autoscaling(metric: Doc | None = None, target: Doc | None = None) -> Doc:
    """AUTOSCALING with its metric changed (None removes a key) or its target replaced."""
    spec = copy.deepcopy(AUTOSCALING)
    source = spec["metrics"][0]["podmetric"]
    source["metric"] = {
        k: v for k, v in {**source["metric"], **(metric or {})}.items() if v is not None
    }
    if target is not None:
        source["target"] = target
    return spec


SECRET_ENV: Doc = {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "t"}}}


def svc(spec: Doc) -> Doc:
    """A by-name service with `spec` merged in (None removes a key)."""
    merged: Doc = {**copy.deepcopy(BY_NAME), **spec}
    return {k: v for k, v in merged.items() if v is not None}


def _service_case(
    id: str,
    spec: Doc,
    expect: Expect,
    rule: str | None = None,
    *,
    name: str = "chat",
    namespace: Literal["short", "long"] = "short",
    defaults: dict[str, object] | None = None,
) -> Case:
    return Case(
        id,
        service(name, spec),
        expect,
        rule,
        support=(SUPPORT_PROFILE,),
        namespace=namespace,
        defaults=defaults or {},
    )


def _profile_case(
    id: str,
    spec: object,
    expect: Expect,
    rule: str | None = None,
    *,
    name: str = "team-profile",
    defaults: dict[str, object] | None = None,
    **metadata: object,
) -> Case:
    return Case(id, profile(name, spec, **metadata), expect, rule, defaults=defaults or {})


A, R, S = Expect.ACCEPT, Expect.REJECT, Expect.STRICTER
ENV_BOTH = {"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
ENV_TWO_SOURCES = {
    "name": "A",
    "valueFrom": {
        "secretKeyRef": {"name": "s", "key": "k"},
        "configMapKeyRef": {"name": "c", "key": "k"},
    },
}

PROFILE_CASES = [
    _profile_case(
        "profile-deployable",
        deployable(),
        A,
        defaults={"spec.primary": False, "spec.acceleratorPartitioningMode": "unpartitioned"},
    ),
    _profile_case("profile-base", base(), A, defaults={"spec.primary": False}),
    _profile_case("profile-base-empty-aimid-and-sources", base(aimId="", modelSources=[]), A),
    _profile_case("profile-missing-image", deployable(image=None), R, "schema.missing"),
    _profile_case("profile-empty-image", deployable(image=""), R, "schema.string_too_short"),
    _profile_case(
        "profile-aimid-without-sources",
        deployable(modelSources=None),
        R,
        "cel.profile-aimid-modelsources",
    ),
    _profile_case(
        "profile-sources-without-aimid",
        deployable(aimId=None),
        R,
        "cel.profile-aimid-modelsources",
    ),
    _profile_case(
        "profile-empty-sources-with-aimid",
        deployable(modelSources=[]),
        R,
        "cel.profile-aimid-modelsources",
    ),
    _profile_case("profile-metric-enum", deployable(metric="fast"), R, "schema.literal_error"),
    _profile_case(
        "profile-precision-auto", deployable(precision="auto"), R, "schema.literal_error"
    ),
    _profile_case("profile-precision-bf16", deployable(precision="bf16"), A),
    _profile_case("profile-type-enum", deployable(type="best"), R, "schema.literal_error"),
    _profile_case(
        "profile-accelerator-type-enum",
        deployable(acceleratorType="npu"),
        R,
        "schema.literal_error",
    ),
    _profile_case(
        "profile-cpu-partitioned",
        deployable(acceleratorType="cpu", acceleratorPartitioningMode="CPX-NPS4"),
        R,
        "cel.profile-cpu-unpartitioned",
    ),
    _profile_case(
        "profile-cpu-unpartitioned",
        deployable(
            acceleratorType="cpu",
            acceleratorModel=None,
            acceleratorCount=32,
            acceleratorPartitioningMode="unpartitioned",
        ),
        A,
    ),
    _profile_case("profile-gpu-partitioned", deployable(acceleratorPartitioningMode="CPX-NPS4"), A),
    _profile_case(
        "profile-partitioning-empty",
        deployable(acceleratorPartitioningMode=""),
        R,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-accelerator-model-pattern",
        deployable(acceleratorModel="MI300X_"),
        R,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-accelerator-model-too-long",
        deployable(acceleratorModel="M" * 64),
        R,
        "schema.string_too_long",
    ),
    _profile_case(
        "profile-accelerator-count-negative",
        deployable(acceleratorCount=-1),
        R,
        "schema.greater_than_equal",
    ),
    _profile_case(
        "profile-accelerator-count-string", deployable(acceleratorCount="1"), R, "schema.int_type"
    ),
    _profile_case(
        "profile-accelerator-count-float", deployable(acceleratorCount=1.5), R, "schema.int_type"
    ),
    _profile_case(
        "profile-accelerator-count-over-int32",
        deployable(acceleratorCount=2**31),
        R,
        "schema.less_than_equal",
    ),
    _profile_case("profile-primary-string", deployable(primary="true"), R, "schema.bool_type"),
    _profile_case("profile-primary-true", deployable(primary=True), A),
    _profile_case(
        "profile-engine-args-list",
        deployable(engineArgs=["--tensor-parallel-size", "1"]),
        S,
        "schema.dict_type",
    ),
    _profile_case(
        "profile-engine-args-mapping",
        deployable(engineArgs={"tensor-parallel-size": 1, "enforce-eager": True}),
        A,
    ),
    _profile_case(
        "profile-engine-env-number", deployable(engineEnv={"VLLM_X": 1}), R, "schema.string_type"
    ),
    _profile_case("profile-engine-env", deployable(engineEnv={"VLLM_X": "1"}), A),
    _profile_case("profile-unknown-field", deployable(replicas=2), R, "schema.extra_forbidden"),
    _profile_case(
        "profile-source-without-size",
        deployable(modelSources=[source(size=None)]),
        A,  # measured by the check-size step (reference §4.3)
    ),
    _profile_case(
        "profile-source-uri-scheme",
        deployable(modelSources=[source(sourceUri="https://hf.co/Qwen/Qwen3-32B-FP8")]),
        R,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-source-uri-space",
        deployable(modelSources=[source(sourceUri="hf://Qwen/Qwen3 32B")]),
        R,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-source-uri-s3", deployable(modelSources=[source(sourceUri="s3://bucket/qwen")]), A
    ),
    _profile_case(
        "profile-source-model-id-pattern",
        deployable(modelSources=[source(modelId="qwen3-32b")]),
        R,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-source-missing-uri",
        deployable(modelSources=[source(sourceUri=None)]),
        R,
        "schema.missing",
    ),
    _profile_case(
        "profile-source-size-integer", deployable(modelSources=[source(size=37580963840)]), A
    ),
    _profile_case(
        "profile-source-size-decimal", deployable(modelSources=[source(size="37.5G")]), A
    ),
    _profile_case(
        "profile-source-size-fractional-exponent",
        deployable(modelSources=[source(size="1e1.5")]),
        S,
        "schema.quantity_value",
    ),
    _profile_case(
        "profile-source-size-beyond-int64",
        deployable(modelSources=[source(size="1e30")]),
        S,
        "schema.quantity_value",
    ),
    _profile_case(
        "profile-source-size-malformed",
        deployable(modelSources=[source(size="35 GiB")]),
        R,
        "schema.quantity_format",
    ),
    _profile_case(
        "profile-source-size-boolean",
        deployable(modelSources=[source(size=True)]),
        R,
        "schema.quantity_type",
    ),
    _profile_case(
        "profile-source-precision-auto",
        deployable(modelSources=[source(precision="auto")]),
        R,
        "schema.literal_error",
    ),
    _profile_case(
        "profile-source-env-duplicate",
        deployable(modelSources=[source(env=[SECRET_ENV, SECRET_ENV])]),
        R,
        "schema.value_error",
    ),
    _profile_case(
        "profile-container-env-duplicate",
        deployable(containerEnv=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]),
        R,
        "schema.value_error",
    ),
    _profile_case(
        "profile-container-env-value-from",
        deployable(containerEnv=[SECRET_ENV, {"name": "B", "value": "2"}]),
        A,
    ),
    _profile_case(
        "profile-container-env-missing-name",
        deployable(containerEnv=[{"value": "1"}]),
        R,
        "schema.missing",
    ),
    _profile_case(
        "profile-container-env-value-and-value-from",
        deployable(containerEnv=[ENV_BOTH]),
        S,
        "schema.value_error",
    ),
    _profile_case(
        "profile-container-env-two-sources",
        deployable(containerEnv=[ENV_TWO_SOURCES]),
        S,
        "schema.value_error",
    ),
    _profile_case(
        "profile-container-env-empty-value-from",
        deployable(containerEnv=[{"name": "A", "valueFrom": {}}]),
        S,
        "schema.value_error",
    ),
    _profile_case(
        "profile-resources",
        deployable(
            resources={"limits": {"amd.com/gpu": 1, "memory": "64Gi"}, "requests": {"cpu": "500m"}}
        ),
        A,
    ),
    _profile_case(
        "profile-resources-bad-quantity",
        deployable(resources={"limits": {"memory": "lots"}}),
        R,
        "schema.quantity_format",
    ),
    _profile_case("profile-features", deployable(features=["adapters"]), A),
    _profile_case(
        "profile-features-duplicate",
        deployable(features=["adapters", "adapters"]),
        R,
        "schema.value_error",
    ),
    _profile_case(
        "profile-image-pull-secrets", deployable(imagePullSecrets=[{"name": "registry"}]), A
    ),
    _profile_case(
        "profile-caching-enabled",
        deployable(caching={"enabled": True, "env": [SECRET_ENV]}),
        A,
    ),
    _profile_case(
        "profile-caching-enabled-string",
        deployable(caching={"enabled": "yes"}),
        R,
        "schema.bool_type",
    ),
    _profile_case(
        "profile-name-dots", deployable(), S, "schema.string_pattern_mismatch", name="qwen3.fp8"
    ),
    _profile_case(
        "profile-name-uppercase", deployable(), R, "schema.string_pattern_mismatch", name="Qwen3"
    ),
    _profile_case(
        "profile-name-64-characters", deployable(), S, "schema.string_too_long", name="q" * 64
    ),
    _profile_case(
        "profile-label-key-invalid",
        deployable(),
        R,
        "metadata.labels",
        labels={"bad key": "x"},
    ),
    _profile_case(
        "profile-label-value-invalid",
        deployable(),
        R,
        "metadata.labels",
        labels={"team": "ml team"},
    ),
    _profile_case(
        "profile-labels-and-annotations",
        deployable(),
        A,
        labels={"app.kubernetes.io/part-of": "chat"},
        annotations={"example.com/note": "free text, with spaces"},
    ),
    Case(
        "profile-status-is-ignored",
        {**profile("team-profile", deployable()), "status": {"status": "Ready"}},
        A,
    ),
    Case(
        "profile-api-version-v1alpha1",
        {**profile("team-profile", deployable()), "apiVersion": "aim.eai.amd.com/v1alpha1"},
        R,
        "document.version",
    ),
    _profile_case(
        "profile-server-set-metadata",
        deployable(),
        A,
        uid="0b4e4c1e-0000-4000-8000-000000000000",
        resourceVersion="12",
        creationTimestamp="2026-01-01T00:00:00Z",
    ),
    _profile_case(
        "profile-quantity-forms",
        deployable(
            resources={"limits": {"cpu": "1e3", "memory": "+64Gi"}, "requests": {"memory": ".5Gi"}}
        ),
        A,
    ),
    _profile_case(
        "profile-quantity-float",
        deployable(resources={"limits": {"cpu": 1.5}}),
        R,
        "schema.quantity_type",
    ),
    _profile_case(
        "profile-source-size-zero", deployable(modelSources=[source(size=0)]), S,
        "aimsync.source-size-positive",
    ),
    _profile_case(
        "profile-source-size-negative", deployable(modelSources=[source(size="-10Gi")]), S,
        "aimsync.source-size-positive",
    ),
    _profile_case(
        "profile-two-sources", deployable(modelSources=[source(), source(modelId="qwen/draft")]), A
    ),
    _profile_case(
        "profile-features-string", deployable(features="adapters"), R, "schema.list_type"
    ),
    _profile_case(
        "profile-free-form-identity",
        deployable(
            aimId="Qwen 3 / 32B",
            modelId="any thing",
            profileId="x y",
            engine="vllm",
            manualSelectionOnly=True,
            serviceAccountName="inference",
        ),
        A,
    ),
    _profile_case(
        "profile-env-value-from-field-and-file",
        deployable(
            containerEnv=[
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {
                    "name": "F",
                    "valueFrom": {"fileKeyRef": {"key": "k", "path": "p", "volumeName": "v"}},
                },
                {
                    "name": "E",
                    "value": "",
                    "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
                },
            ]
        ),
        A,
    ),
    _profile_case(
        "profile-env-config-map-without-key",
        deployable(containerEnv=[{"name": "F", "valueFrom": {"configMapKeyRef": {"name": "c"}}}]),
        R,
        "schema.missing",
    ),
    _profile_case(
        "profile-label-value-64-characters",
        deployable(),
        R,
        "metadata.labels",
        labels={"team": "x" * 64},
    ),
    _profile_case(
        "profile-annotation-key-invalid",
        deployable(),
        R,
        "metadata.annotations",
        annotations={"bad key": "x"},
    ),
    # null means absent (the API server prunes it): a required field is then missing.
    _profile_case("profile-image-null", {**deployable(), "image": None}, R, "schema.missing"),
    _profile_case(
        "profile-aimid-and-sources-null", {**base(), "aimId": None, "modelSources": None}, A
    ),
    Case(
        "profile-without-spec",
        {"apiVersion": API_VERSION, "kind": "AIMProfile", "metadata": {"name": "team-profile"}},
        R,
        "schema.missing",
    ),
    # The CRD accepts these and the README does not list them as deliberately stricter.
    _profile_case(
        "profile-env-name-with-equals",
        deployable(containerEnv=[{"name": "A=B", "value": "1"}]),
        S,
        "schema.string_pattern_mismatch",
    ),
    _profile_case(
        "profile-finalizers", deployable(), S, "schema.extra_forbidden",
        finalizers=["example.com/keep"],
    ),
    # null is pruned by the API server and the default applied (as for a YAML `primary:`).
    _profile_case(
        "profile-primary-null",
        {**deployable(), "primary": None},
        A,
        defaults={"spec.primary": False},
    ),
    _profile_case(
        "profile-partitioning-null",
        {**deployable(), "acceleratorPartitioningMode": None},
        A,
        defaults={"spec.acceleratorPartitioningMode": "unpartitioned"},
    ),
    # 2.0 is a JSON integer to the API server (kube-openapi accepts integral floats).
    _profile_case("profile-accelerator-count-integral-float", deployable(acceleratorCount=2.0), A),
    _profile_case(
        "profile-resource-claims", deployable(resources={"claims": [{"name": "gpu"}]}), A
    ),
    # resources.claims is a list-map keyed by name: the CRD refuses duplicates.
    _profile_case(
        "profile-resource-claims-duplicate",
        deployable(resources={"claims": [{"name": "gpu"}, {"name": "gpu"}]}),
        R,
    ),
    # The CRD accepts these too; not README-listed.
    _profile_case(
        "profile-env-name-empty", deployable(containerEnv=[{"name": "", "value": "1"}]), S,
        "schema.string_too_short",
    ),
    _profile_case("profile-label-null-value", deployable(), A, labels={"team": None}),
]

CLUSTER_PROFILE_CASES = [
    Case("cluster-profile-deployable", cluster_profile("conf-deployable", deployable()), A),
    Case("cluster-profile-base", cluster_profile("conf-base", base()), A),
    Case(
        "cluster-profile-caching",
        cluster_profile("conf-caching", deployable(caching={"enabled": True})),
        R,
        "aimsync.cluster-profile-caching",
    ),
    Case(
        "cluster-profile-aimid-without-sources",
        cluster_profile("conf-nosources", deployable(modelSources=None)),
        R,
        "cel.profile-aimid-modelsources",
    ),
    Case(
        "cluster-profile-source-without-size",
        cluster_profile("conf-nosize", deployable(modelSources=[source(size=None)])),
        A,  # measured by the check-size step (reference §4.3)
    ),
    Case(
        "cluster-profile-name-dots",
        _doc("AIMClusterProfile", f"conf.dots.{RUN}", deployable()),
        S,
        "schema.string_pattern_mismatch",
    ),
    # The API server drops metadata.namespace of a cluster-scoped object; not README-listed.
    Case(
        "cluster-profile-with-namespace",
        cluster_profile("conf-namespaced", deployable(), namespace="default"),
        S,
        "namespace.cluster-scoped",
    ),
]

CACHE_SPEC: Doc = {"profileName": PROFILE_NAME, "profileScope": "Namespace"}


def _cache_case(
    id: str,
    changes: Doc,
    expect: Expect,
    rule: str | None = None,
    *,
    defaults: dict[str, object] | None = None,
    support: tuple[Doc, ...] = (SUPPORT_PROFILE,),
) -> Case:
    spec = {k: v for k, v in {**CACHE_SPEC, **changes}.items() if v is not None}
    return Case(
        id, cache("qwen-cache", spec), expect, rule, support=support, defaults=defaults or {}
    )


CACHE_CASES = [
    _cache_case("cache-namespace-scope", {}, A, defaults={"spec.mode": "Shared"}),
    _cache_case(
        "cache-cluster-scope",
        {"profileName": SUPPORT_CLUSTER_PROFILE["metadata"]["name"], "profileScope": "Cluster"},
        A,
        support=(SUPPORT_CLUSTER_PROFILE,),
    ),
    _cache_case("cache-missing-scope", {"profileScope": None}, R, "schema.missing"),
    _cache_case("cache-scope-merged", {"profileScope": "Merged"}, R, "schema.literal_error"),
    _cache_case("cache-empty-profile-name", {"profileName": ""}, R, "schema.string_too_short"),
    _cache_case("cache-mode-dedicated", {"mode": "Dedicated"}, A),
    _cache_case("cache-mode-enum", {"mode": "Private"}, R, "schema.literal_error"),
    _cache_case("cache-env", {"env": [SECRET_ENV], "storageClassName": "fast-rwx"}, A),
    _cache_case("cache-env-duplicate", {"env": [SECRET_ENV, SECRET_ENV]}, R, "schema.value_error"),
    _cache_case("cache-requires-adapter-disk", {"requiresAdapterDisk": True}, A),
    # runtimeConfigName: only in the v0.2.5 CRD (crds.lock.json "alternatives"), not in the
    # pinned e837778 CRD that aimsync targets.
    _cache_case(
        "cache-runtime-config-name",
        {"runtimeConfigName": "default"},
        R,
        "schema.extra_forbidden",
    ),
    _cache_case("cache-unknown-field", {"size": "35Gi"}, R, "schema.extra_forbidden"),
    _cache_case("cache-env-value-and-value-from", {"env": [ENV_BOTH]}, S, "schema.value_error"),
    _cache_case("cache-scope-lowercase", {"profileScope": "namespace"}, R, "schema.literal_error"),
    _cache_case("cache-storage-class-number", {"storageClassName": 5}, R, "schema.string_type"),
    _cache_case(
        "cache-adapter-disk-string", {"requiresAdapterDisk": "true"}, R, "schema.bool_type"
    ),
    Case(
        "cache-mode-null",
        cache("qwen-cache", {**CACHE_SPEC, "mode": None}),
        A,
        support=(SUPPORT_PROFILE,),
        defaults={"spec.mode": "Shared"},
    ),
]

SERVICE_CASES = [
    _service_case(
        "service-by-name",
        svc({}),
        A,
        defaults={"spec.replicas": 1, "spec.adapterMode": "static"},
    ),
    _service_case(
        "service-by-selector",
        BY_SELECTOR,
        A,
        defaults={"spec.profile.selector.role": "deployable"},
    ),
    _service_case(
        "service-selector-all-fields",
        {
            "profile": {
                "selector": {
                    "aimId": "qwen/qwen3-32b",
                    "metric": "latency",
                    "precision": "auto",
                    "type": "optimized",
                    "acceleratorType": "gpu",
                    "acceleratorModel": "MI300X",
                    "acceleratorCount": 1,
                    "acceleratorPartitioningMode": "unpartitioned",
                    "engineArgs": {"enforce-eager": True},
                    "origin": "user-authored",
                    "role": "deployable",
                }
            }
        },
        A,
    ),
    _service_case("service-no-profile", {"replicas": 1}, R, "cel.service-model-or-profile"),
    _service_case(
        "service-overrides-without-profile",
        {"profileOverrides": {"acceleratorCount": 2}},
        R,
        "cel.service-overrides-need-profile",
    ),
    _service_case(
        "service-profile-name-and-selector",
        {"profile": {"name": PROFILE_NAME, "selector": {"aimId": "qwen/qwen3-32b"}}},
        R,
        "cel.profile-name-xor-selector",
    ),
    _service_case("service-profile-empty", {"profile": {}}, R, "cel.profile-name-or-selector"),
    _service_case(
        "service-profile-name-empty", {"profile": {"name": ""}}, R, "schema.string_too_short"
    ),
    _service_case(
        "service-selector-role-base",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "role": "base"}}},
        R,
        "cel.selector-role",
    ),
    _service_case(
        "service-selector-must-narrow",
        {"profile": {"selector": {"metric": "latency"}}},
        R,
        "cel.selector-must-narrow",
    ),
    _service_case(
        "service-selector-model-ref",
        {"profile": {"selector": {"modelRef": {"name": "qwen3-32b"}}}},
        S,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-selector-model-ref-without-name",
        {"profile": {"selector": {"modelRef": {"scope": "Cluster"}}}},
        R,
        "schema.missing",
    ),
    _service_case(
        "service-selector-precision-enum",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "precision": "fp64"}}},
        R,
        "schema.literal_error",
    ),
    _service_case(
        "service-selector-count-string",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "acceleratorCount": "1"}}},
        R,
        "schema.int_type",
    ),
    _service_case(
        "service-partition-override-without-count",
        svc({"profileOverrides": {"acceleratorPartitioningMode": "CPX-NPS4"}}),
        R,
        "cel.service-partition-needs-count",
    ),
    _service_case(
        "service-partition-override-with-count",
        svc(
            {"profileOverrides": {"acceleratorPartitioningMode": "CPX-NPS4", "acceleratorCount": 8}}
        ),
        A,
    ),
    _service_case(
        "service-partition-override-empty",
        svc({"profileOverrides": {"acceleratorPartitioningMode": ""}}),
        A,
    ),
    _service_case(
        "service-overrides-full",
        svc(
            {
                "profileOverrides": {
                    "acceleratorModel": "MI325X",
                    "acceleratorCount": 2,
                    "containerEnv": [{"name": "VLLM_LOGGING_LEVEL", "value": "DEBUG"}],
                    "engineArgs": {"max-model-len": 32768},
                    "engineEnv": {"VLLM_X": "1"},
                    "modelSources": [source(sourceUri="s3://models/qwen3-32b-fp8")],
                }
            }
        ),
        A,
    ),
    _service_case(
        "service-overrides-source-without-size",
        svc({"profileOverrides": {"modelSources": [source(size=None)]}}),
        A,  # measured by the check-size step (reference §4.3)
    ),
    _service_case(
        "service-overrides-engine-args-list",
        svc({"profileOverrides": {"engineArgs": ["--enforce-eager"]}}),
        S,
        "schema.dict_type",
    ),
    _service_case(
        "service-overrides-env-duplicate",
        svc({"profileOverrides": {"containerEnv": [SECRET_ENV, SECRET_ENV]}}),
        R,
        "schema.value_error",
    ),
    _service_case(
        "service-min-greater-than-max",
        svc({"minReplicas": 3, "maxReplicas": 2}),
        R,
        "cel.service-min-le-max",
    ),
    _service_case(
        "service-min-max", svc({"minReplicas": 1, "maxReplicas": 3, "autoScaling": AUTOSCALING}), A
    ),
    _service_case(
        "service-min-max-without-metrics",
        svc({"minReplicas": 1, "maxReplicas": 3}),
        S,
        "aimsync.autoscaling-requires-metrics",
    ),
    _service_case(
        "service-min-replicas-zero",
        svc({"minReplicas": 0, "maxReplicas": 2}),
        S,
        "aimsync.scale-to-zero-needs-routing",
    ),
    _service_case(
        "service-scale-to-zero-routed",
        svc({
            "minReplicas": 0, "maxReplicas": 4, "autoScaling": AUTOSCALING,
            "routing": {"enabled": True, "gatewayRef": GATEWAY},
        }),
        A,
    ),
    _service_case(
        "service-scale-to-zero-gateway-trigger-only",
        svc({
            "minReplicas": 0, "autoScaling": {"pollingInterval": 10, "cooldownPeriod": 0},
            "routing": {"enabled": True, "gatewayRef": GATEWAY},
        }),
        A,
    ),
    _service_case(
        "service-max-replicas-zero", svc({"maxReplicas": 0}), R, "schema.greater_than_equal"
    ),
    _service_case(
        "service-min-replicas-negative", svc({"minReplicas": -1}), R, "schema.greater_than_equal"
    ),
    _service_case("service-replicas-string", svc({"replicas": "2"}), R, "schema.int_type"),
    _service_case("service-replicas-float", svc({"replicas": 1.5}), R, "schema.int_type"),
    _service_case("service-replicas-three", svc({"replicas": 3}), A),
    _service_case(
        "service-replicas-negative", svc({"replicas": -1}), S, "aimsync.replicas-range"
    ),
    _service_case(
        "service-template", svc({"template": {"name": "qwen"}}), R, "cel.service-no-template"
    ),
    _service_case(
        "service-overrides",
        svc({"overrides": {"metric": "latency"}}),
        R,
        "cel.service-no-overrides",
    ),
    _service_case(
        "service-model-name",
        {"model": {"name": "qwen3-32b"}},
        S,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-model-name-and-image",
        {"model": {"name": "qwen3-32b", "image": "docker.io/x/y:1"}},
        R,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-adapters",
        svc({"adapters": [{"kind": "AIMArtifact", "name": "lora-sql"}]}),
        S,
        "aimsync.unsupported",
    ),
    _service_case("service-adapters-empty-list", svc({"adapters": []}), A),
    _service_case(
        "service-adapters-without-profile",
        {"model": {"name": "qwen3-32b"}, "adapters": [{"kind": "AIMArtifact", "name": "lora"}]},
        R,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-adapters-duplicate",
        svc({"adapters": [{"kind": "AIMArtifact", "name": "lora"}] * 2}),
        R,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-adapter-model-id-without-source",
        svc({"adapters": [{"kind": "AIMArtifact", "name": "lora", "modelId": "org/lora"}]}),
        R,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-adapter-runtime",
        svc({"adapterRuntime": {"maxRank": 16}}),
        R,
        "aimsync.unsupported",
    ),
    _service_case(
        "service-adapter-mode-dynamic", svc({"adapterMode": "dynamic"}), S, "aimsync.unsupported"
    ),
    _service_case("service-adapter-mode-static", svc({"adapterMode": "static"}), A),
    _service_case(
        "service-adapter-mode-enum", svc({"adapterMode": "hot"}), R, "schema.literal_error"
    ),
    _service_case(
        "service-autoscaling-without-metrics",
        svc({"minReplicas": 1, "maxReplicas": 4, "autoScaling": {"pollingInterval": 10}}),
        S,
        "aimsync.autoscaling-requires-metrics",
    ),
    _service_case(
        "service-autoscaling-empty", svc({"autoScaling": {}}), R,
        "cel.service-autoscaling-not-empty",
    ),
    _service_case(
        "service-autoscaling-empty-metrics", svc({"autoScaling": {"metrics": []}}), R,
        "cel.service-autoscaling-not-empty",
    ),
    _service_case("service-autoscaling-only", svc({"autoScaling": AUTOSCALING}), A),
    _service_case(
        "service-autoscaling-metric-names-average-value",
        svc({"autoScaling": autoscaling(
            metric={"metricNames": ["vllm:num_requests_waiting"], "serverAddress": "otel:4318"},
            target={"type": "AverageValue", "averageValue": "500m"},
        )}),
        A,
    ),
    _service_case(
        "service-autoscaling-utilization",
        svc({"autoScaling": autoscaling(
            target={"type": "Utilization", "averageUtilization": 80}
        )}),
        A,
    ),
    _service_case(
        "service-autoscaling-target-not-a-quantity",  # a warning only: the CRD takes any text
        svc({"autoScaling": autoscaling(target={"type": "Value", "value": "one"})}),
        A,
    ),
    _service_case(
        "service-autoscaling-polling-zero", svc({"autoScaling": {"pollingInterval": 0}}), R,
        "schema.greater_than_equal",
    ),
    _service_case(
        "service-autoscaling-cooldown-negative", svc({"autoScaling": {"cooldownPeriod": -1}}),
        R, "schema.greater_than_equal",
    ),
    _service_case(
        "service-autoscaling-metric-type-resource",
        svc({"autoScaling": {"metrics": [{"type": "Resource"}]}}), R, "schema.literal_error",
    ),
    _service_case(
        "service-autoscaling-metric-without-podmetric",
        svc({"autoScaling": {"metrics": [{"type": "PodMetric"}]}}), R,
        "cel.service-metric-podmetric",
    ),
    _service_case(
        "service-autoscaling-podmetric-camel-case",
        svc({"autoScaling": {"metrics": [
            {"type": "PodMetric", "podMetric": AUTOSCALING["metrics"][0]["podmetric"]}
        ]}}),
        R,
        "schema.extra_forbidden",
    ),
    _service_case(
        "service-autoscaling-metric-without-query",
        svc({"autoScaling": autoscaling(metric={"query": None, "metricNames": None})}),
        R,
        "cel.service-metric-query",
    ),
    _service_case(
        "service-autoscaling-metric-backend",
        svc({"autoScaling": autoscaling(metric={"backend": "prometheus"})}), R,
        "schema.literal_error",
    ),
    _service_case(
        "service-autoscaling-target-missing",
        svc({"autoScaling": {"metrics": [
            {"type": "PodMetric", "podmetric": {"metric": {"query": "q"}}}
        ]}}),
        R,
        "schema.missing",
    ),
    _service_case(
        "service-autoscaling-target-value-missing",
        svc({"autoScaling": autoscaling(target={"type": "Value", "averageValue": "2"})}), R,
        "cel.service-metric-target",
    ),
    _service_case(
        "service-autoscaling-target-utilization-missing",
        svc({"autoScaling": autoscaling(target={"type": "Utilization"})}), R,
        "cel.service-metric-target",
    ),
    _service_case(
        "service-autoscaling-target-type",
        svc({"autoScaling": autoscaling(target={"type": "Percent", "value": "1"})}), R,
        "schema.literal_error",
    ),
    _service_case(
        "service-autoscaling-query-empty",  # the CRD's has() is true for "", no trigger results
        svc({"autoScaling": autoscaling(metric={"query": "", "metricNames": None})}),
        S,
        "aimsync.autoscaling-metric-query",
    ),
    _service_case(
        "service-autoscaling-metric-names-empty-name",
        svc({"autoScaling": autoscaling(metric={"query": None, "metricNames": [""]})}),
        S,
        "aimsync.autoscaling-metric-query",
    ),
    _service_case(
        "service-runtime-config-custom",
        svc({"runtimeConfigName": "gpu-fast"}),
        S,
        "aimsync.unsupported",
    ),
    _service_case("service-runtime-config-default", svc({"runtimeConfigName": "default"}), A),
    _service_case(
        "service-routing-enabled-without-gateway",
        svc({"routing": {"enabled": True}}),
        S,
        "aimsync.routing-needs-gateway",
    ),
    _service_case(
        "service-routing-gateway",
        svc(
            {
                "routing": {
                    "enabled": True,
                    "gatewayRef": GATEWAY,
                    "requestTimeout": "1m30s",
                    "annotations": {"example.com/a": "b"},
                }
            }
        ),
        A,
        defaults={
            "spec.routing.gatewayRef.group": "gateway.networking.k8s.io",
            "spec.routing.gatewayRef.kind": "Gateway",
        },
    ),
    _service_case(
        "service-routing-gateway-port-zero",
        svc({"routing": {"enabled": True, "gatewayRef": {**GATEWAY, "port": 0}}}),
        R,
        "schema.greater_than_equal",
    ),
    _service_case(
        "service-routing-gateway-without-name",
        svc({"routing": {"enabled": True, "gatewayRef": {"namespace": "gateways"}}}),
        R,
        "schema.missing",
    ),
    _service_case(
        "service-routing-enabled-string",
        svc({"routing": {"enabled": "true", "gatewayRef": GATEWAY}}),
        R,
        "schema.bool_type",
    ),
    _service_case("service-caching-never", svc({"caching": {"mode": "Never"}}), A),
    _service_case(
        "service-caching-enum", svc({"caching": {"mode": "Sometimes"}}), R, "schema.literal_error"
    ),
    _service_case(
        "service-caching-default",
        svc({"caching": {}}),
        A,
        defaults={"spec.caching.mode": "Shared"},
    ),
    _service_case(
        "service-storage-default",
        svc({"storage": {"defaultStorageClassName": "fast"}}),
        A,
        defaults={"spec.storage.pvcHeadroomPercent": 10},
    ),
    _service_case(
        "service-storage-headroom-negative",
        svc({"storage": {"pvcHeadroomPercent": -5}}),
        R,
        "schema.greater_than_equal",
    ),
    _service_case(
        "service-storage-download-filter",
        svc({"storage": {"downloadFilter": {"include": ["*.safetensors", "*.json"]}}}),
        A,
    ),
    _service_case(
        "service-env-duplicate",
        svc({"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}),
        R,
        "schema.value_error",
    ),
    _service_case(
        "service-env-value-and-value-from", svc({"env": [ENV_BOTH]}), S, "schema.value_error"
    ),
    _service_case(
        "service-resources",
        svc({"resources": {"limits": {"amd.com/gpu": "1"}, "requests": {"memory": 68719476736}}}),
        A,
    ),
    _service_case(
        "service-resources-list",
        svc({"resources": {"limits": ["amd.com/gpu"]}}),
        R,
        "schema.dict_type",
    ),
    _service_case(
        "service-pod-fields",
        svc(
            {
                "imagePullSecrets": [{"name": "registry"}],
                "serviceAccountName": "inference",
                "priorityClassName": "high",
            }
        ),
        A,
    ),
    _service_case("service-cache-model-deprecated", svc({"cacheModel": True}), A),
    _service_case("service-unknown-field", svc({"gpus": 1}), R, "schema.extra_forbidden"),
    _service_case(
        "service-name-starts-with-digit",
        svc({}),
        S,
        "aimsync.service-name-letter",
        name="1chat",
    ),
    _service_case(
        "service-name-dots", svc({}), S, "schema.string_pattern_mismatch", name="chat.v2"
    ),
    _service_case(
        "service-name-uppercase", svc({}), R, "schema.string_pattern_mismatch", name="Chat"
    ),
    _service_case(
        "service-namespace-43-characters",
        svc({}),
        S,
        "aimsync.isvc-name-fits",
        namespace="long",
    ),
    Case(
        "service-spec-not-a-mapping",
        service("chat", ["profile"]),
        R,
        "schema.model_type",
    ),
    _service_case("service-replicas-zero", svc({"replicas": 0}), A),
    _service_case("service-profile-overrides-empty", svc({"profileOverrides": {}}), A),
    _service_case(
        "service-profile-name-with-null-selector",
        {"profile": {"name": PROFILE_NAME, "selector": None}},
        A,
    ),
    _service_case(
        "service-selector-empty", {"profile": {"selector": {}}}, R, "cel.selector-must-narrow"
    ),
    _service_case(
        "service-selector-origin-enum",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "origin": "generated"}}},
        R,
        "schema.literal_error",
    ),
    _service_case(
        "service-selector-engine-args-list",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "engineArgs": ["--x"]}}},
        R,
        "schema.dict_type",
    ),
    _service_case(
        "service-routing-disabled-without-gateway", svc({"routing": {"enabled": False}}), A
    ),
    _service_case(
        "service-routing-gateway-empty-group",
        svc(
            {
                "routing": {
                    "enabled": True,
                    "gatewayRef": {**GATEWAY, "group": "", "sectionName": "https.443"},
                }
            }
        ),
        A,
    ),
    _service_case(
        "service-routing-gateway-kind-pattern",
        svc({"routing": {"enabled": True, "gatewayRef": {**GATEWAY, "kind": "1Gateway"}}}),
        R,
        "schema.string_pattern_mismatch",
    ),
    _service_case(
        "service-routing-gateway-section-uppercase",
        svc({"routing": {"enabled": True, "gatewayRef": {**GATEWAY, "sectionName": "HTTPS"}}}),
        R,
        "schema.string_pattern_mismatch",
    ),
    _service_case(
        "service-routing-gateway-namespace-uppercase",
        svc({"routing": {"enabled": True, "gatewayRef": {**GATEWAY, "namespace": "Gateways"}}}),
        R,
        "schema.string_pattern_mismatch",
    ),
    _service_case(
        "service-routing-gateway-port-too-large",
        svc({"routing": {"enabled": True, "gatewayRef": {**GATEWAY, "port": 65536}}}),
        R,
        "schema.less_than_equal",
    ),
    _service_case(
        "service-routing-annotation-number",
        svc({"routing": {"annotations": {"example.com/a": 1}}}),
        R,
        "schema.string_type",
    ),
    _service_case(
        "service-routing-path-template",
        svc(
            {
                "routing": {
                    "enabled": True,
                    "gatewayRef": GATEWAY,
                    "pathTemplate": "/{.metadata.namespace}/{.metadata.name}",
                }
            }
        ),
        A,
    ),
    _service_case(
        "service-caching-mode-empty", svc({"caching": {"mode": ""}}), R, "schema.literal_error"
    ),
    _service_case(
        "service-storage-adapter-disk-size", svc({"storage": {"adapterDiskSize": "10Gi"}}), A
    ),
    _service_case(
        "service-storage-adapter-disk-size-malformed",
        svc({"storage": {"adapterDiskSize": "big"}}),
        R,
        "schema.quantity_format",
    ),
    _service_case(
        "service-download-filter-string",
        svc({"storage": {"downloadFilter": {"include": "*.json"}}}),
        R,
        "schema.list_type",
    ),
    _service_case(
        "service-replicas-over-int32", svc({"replicas": 2**31}), R, "schema.less_than_equal"
    ),
    _service_case("service-name-63-characters", svc({}), A, name="c" * 63),
    _service_case(
        "service-name-trailing-dash", svc({}), R, "schema.string_pattern_mismatch", name="chat-"
    ),
    Case(
        "service-without-spec",
        {"apiVersion": API_VERSION, "kind": "AIMService", "metadata": {"name": "chat"}},
        R,
        "schema.missing",
    ),
    Case(
        "service-top-level-unknown-field",
        {**service("chat", svc({})), "extra": 1},
        R,
        "schema.extra_forbidden",
    ),
    # The CRD accepts these and the README does not list them as deliberately stricter.
    _service_case(
        "service-routing-request-timeout-go-duration",
        svc({"routing": {"enabled": True, "gatewayRef": GATEWAY, "requestTimeout": "1.5s"}}),
        S,
        "aimsync.request-timeout",
    ),
    _service_case(
        "service-routing-path-template-unknown-field",
        svc(
            {
                "routing": {
                    "enabled": True,
                    "gatewayRef": GATEWAY,
                    "pathTemplate": "/{.spec.nothing}/chat",
                }
            }
        ),
        S,
        "aimsync.path-template",
    ),
    _service_case(
        "service-replicas-integral-float", svc({"replicas": 2.0}), A, defaults={"spec.replicas": 2}
    ),
    # null is pruned by the API server and the default applied (as for a YAML `replicas:`).
    _service_case(
        "service-replicas-null", {**BY_NAME, "replicas": None}, A, defaults={"spec.replicas": 1}
    ),
    _service_case(
        "service-selector-role-null",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "role": None}}},
        A,
        defaults={"spec.profile.selector.role": "deployable"},
    ),
    _service_case("service-selector-empty-aimid", {"profile": {"selector": {"aimId": ""}}}, A),
    _service_case("service-template-null", svc({"template": None}), A),
    _service_case(
        "service-resource-claims-duplicate",
        svc({"resources": {"claims": [{"name": "gpu"}, {"name": "gpu"}]}}),
        R,
    ),
    # Fields only the v0.2.5 CRDs have (crds.lock.json "alternatives"): the pinned e837778
    # CRDs, the schema aimsync targets, refuse them as unknown, and so does aimsync.
    _service_case(
        "service-caching-env",
        svc({"caching": {"mode": "Shared", "env": [SECRET_ENV]}}),
        R,
        "schema.extra_forbidden",
    ),
    _service_case(
        "service-selector-minimum-type",
        {"profile": {"selector": {"aimId": "qwen/qwen3-32b", "minimumType": "general"}}},
        R,
        "schema.extra_forbidden",
    ),
    _service_case(
        "service-routing-hostnames",
        svc(
            {"routing": {"enabled": True, "gatewayRef": GATEWAY, "hostnames": ["chat.example.com"]}}
        ),
        R,
        "schema.extra_forbidden",
    ),
]

CORPUS: list[Case] = PROFILE_CASES + CLUSTER_PROFILE_CASES + CACHE_CASES + SERVICE_CASES
