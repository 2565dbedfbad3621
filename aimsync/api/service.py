"""AIMService: resolves a profile and runs it as a KServe InferenceService (reference §1.5).

Fields that aimsync does not implement (`model`, `template`, `overrides`, `adapters`,
`adapterRuntime`) are typed loosely here on purpose: the validation stage refuses them with a
message that says so, instead of a schema error about their insides.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from aimsync.api.base import (
    DNS1123_LABEL,
    DNS1123_SUBDOMAIN,
    APIModel,
    Int32,
    Int64,
    NonNegInt32,
    PositiveInt32,
    Quantity,
)
from aimsync.api.common import (
    Condition,
    LocalObjectReference,
    ResolvedReference,
    ResourceRequirements,
)
from aimsync.api.metadata import ObjectMeta
from aimsync.api.profile import (
    AcceleratorType,
    AIMModelSource,
    EnvList,
    Metric,
    ProfileType,
)

CachingMode = Literal["Dedicated", "Shared", "Auto", "Always", "Never"]
# Selector precision allows `auto` (a single enum in the CRD, unlike the profile field).
SelectorPrecision = Literal["auto", "fp4", "fp8", "fp16", "fp32", "bf16", "int4", "int8"]
ServiceStatusValue = Literal["Pending", "Starting", "Running", "Degraded", "Failed"]


class ModelRef(APIModel):
    name: Annotated[str, Field(min_length=1)]
    scope: Literal["Auto", "Namespace", "Cluster"] = "Auto"


class ProfileSelector(APIModel):
    aim_id: str | None = None
    model_id: str | None = None
    profile_id: str | None = None
    engine: str | None = None
    metric: Metric | None = None
    precision: SelectorPrecision | None = None
    type: ProfileType | None = None
    accelerator_model: str | None = None
    accelerator_partitioning_mode: str | None = None
    accelerator_type: AcceleratorType | None = None
    accelerator_count: Int32 | None = None
    engine_args: dict[str, Any] | None = None
    model_ref: ModelRef | None = None
    origin: Literal["discovered", "derived", "user-authored"] | None = None
    role: Literal["base", "deployable"] = "deployable"


class AIMServiceProfileConfig(APIModel):
    name: Annotated[str, Field(min_length=1)] | None = None
    selector: ProfileSelector | None = None


class AIMServiceProfileOverrides(APIModel):
    accelerator_count: Int32 | None = None
    accelerator_model: str | None = None
    accelerator_partitioning_mode: str | None = None
    container_env: EnvList | None = None
    engine_args: dict[str, Any] | None = None
    engine_env: dict[str, str] | None = None
    model_sources: list[AIMModelSource] | None = None


class AIMServiceCaching(APIModel):
    mode: CachingMode = "Shared"

    @property
    def effective_mode(self) -> Literal["Shared", "Dedicated"]:
        """Legacy values: Always/Auto mean Shared, Never means Dedicated."""
        return "Dedicated" if self.mode in ("Dedicated", "Never") else "Shared"


class DownloadFilter(APIModel):
    include: list[str] | None = None
    exclude: list[str] | None = None


class AIMServiceStorage(APIModel):
    default_storage_class_name: str | None = None
    pvc_headroom_percent: NonNegInt32 = 10
    adapter_disk_size: Quantity | None = None
    adapter_disk_storage_class_name: str | None = None
    download_filter: DownloadFilter | None = None


class GatewayParentRef(APIModel):
    name: Annotated[str, Field(min_length=1, max_length=253)]
    group: Annotated[str, Field(max_length=253, pattern=r"^$|" + DNS1123_SUBDOMAIN[1:])] = (
        "gateway.networking.k8s.io"
    )
    kind: Annotated[
        str, Field(min_length=1, max_length=63, pattern=r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")
    ] = "Gateway"
    namespace: Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)] | None = (
        None
    )
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    section_name: (
        Annotated[str, Field(min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN)] | None
    ) = None


class AIMServiceRouting(APIModel):
    enabled: bool | None = None
    gateway_ref: GatewayParentRef | None = None
    path_template: str | None = None
    request_timeout: str | None = None
    annotations: dict[str, str] | None = None


class AIMServicePodMetric(APIModel):
    """Which metric the scaler queries. The CRD's rule "query or metricNames" is checked by the
    validation stage (validate/rules.py), like the other CEL rules."""

    backend: Literal["opentelemetry"] = "opentelemetry"
    server_address: str | None = None
    metric_names: list[str] | None = None
    query: str | None = None
    operation_over_time: str | None = None  # last_one, avg, max, min, rate, count (no enum)


class AIMServiceMetricTarget(APIModel):
    type: Literal["Value", "AverageValue", "Utilization"]
    value: str | None = None  # a quantity as text (the CRD types it as a plain string)
    average_value: str | None = None
    average_utilization: Int32 | None = None


class AIMServicePodMetricSource(APIModel):
    metric: AIMServicePodMetric
    target: AIMServiceMetricTarget


class AIMServiceMetricsSpec(APIModel):
    type: Literal["PodMetric"]
    # The CRD spells it `podmetric`, all lowercase (KServe's MetricsSpec does the same).
    podmetric: AIMServicePodMetricSource | None = None


class AIMServiceAutoScaling(APIModel):
    """KEDA autoscaling (`spec.autoScaling`): the user's triggers and KEDA timings."""

    metrics: list[AIMServiceMetricsSpec] | None = None
    polling_interval: PositiveInt32 | None = None
    cooldown_period: NonNegInt32 | None = None


