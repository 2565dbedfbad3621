"""The operator's naming function: the test vectors of reference §3.1, and the InferenceService
name as `GenerateInferenceServiceName` makes it at e837778 (aim-engine
internal/v1alpha1/aimservice/kserve.go, 57e6de1 version; its tests in kserve_test.go)."""

from __future__ import annotations

import pytest

from aimsync.core.naming import (
    artifact_name,
    generate_derived_name,
    http_route_name,
    inference_service_name,
    make_rfc1123_compliant,
    profile_configmap_name,
    shared_profile_cache_name,
)

# (service, namespace, InferenceService at e837778, HTTPRoute at e837778): the ISVC hashes
# (namespace, service), the route still the namespace alone, so the two names differ.
NAME_VECTORS = [
    ("my-service", "my-namespace", "my-service-bba30f96", "my-service-783d2dc1"),
    ("very-long-service-name-that-might-exceed-kubernetes-limits", "default",
     "very-long-service-name-that-might-ex-2f5e28ff",
     "very-long-service-name-that-might-exceed-kubernetes-li-1080a608"),
    ("svc", "ns", "svc-3277ef9d", "svc-e2c6bafc"),
    ("qwen-chat", "ml-team", "qwen-chat-faa5534a", "qwen-chat-a04542d9"),
    ("a-very-long-service-name-for-testing-limits-x", "team-a",
     "a-very-long-service-name-for-testing-ed1adea3",
     "a-very-long-service-name-for-testing-limits-x-e204f50a"),
    ("qwen-chat", "default", "qwen-chat-d9485993", "qwen-chat-1080a608"),
]


@pytest.mark.parametrize(("service", "namespace", "isvc", "route"), NAME_VECTORS)
def test_isvc_and_route_names_follow_the_operator(
    service: str, namespace: str, isvc: str, route: str
) -> None:
    assert inference_service_name(service, namespace) == isvc
    assert http_route_name(service, namespace) == route


@pytest.mark.parametrize(("service", "namespace", "contains"), [
    ("my-service", "my-namespace", "my-service"),  # TestGenerateInferenceServiceName rows
    ("very-long-service-name-that-might-exceed-kubernetes-limits", "default", ""),
])
def test_isvc_name_fits_63_characters(service: str, namespace: str, contains: str) -> None:
    name = inference_service_name(service, namespace)
    assert contains in name and len(name) <= 63
    assert len(f"{name}-predictor-{namespace}") <= 63


def test_isvc_name_is_deterministic() -> None:  # TestGenerateInferenceServiceName_Deterministic
    assert inference_service_name("svc", "ns") == inference_service_name("svc", "ns")


def test_isvc_names_do_not_collide_in_a_long_namespace() -> None:
    """TestGenerateInferenceServiceName_NoCollisionInLongNamespace: 40 characters leave 12
    for the name, so both are cut to `wb`; the hash of (namespace, service) tells them apart."""
    namespace = "qa-another-long-project-name-that-is-max"
    first = inference_service_name("wb-aim-c4b421e5", namespace)
    second = inference_service_name("wb-aim-7adf99e9", namespace)
    assert (first, second) == ("wb-a8de5ee1", "wb-d11d801f")


def test_isvc_names_differ_per_namespace() -> None:  # ..._DistinctNamespaces
    assert inference_service_name("svc", "ns-one") != inference_service_name("svc", "ns-two")


def test_shared_profile_cache_name_vector() -> None:
    assert (
        shared_profile_cache_name("qwen-qwen3-32b-mi300x-fp8-latency", "ml-team", "Namespace")
        == "qwen-qwen3-32b-mi300x-fp8-latency-cache-bf2cdc2e"
    )


def test_earliest_profile_cache_scheme_vector() -> None:
    assert (
        generate_derived_name(["qwen-qwen3-32b-mi300x-fp8-latency", "cache"], ["ml-team"])
        == "qwen-qwen3-32b-mi300x-fp8-latency-cache-a04542d9"
    )


def test_artifact_name_vector_without_env() -> None:
    name = artifact_name("hf://Qwen/Qwen3-32B-FP8", None, "")
    assert name == "hf---qwen-qwen3-32b-fp8-c6782ee37e"


def test_artifact_name_vector_with_secret_env() -> None:
    secret = {"secretKeyRef": {"name": "hf-token", "key": "token"}}
    env = [{"name": "HF_TOKEN", "valueFrom": secret}]
    assert artifact_name("hf://Qwen/Qwen3-32B-FP8", env, "") == "hf---qwen-qwen3-32b-fp8-5402c53982"


def test_profile_configmap_name_vector() -> None:
    assert profile_configmap_name("qwen-chat") == "qwen-chat-profile-1e27bbb7"


def test_runtime_name_vector() -> None:
    profile = "qwen-qwen3-32b-mi300x-fp8-latency"
    assert (
        generate_derived_name(["aim", profile], [profile])
        == "aim-qwen-qwen3-32b-mi300x-fp8-latency-7c8d6524"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("hf://a/b", "hf---a-b"), ("--Ab_C--", "ab-c"), ("x" * 70, "x" * 63), ("", "")],
)
def test_rfc1123_compliance(raw: str, expected: str) -> None:
    assert make_rfc1123_compliant(raw) == expected


def test_namespace_too_long_for_isvc_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="at most 42 characters"):
        inference_service_name("chat", "n" * 43)
    assert len(inference_service_name("chat", "n" * 42)) == 10  # 10 characters left


def test_remembered_names_tell_hash_inputs_of_other_types_apart() -> None:
    assert generate_derived_name(["a"], [1]) != generate_derived_name(["a"], [True])
    assert generate_derived_name(["a"], [1]) != generate_derived_name(["a"], [1.0])
    assert generate_derived_name(["a"], [0.0]) != generate_derived_name(["a"], [-0.0])


def test_a_name_with_structured_hash_inputs_is_the_same_as_asked_twice() -> None:
    inputs: list[object] = [{"b": 1, "a": [1, 2]}, "x"]
    assert generate_derived_name(["p"], inputs) == generate_derived_name(["p"], inputs)
