"""AIMProfile (namespaced) and AIMClusterProfile (cluster-scoped): reference §1.3."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from aimsync.api.base import (
    ACCELERATOR_NAME,
    MODEL_ID,
    SOURCE_URI,
    APIModel,
    Int32,
    Int64,
    NonNegInt32,
    Quantity,
)
from aimsync.api.common import (
    Condition,
    EnvVar,
    LocalObjectReference,
    ResourceRequirements,
    unique_env_names,
)
from aimsync.api.metadata import ObjectMeta

Metric = Literal["latency", "throughput"]
# The CRD intersects two enums; `auto` (allowed by the first) is therefore refused.
Precision = Literal["fp4", "fp8", "fp16", "fp32", "bf16", "int4", "int8"]
ProfileType = Literal["optimized", "general", "preview", "unoptimized"]
AcceleratorType = Literal["gpu", "cpu"]
ProfileStatusValue = Literal[
    "Pending", "Progressing", "Ready", "Degraded", "Failed", "NotAvailable"
]
AcceleratorName = Annotated[str, Field(max_length=63, pattern=ACCELERATOR_NAME)]
EnvList = Annotated[list[EnvVar], AfterValidator(unique_env_names)]


class AIMModelSource(APIModel):
    model_id: Annotated[str, Field(pattern=MODEL_ID)]
    source_uri: Annotated[str, Field(pattern=SOURCE_URI)]
    size: Quantity | None = None
    precision: Precision | None = None
    env: EnvList | None = None


def _unique_features(features: list[str]) -> list[str]:
    if len(set(features)) != len(features):
        raise ValueError("features is a set: each entry may appear only once")
    return features


class AIMProfileSpecCommon(APIModel):
    image: Annotated[str, Field(min_length=1)]
    primary: bool = False
    aim_id: str | None = None
    model_id: str | None = None
    profile_id: str | None = None
    engine: str | None = None
    metric: Metric | None = None
    precision: Precision | None = None
    type: ProfileType | None = None
    manual_selection_only: bool = False
    engine_args: dict[str, Any] | None = None
    engine_env: dict[str, str] | None = None
    accelerator_model: AcceleratorName | None = None
    accelerator_type: AcceleratorType | None = None
    accelerator_count: NonNegInt32 | None = None
    accelerator_partitioning_mode: AcceleratorName = "unpartitioned"
    resources: ResourceRequirements | None = None
    model_sources: list[AIMModelSource] | None = None
    container_env: EnvList | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    service_account_name: str | None = None
    features: Annotated[list[str], AfterValidator(_unique_features)] | None = None

    @property
    def is_deployable(self) -> bool:
        """A base profile (no aimId, no modelSources) can never be deployed (reference §2.6)."""
        return bool(self.aim_id) and bool(self.model_sources)


class AIMProfileCachingConfig(APIModel):
    enabled: bool = False
    env: EnvList | None = None


class AIMProfileSpec(AIMProfileSpecCommon):
    caching: AIMProfileCachingConfig | None = None


class AIMClusterProfileSpec(AIMProfileSpecCommon):
    pass


class NodeSelectorRequirement(APIModel):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[str] | None = None


class NodeSelectorTerm(APIModel):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(APIModel):
    node_selector_terms: list[NodeSelectorTerm]


class PreferredSchedulingTerm(APIModel):
    weight: Int32
    preference: NodeSelectorTerm


class NodeAffinity(APIModel):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: (
        list[PreferredSchedulingTerm] | None
    ) = None


class SourceModelRef(APIModel):
    kind: Literal["AIMModel", "AIMClusterModel"]
    name: str
    namespace: str | None = None


class AIMProfileStatus(APIModel):
    deployable: bool = False
    observed_generation: Int64 | None = None
    status: ProfileStatusValue = "Pending"
    version: str | None = None
    base_image: str | None = None
    matching_nodes: Int32 | None = None
    hardware_summary: str | None = None
    origin: Literal["discovered", "derived", "user-authored"] | None = None
    source_model: SourceModelRef | None = None
    resources: ResourceRequirements | None = None
    resolved_node_affinity: NodeAffinity | None = None
    conditions: list[Condition] | None = None


class AIMProfile(APIModel):
    api_version: Literal["aim.eai.amd.com/v1alpha2"]
    kind: Literal["AIMProfile"]
    metadata: ObjectMeta
    spec: AIMProfileSpec
    status: AIMProfileStatus | None = None


class AIMClusterProfile(APIModel):
    api_version: Literal["aim.eai.amd.com/v1alpha2"]
    kind: Literal["AIMClusterProfile"]
    metadata: ObjectMeta
    spec: AIMClusterProfileSpec
    status: AIMProfileStatus | None = None

