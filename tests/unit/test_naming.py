"""The operator's naming function: the test vectors of reference §3.1."""

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


def test_isvc_name_vector() -> None:
    assert inference_service_name("qwen-chat", "ml-team") == "qwen-chat-a04542d9"


def test_isvc_name_is_cut_to_fit_the_predictor_name() -> None:
    name = inference_service_name("a-very-long-service-name-for-testing-limits-x", "team-a")
    assert name == "a-very-long-service-name-for-testing-e204f50a"
    assert len(name) <= 52 - len("team-a")  # cut, then the trailing "-" trimmed


def test_http_route_name_matches_isvc_name_when_short() -> None:
    assert http_route_name("qwen-chat", "ml-team") == "qwen-chat-a04542d9"


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
    assert inference_service_name("chat", "n" * 42) == "c-70a2a165"  # 10 characters left
