"""A profile's status computed from cluster facts, as the profile reconciler does (reference §5).

version from the image tag, resources (device resource plus host defaults), the required node
affinity, how many nodes match, a hardware summary, conditions, and Ready / NotAvailable.
"""

from __future__ import annotations

from msgspec import Struct, field

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.core.facts import ClusterFacts, Node
from aimsync.core.quantity import parse_quantity

NODE_LABEL_PREFIX = "feature.node.kubernetes.io/aim-accelerator"
AMD_GPU = "amd.com/gpu"
HOST_RESOURCES = ("cpu", "memory", "ephemeral-storage")
SLICES = {"": 1, "unpartitioned": 1, "spx": 1, "dpx": 2, "qpx": 4, "cpx": 8}
MAX_MISMATCH_REASONS = 5

ResourceMap = dict[str, str]


class StatusCondition(Struct, frozen=True):
    """A condition without timestamps (the observe stage adds lastTransitionTime)."""

    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str


class ProfileStatus(Struct, frozen=True):
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
    """(requests, limits) of the profile's status: `ResolveResources` (aim-engine
    internal/v1alpha2/aimprofile/node_match.go at e837778).

    The spec's resources, plus the device: `amd.com/gpu` (a GPU profile) or `cpu` (a CPU
    profile) of acceleratorCount, in the requests unless given and mirrored into the limits
    unless given; an EPYC CPU profile without a memory request gets 2 x VLLM_CPU_KVCACHE_SPACE
    GiB (120Gi when that is not a positive number). No host CPU or memory per GPU at e837778.
    """
    requests: ResourceMap = {}
    limits: ResourceMap = {}
    if spec.resources:
        requests = {k: _quantity_text(v) for k, v in (spec.resources.requests or {}).items()}
        limits = {k: _quantity_text(v) for k, v in (spec.resources.limits or {}).items()}
    count = spec.accelerator_count or 0
    device = {"gpu": AMD_GPU, "cpu": "cpu"}.get(spec.accelerator_type or "") if count > 0 else None
    if device:
        requests.setdefault(device, str(count))
        # Mirrored from the request: a limit that differs from the request of an extended
        # resource (amd.com/gpu) is refused by Kubernetes.
        limits.setdefault(device, requests[device])
    epyc = (spec.accelerator_model or "").startswith("EPYC")  # case-sensitive, as in Go
    if spec.accelerator_type == "cpu" and epyc and "memory" not in requests:
        kv_space = (spec.engine_env or {}).get("VLLM_CPU_KVCACHE_SPACE", "")
        gib = int(kv_space) if kv_space.strip().isdigit() and int(kv_space) > 0 else 60
        requests["memory"] = f"{2 * gib}Gi"
        limits.setdefault("memory", requests["memory"])
    return requests, limits


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
