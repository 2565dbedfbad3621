"""A profile's status computed from cluster facts, as the profile reconciler does (reference §5).

version from the image tag, resources (device resource plus host defaults), the required node
affinity, how many nodes match, a hardware summary, conditions, and Ready / NotAvailable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.core.facts import ClusterFacts, Node
from aimsync.core.quantity import GIB, format_bytes, format_cpu, parse_quantity

NODE_LABEL_PREFIX = "feature.node.kubernetes.io/aim-accelerator"
AMD_GPU = "amd.com/gpu"
HOST_RESOURCES = ("cpu", "memory", "ephemeral-storage")
SLICES = {"": 1, "unpartitioned": 1, "spx": 1, "dpx": 2, "qpx": 4, "cpx": 8}
MAX_MISMATCH_REASONS = 5

ResourceMap = dict[str, str]


@dataclass(frozen=True)
class StatusCondition:
    """A condition without timestamps (the observe stage adds lastTransitionTime)."""

    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str


@dataclass(frozen=True)
class ProfileStatus:
    status: str  # Ready | NotAvailable
    version: str
    deployable: bool
    requests: ResourceMap = field(default_factory=dict)
    limits: ResourceMap = field(default_factory=dict)
    node_affinity: dict[str, object] | None = None
    matching_nodes: int | None = None  # None when the cluster's nodes are not known
    hardware_summary: str = ""
    conditions: tuple[StatusCondition, ...] = ()
    mismatch_reasons: tuple[str, ...] = ()

    @property
    def resources(self) -> dict[str, ResourceMap] | None:
        if not self.requests and not self.limits:
            return None
        out: dict[str, ResourceMap] = {}
        if self.limits:
            out["limits"] = dict(sorted(self.limits.items()))
        if self.requests:
            out["requests"] = dict(sorted(self.requests.items()))
        return out


def image_version(image: str) -> str:
    """The tag after the last ':' — not for digests, nor for `registry:port/image`."""
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return ""
    return last.rsplit(":", 1)[1]


def _slices(mode: str) -> int | None:
    """Partitions per physical GPU; None for 'partitioned' or an unknown scheme."""
    scheme = mode.lower().split("-", 1)[0]
    return SLICES.get(scheme)


def _quantity_text(value: int | str) -> str:
    return str(value)


def resolve_resources(spec: AIMProfileSpecCommon) -> tuple[ResourceMap, ResourceMap]:
    """(requests, limits) the profile needs: `ResolveProfileResources` (reference §5)."""
    requests: ResourceMap = {}
    limits: ResourceMap = {}
    if spec.resources:
        requests = {k: _quantity_text(v) for k, v in (spec.resources.requests or {}).items()}
        limits = {k: _quantity_text(v) for k, v in (spec.resources.limits or {}).items()}
    count = spec.accelerator_count or 0
    device = None
    if spec.accelerator_type == "gpu" and count > 0:
        device = AMD_GPU
    elif spec.accelerator_type == "cpu" and count > 0:
        device = "cpu"
    if device:
        if device not in requests:
            requests[device] = limits.get(device, str(count)) if device == AMD_GPU else str(
                count
            )
        if device not in limits and device == AMD_GPU:
            limits[device] = requests[device]
        if device == "cpu" and "cpu" not in limits:
            limits["cpu"] = requests["cpu"]
    if device == AMD_GPU:
        _add_gpu_host_defaults(spec, count, requests, limits)
    if (
        spec.accelerator_type == "cpu"
        and (spec.accelerator_model or "").upper().startswith("EPYC")
        and "memory" not in requests
        and "memory" not in limits
    ):
        kv_space = (spec.engine_env or {}).get("VLLM_CPU_KVCACHE_SPACE", "")
        memory = f"{2 * int(kv_space)}Gi" if kv_space.isdigit() else "120Gi"
        requests["memory"] = memory
        limits["memory"] = memory
    return requests, limits


def _add_gpu_host_defaults(
    spec: AIMProfileSpecCommon, count: int, requests: ResourceMap, limits: ResourceMap
) -> None:
    slices = _slices(spec.accelerator_partitioning_mode or "")
    if slices is None:
        return  # `partitioned` or an unknown scheme: no host defaults

    def capped(name: str, wanted: Decimal) -> Decimal:
        # Generated requests never exceed an explicit limit.
        if name in limits:
            return min(wanted, parse_quantity(limits[name]))
        return wanted

    if "cpu" not in requests:
        millicores = math.ceil(Decimal(count * 4000) / slices)
        requests["cpu"] = format_cpu(capped("cpu", Decimal(millicores) / 1000))
    if "memory" not in requests:
        requests["memory"] = format_bytes(capped("memory", Decimal(count * 32 * GIB) / slices))
    if "memory" not in limits:
        limit = Decimal(count * 48 * GIB) / slices
        limits["memory"] = format_bytes(max(limit, parse_quantity(requests["memory"])))


def node_affinity_expressions(spec: AIMProfileSpecCommon) -> list[dict[str, str]]:
    expressions: list[dict[str, str]] = []
    if spec.accelerator_model:
        expressions.append(
            {"key": f"{NODE_LABEL_PREFIX}.{spec.accelerator_model}", "operator": "Exists"}
        )
    if expressions and spec.accelerator_type == "gpu":
        mode = spec.accelerator_partitioning_mode or ""
        base = f"{NODE_LABEL_PREFIX}.partitioning-scheme"
        if mode in ("", "unpartitioned"):
            expressions.append({"key": f"{base}.default", "operator": "Exists"})
        elif mode == "partitioned":
            expressions.append({"key": f"{base}.default", "operator": "DoesNotExist"})
        else:
            expressions.append({"key": f"{base}.{mode.upper()}", "operator": "Exists"})
    return expressions


def has_accelerator_requirement(spec: AIMProfileSpecCommon) -> bool:
    if spec.accelerator_model or (spec.accelerator_count or 0) > 0:
        return True
    if spec.resources:
        named = set(spec.resources.requests or {}) | set(spec.resources.limits or {})
        return any(name not in HOST_RESOURCES for name in named)
    return False


def node_mismatch(
    node: Node, expressions: list[dict[str, str]], requests: ResourceMap
) -> str | None:
    """Why `node` cannot run the profile, or None when it can."""
    for expression in expressions:
        present = expression["key"] in node.labels
        if expression["operator"] == "Exists" and not present:
            return f"node {node.name}: no label {expression['key']}"
        if expression["operator"] == "DoesNotExist" and present:
            return f"node {node.name}: has label {expression['key']}"
    for name, value in sorted(requests.items()):
        available = node.allocatable.get(name)
        if available is not None and available < parse_quantity(value):
            return f"node {node.name}: allocatable {name} is {available}, needs {value}"
    return None


def hardware_summary(spec: AIMProfileSpecCommon) -> str:
    count = spec.accelerator_count or 0
    if spec.accelerator_model:
        return f"{count} x {spec.accelerator_model}" if count > 0 else spec.accelerator_model
    if spec.accelerator_type == "gpu" and count > 0:
        return f"{count} x GPU"
    return "CPU"


def compute_profile_status(spec: AIMProfileSpecCommon, facts: ClusterFacts) -> ProfileStatus:
    requests, limits = resolve_resources(spec)
    expressions = node_affinity_expressions(spec)
    affinity: dict[str, object] | None = None
    if expressions:
        affinity = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]
            }
        }
    deployable = spec.is_deployable
    conditions = [
        StatusCondition("Deployable", "True", "Deployable", "profile has aimId and modelSources")
        if deployable
        else StatusCondition(
            "Deployable", "False", "BaseProfile", "base profile: no aimId and modelSources"
        )
    ]
    requirement = has_accelerator_requirement(spec)
    matching: int | None = None
    reasons: list[str] = []
    status = "Ready"
    if not requirement:
        conditions.append(
            StatusCondition(
                "HardwareAvailable", "True", "NoAcceleratorSpecified", "no accelerator required"
            )
        )
    elif facts.known:
        matching = 0
        for node in facts.nodes:
            why = node_mismatch(node, expressions, requests)
            if why is None:
                matching += 1
            elif len(reasons) < MAX_MISMATCH_REASONS:
                reasons.append(why)
        if matching:
            conditions.append(
                StatusCondition(
                    "HardwareAvailable", "True", "HardwareAvailable",
                    f"{matching} node(s) match {hardware_summary(spec)}",
                )
            )
        else:
            status = "NotAvailable"
            conditions.append(
                StatusCondition(
                    "HardwareAvailable", "False", "HardwareNotAvailable",
                    f"no node matches {hardware_summary(spec)}"
                    + (": " + "; ".join(reasons) if reasons else ""),
                )
            )
    return ProfileStatus(
        status=status,
        version=image_version(spec.image),
        deployable=deployable,
        requests=requests,
        limits=limits,
        node_affinity=affinity,
        matching_nodes=matching,
        hardware_summary=hardware_summary(spec),
        conditions=tuple(conditions),
        mismatch_reasons=tuple(reasons),
    )
