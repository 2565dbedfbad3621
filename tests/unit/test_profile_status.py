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


def test_gpu_host_defaults_per_gpu() -> None:
    requests, limits = resolve_resources(spec(acceleratorCount=2))
    assert requests == {"amd.com/gpu": "2", "cpu": "8", "memory": "64Gi"}
    assert limits == {"amd.com/gpu": "2", "memory": "96Gi"}  # no CPU limit


def test_cpx_partitions_divide_host_defaults_by_eight() -> None:
    requests, limits = resolve_resources(spec(acceleratorPartitioningMode="CPX-NPS4"))
    assert requests == {"amd.com/gpu": "1", "cpu": "500m", "memory": "4Gi"}
    assert limits == {"amd.com/gpu": "1", "memory": "6Gi"}


def test_partitioned_mode_gets_no_host_defaults() -> None:
    requests, limits = resolve_resources(spec(acceleratorPartitioningMode="partitioned"))
    assert requests == {"amd.com/gpu": "1"}
    assert limits == {"amd.com/gpu": "1"}


def test_explicit_values_are_kept_and_cap_generated_requests() -> None:
    requests, limits = resolve_resources(
        spec(resources={"requests": {"memory": "100Gi"}, "limits": {"cpu": "2"}})
    )
    assert requests["memory"] == "100Gi"
    assert requests["cpu"] == "2"  # 4 per GPU, capped by the explicit limit
    assert limits["memory"] == "100Gi"  # raised to the request


def test_gpu_limit_only_is_used_as_the_request() -> None:
    requests, _ = resolve_resources(spec(resources={"limits": {"amd.com/gpu": 4}}))
    assert requests["amd.com/gpu"] == "4"


def test_epyc_cpu_profile_memory_from_kv_cache_space() -> None:
    requests, limits = resolve_resources(
        spec(acceleratorType="cpu", acceleratorModel="EPYC_9965", acceleratorCount=16,
             engineEnv={"VLLM_CPU_KVCACHE_SPACE": "40"})
    )
    assert requests == {"cpu": "16", "memory": "80Gi"}
    assert limits == {"cpu": "16", "memory": "80Gi"}


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