class AIMServiceSpec(APIModel):
    profile: AIMServiceProfileConfig | None = None
    profile_overrides: AIMServiceProfileOverrides | None = None
    caching: AIMServiceCaching | None = None
    cache_model: bool | None = None  # deprecated, ignored by the operator too
    replicas: Int32 = 1
    min_replicas: NonNegInt32 | None = None
    max_replicas: PositiveInt32 | None = None
    auto_scaling: AIMServiceAutoScaling | None = None
    runtime_config_name: str | None = None
    storage: AIMServiceStorage | None = None
    routing: AIMServiceRouting | None = None
    env: EnvList | None = None
    resources: ResourceRequirements | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    service_account_name: str | None = None
    priority_class_name: str | None = None
    adapter_mode: Literal["static", "dynamic"] = "static"
    # Not implemented by aimsync; refused by the validation stage with a clear message.
    model: Any = None
    template: Any = None
    overrides: Any = None
    adapters: Any = None
    adapter_runtime: Any = None

    @property
    def caching_mode(self) -> Literal["Shared", "Dedicated"]:
        return self.caching.effective_mode if self.caching else "Shared"

    @property
    def has_autoscaling(self) -> bool:
        """The operator's `hasAutoscaling`: any of autoScaling, minReplicas, maxReplicas set
        hands the replicas to KEDA (a ScaledObject); otherwise `replicas` is fixed."""
        return (
            self.auto_scaling is not None
            or self.min_replicas is not None
            or self.max_replicas is not None
        )


class AIMServiceRuntimeStatus(APIModel):
    current_replicas: Int32
    desired_replicas: Int32
    min_replicas: Int32
    max_replicas: Int32
    replicas: str | None = None


class AIMServiceCacheStatus(APIModel):
    profile_cache_ref: ResolvedReference | None = None
    template_cache_ref: ResolvedReference | None = None
    retry_attempts: Int64 | None = None


class AIMServiceRoutingStatus(APIModel):
    path: str | None = None


class AIMServiceStatus(APIModel):
    observed_generation: Int64 | None = None
    conditions: list[Condition] | None = None
    status: ServiceStatusValue = "Pending"
    resolved_profile: ResolvedReference | None = None
    resolved_model: ResolvedReference | None = None
    resolved_runtime_config: ResolvedReference | None = None
    resolved_template: ResolvedReference | None = None
    cache: AIMServiceCacheStatus | None = None
    routing: AIMServiceRoutingStatus | None = None
    runtime: AIMServiceRuntimeStatus | None = None


class AIMService(APIModel):
    api_version: Literal["aim.eai.amd.com/v1alpha2"]
    kind: Literal["AIMService"]
    metadata: ObjectMeta
    spec: AIMServiceSpec
    status: AIMServiceStatus | None = None
