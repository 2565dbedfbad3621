"""Profile status from cluster facts (reference §5): resources, affinity, matching nodes."""

from __future__ import annotations

import pytest

from aimsync.api.profile import AIMClusterProfileSpec
from aimsync.core.facts import ClusterFacts, Node
from aimsync.resolve.profile_status import (
    compute_profile_status,
    hardware_summary,
    image_version,
    node_affinity_expressions,
    resolve_resources,
)
from tests.factories import gpu_profile, mi300x_node

PREFIX = "feature.node.kubernetes.io/aim-accelerator"


def spec(**fields: object) -> AIMClusterProfileSpec:
    return AIMClusterProfileSpec.model_validate(gpu_profile(**fields))


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("docker.io/amdenterpriseai/aim-qwen:0.8.5", "0.8.5"),
        ("aim-qwen", ""),
        ("registry:5000/aim-qwen", ""),
        ("registry:5000/aim-qwen:1.2", "1.2"),
        ("aim@sha256:abcd", ""),
    ],
)
def test_version_is_the_image_tag(image: str, version: str) -> None:
    assert image_version(image) == version


# TestResolveResources (aim-engine internal/v1alpha2/aimprofile/node_match_test.go at e837778):
# (name, type, count, spec.resources, model, engineEnv, expected requests). The device request
# is mirrored into the limits unless they give it.
RESOLVE_RESOURCES = [
    ("GPU count injected", "gpu", 4, None, None, None, {"amd.com/gpu": "4"}),
    ("CPU count injected", "cpu", 96, None, None, None, {"cpu": "96"}),
    ("explicit resources override derived count", "gpu", 4,
     {"requests": {"amd.com/gpu": 2}}, None, None, {"amd.com/gpu": "2"}),
    ("count merged with cpu/memory resources", "gpu", 1,
     {"requests": {"cpu": 8, "memory": "64Gi"}}, None, None,
     {"amd.com/gpu": "1", "cpu": "8", "memory": "64Gi"}),
    ("nil type nil count with resources passes through", None, 0,
     {"requests": {"cpu": 4}}, None, None, {"cpu": "4"}),
    ("no type no count no resources returns nil", None, 0, None, None, None, {}),
    ("zero count with no resources returns nil", "gpu", 0, None, None, None, {}),
    ("count without type returns nil", None, 4, None, None, None, {}),
    ("EPYC_9965 derives memory from VLLM_CPU_KVCACHE_SPACE", "cpu", 188, None, "EPYC_9965",
     {"VLLM_CPU_KVCACHE_SPACE": "80"}, {"cpu": "188", "memory": "160Gi"}),
    ("EPYC_9965 without VLLM_CPU_KVCACHE_SPACE uses default memory", "cpu", 188, None,
     "EPYC_9965", None, {"cpu": "188", "memory": "120Gi"}),
    ("EPYC_ZEN5 derives memory", "cpu", 124, None, "EPYC_ZEN5",
     {"VLLM_CPU_KVCACHE_SPACE": "40"}, {"cpu": "124", "memory": "80Gi"}),
    ("EPYC with explicit spec.resources memory preserves override", "cpu", 188,
     {"requests": {"memory": "256Gi"}}, "EPYC_9965", {"VLLM_CPU_KVCACHE_SPACE": "80"},
     {"cpu": "188", "memory": "256Gi"}),
    ("non-EPYC CPU profile does not derive memory", "cpu", 32, None, "GENERIC_CPU",
     {"VLLM_CPU_KVCACHE_SPACE": "40"}, {"cpu": "32"}),
    ("GPU profile with EPYC model prefix does not derive memory", "gpu", 4, None,
     "EPYC_FAKE_GPU", {"VLLM_CPU_KVCACHE_SPACE": "80"}, {"amd.com/gpu": "4"}),
]


@pytest.mark.parametrize(
    ("name", "kind", "count", "resources", "model", "engine_env", "expected"),
    RESOLVE_RESOURCES, ids=[row[0] for row in RESOLVE_RESOURCES],
)
def test_resolve_resources_as_the_operator(
    name: str, kind: str | None, count: int, resources: dict[str, object] | None,
    model: str | None, engine_env: dict[str, str] | None, expected: dict[str, str],
) -> None:
    requests, limits = resolve_resources(spec(
        acceleratorType=kind, acceleratorCount=count, acceleratorModel=model,
        resources=resources, engineEnv=engine_env,
    ))
    assert requests == expected
    device = {"gpu": "amd.com/gpu", "cpu": "cpu"}.get(kind or "")
    if device and count:
        assert limits[device] == requests[device]


@pytest.mark.parametrize(("kv_space", "memory"), [
    ("80", "160Gi"), ("40", "80Gi"), (None, "120Gi"), ("invalid", "120Gi"), ("0", "120Gi"),
    ("-10", "120Gi"),
])
def test_epyc_memory_from_the_kv_cache_space(kv_space: str | None, memory: str) -> None:
    """TestDeriveEPYCMemoryGi: 2 x VLLM_CPU_KVCACHE_SPACE GiB, 120Gi when not positive."""
    env = {"VLLM_CPU_KVCACHE_SPACE": kv_space} if kv_space is not None else None
    requests, limits = resolve_resources(spec(
        acceleratorType="cpu", acceleratorModel="EPYC_9965", acceleratorCount=8, engineEnv=env
    ))
    assert requests["memory"] == limits["memory"] == memory


def test_gpu_profiles_get_no_host_cpu_or_memory() -> None:
    """At e837778 the profile path adds no 4 CPU / 32Gi / 48Gi per GPU."""
    requests, limits = resolve_resources(spec(acceleratorCount=2))
    assert (requests, limits) == ({"amd.com/gpu": "2"}, {"amd.com/gpu": "2"})


def test_no_device_and_no_resources_gives_no_resources() -> None:
    status = compute_profile_status(
        spec(acceleratorType=None, acceleratorModel=None, acceleratorCount=None), ClusterFacts()
    )
    assert status.resources is None
    assert status.status == "Ready"  # nothing required
    assert status.hardware_summary == "CPU"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("unpartitioned", (f"{PREFIX}.partitioning-scheme.default", "Exists")),
        ("partitioned", (f"{PREFIX}.partitioning-scheme.default", "DoesNotExist")),
        ("CPX-NPS4", (f"{PREFIX}.partitioning-scheme.CPX-NPS4", "Exists")),
    ],
)
def test_affinity_terms(mode: str, expected: tuple[str, str]) -> None:
    expressions = node_affinity_expressions(spec(acceleratorPartitioningMode=mode))
    assert expressions[0] == {"key": f"{PREFIX}.MI300X", "operator": "Exists"}
    assert (expressions[1]["key"], expressions[1]["operator"]) == expected


def test_cpu_profiles_get_no_partition_term() -> None:
    expressions = node_affinity_expressions(
        spec(acceleratorType="cpu", acceleratorModel="EPYC_9965")
    )
    assert expressions == [{"key": f"{PREFIX}.EPYC_9965", "operator": "Exists"}]


def test_matching_nodes_need_labels_and_allocatable() -> None:
    facts = ClusterFacts(
        (
            Node.from_api(mi300x_node("big", gpus=8)),
            Node.from_api(mi300x_node("small", gpus=1)),
            Node.from_api(mi300x_node("cpx", gpus=8, partition="CPX-NPS4")),
        )
    )
    status = compute_profile_status(spec(acceleratorCount=4), facts)
    assert status.matching_nodes == 1
    assert status.status == "Ready"
    assert any("small" in r and "allocatable amd.com/gpu" in r for r in status.mismatch_reasons)
    assert any("cpx" in r and "partitioning-scheme.default" in r for r in status.mismatch_reasons)


def test_no_matching_node_means_not_available() -> None:
    status = compute_profile_status(spec(acceleratorModel="MI325X"), ClusterFacts(()))
    assert status.status == "NotAvailable"
    assert status.matching_nodes == 0
    assert status.conditions[-1].reason == "HardwareNotAvailable"


def test_unknown_facts_treat_profiles_as_available() -> None:
    status = compute_profile_status(spec(), ClusterFacts.unknown())
    assert status.status == "Ready"
    assert status.matching_nodes is None


@pytest.mark.parametrize(
    ("fields", "summary"),
    [({"acceleratorCount": 2}, "2 x MI300X"), ({"acceleratorCount": 0}, "MI300X"),
     ({"acceleratorModel": None}, "1 x GPU")],
)
def test_hardware_summary(fields: dict[str, object], summary: str) -> None:
    assert hardware_summary(spec(**fields)) == summary
