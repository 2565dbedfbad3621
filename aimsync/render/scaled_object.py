"""The KEDA ScaledObject of an autoscaled service (`planScaledObject`, scaledobject.go@57e6de1,
the version aim-engine e837778 runs).

With `autoscalerClass: external` KServe writes no scaler: this ScaledObject on the predictor
Deployment is the only thing that scales the service. Its triggers are the gateway
activation trigger (only with minReplicas 0, the one metric that exists at zero replicas)
and one trigger per usable `spec.autoScaling.metrics` entry (1 -> N). No trigger, no
ScaledObject: KEDA refuses one without triggers.

The operator reads two knobs from its own environment (`AIM_KEDA_OTEL_SCALER_ADDRESS`,
`AIM_COOLDOWN_SECONDS_PER_GI_MEMORY`); aimsync has no operator process, so they are
parameters here with the operator's defaults. Like every derived object, the ScaledObject
has no ownerReference (there is no AIMService in the cluster to own it): aimsync tracks it by
its labels and the inventory.
"""

from __future__ import annotations

from collections.abc import Mapping

from aimsync.api.service import AIMService, AIMServiceMetricsSpec, AIMServiceMetricTarget
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.quantity import GIB, QuantityError, parse_quantity
from aimsync.render.desired import ReplicaBounds
from aimsync.render.inference_service import predictor_name, predictor_resources
from aimsync.render.labels import SERVICE_LABEL, base_labels, sanitize_label_value
from aimsync.resolve.profile_status import ProfileStatus
from aimsync.settings import AutoscalingSettings

KEDA_API = "keda.sh/v1alpha1"
# constants.go@e837778
# The operator's defaults (not the CRD docs' :4317); aimsync.yaml `autoscaling` sets them.
DEFAULT_SCALER_ADDRESS = AutoscalingSettings().scaler_address
DEFAULT_COOLDOWN_SECONDS_PER_GIB = AutoscalingSettings().cooldown_seconds_per_gi_memory
GATEWAY_ACTIVATION_TARGET_VALUE = "1000"
GATEWAY_ACTIVATION_OPERATION_OVER_TIME = "avg"
# The Envoy counter the cluster's OTel collector forwards to the scaler (scaledobject.go).
GATEWAY_ACTIVATION_METRIC = "envoy_cluster_external_upstream_rq_completed"
# KEDA's own defaults (30 s / 300 s) are too slow to wake on a single request.
SCALE_TO_ZERO_POLLING_INTERVAL = 5
SCALE_TO_ZERO_COOLDOWN_PERIOD = 300
COOLDOWN_MIN_SECONDS = 300  # the formula's base and its floor
COOLDOWN_MAX_SECONDS = 1200

# {"requests": {"memory": "48Gi", ...}, "limits": {...}}: what predictor resources look like.
Resources = Mapping[str, Mapping[str, int | str]]


def _gib(quantity: int | str | None) -> int:
    """`quantityToGiB`: whole GiB, rounded down; 0 for nothing, a fraction of a byte, or a
    value at or below zero."""
    if quantity is None:
        return 0
    try:
        size = parse_quantity(quantity)
    except QuantityError:
        return 0
    if size <= 0 or size != size.to_integral_value():
        return 0
    return int(size) // GIB


def _memory_gib(resources: Resources | None) -> int:
    """`memoryGiBFromRequirements`: max(requests.memory, limits.memory) in GiB; limits count
    because they are the cold-start footprint, where requests are set low for scheduling."""
    if not resources:
        return 0
    return max(
        _gib((resources.get("requests") or {}).get("memory")),
        _gib((resources.get("limits") or {}).get("memory")),
    )


def service_resources(service: AIMService) -> Resources | None:
    resources = service.spec.resources
    if resources is None:
        return None
    return {"requests": resources.requests or {}, "limits": resources.limits or {}}


def effective_resources(service: AIMService, status: ProfileStatus) -> Resources | None:
    """`resolveEffectiveResourcesFromProfile`: the predictor's resources (the service's, else
    the profile's) once the profile is Ready or the service gives its own; None before."""
    if status.status != "Ready" and service.spec.resources is None:
        return None
    return predictor_resources(service, status)


def predictor_memory_gib(service: AIMService, effective: Resources | None) -> int:
    """`predictorMemoryGiB`: the merged predictor resources first, then the service's own."""
    return _memory_gib(effective) or _memory_gib(service_resources(service))


def compute_predictor_cooldown(
    service: AIMService,
    effective: Resources | None,
    *,
    seconds_per_gib: int = DEFAULT_COOLDOWN_SECONDS_PER_GIB,
) -> int:
    """`computePredictorCooldown`: clamp(300 + memGiB * seconds_per_gib, 300, 1200) — a
    bigger model takes longer to load again, so it waits longer before scaling to zero;
    300 when the memory is not known. (Go computes in int32; at the memory sizes and
    multipliers that would overflow, this gives the clamp instead.)"""
    memory = predictor_memory_gib(service, effective)
    if memory == 0:
        return SCALE_TO_ZERO_COOLDOWN_PERIOD
    cooldown = COOLDOWN_MIN_SECONDS + memory * seconds_per_gib
    return min(max(cooldown, COOLDOWN_MIN_SECONDS), COOLDOWN_MAX_SECONDS)


def resolve_polling_and_cooldown(
    service: AIMService,
    scale_to_zero: bool,
    effective: Resources | None,
    *,
    seconds_per_gib: int = DEFAULT_COOLDOWN_SECONDS_PER_GIB,
) -> tuple[int | None, int | None]:
    """`resolvePollingAndCooldown`: what the user set wins; under scale-to-zero the rest
    defaults to 5 s polling and the memory-derived cooldown; otherwise both stay unset
    (KEDA's defaults apply)."""
    auto = service.spec.auto_scaling
    polling = auto.polling_interval if auto is not None else None
    cooldown = auto.cooldown_period if auto is not None else None
    if scale_to_zero:
        if polling is None:
            polling = SCALE_TO_ZERO_POLLING_INTERVAL
        if cooldown is None:
            cooldown = compute_predictor_cooldown(
                service, effective, seconds_per_gib=seconds_per_gib
            )
    return polling, cooldown


def scoped_metric_query(metric: str, namespace: str, predictor: str) -> str:
    """`scopedMetricQuery`: the scaler adds no scope itself, so a bare metric would sum the
    series of every Deployment."""
    return f'sum({metric}{{namespace="{namespace}",deployment="{predictor}"}})'


def gateway_activation_trigger(
    namespace: str, predictor: str, *, scaler_address: str = DEFAULT_SCALER_ADDRESS
) -> dict[str, object]:
    """`buildGatewayActivationTrigger`: wakes the service from zero on the gateway's request
    counter; the target is a ceiling that only activation reaches."""
    return {
        "type": "external",
        "metadata": {
            "scalerAddress": scaler_address,
            "metricQuery": scoped_metric_query(GATEWAY_ACTIVATION_METRIC, namespace, predictor),
            "targetValue": GATEWAY_ACTIVATION_TARGET_VALUE,
            "operationOverTime": GATEWAY_ACTIVATION_OPERATION_OVER_TIME,
        },
    }


def metric_query(metric: AIMServiceMetricsSpec) -> str:
    """The query a user metric gives the scaler: `query`, else the first of `metricNames`;
    "" when it gives none (or is no PodMetric with a metric and a target)."""
    if metric.type != "PodMetric" or metric.podmetric is None:
        return ""
    source = metric.podmetric.metric
    if source.query:
        return source.query
    return source.metric_names[0] if source.metric_names else ""


def target_value(target: AIMServiceMetricTarget) -> str:
    """`resolveUserTargetValue`: value, else averageValue, else averageUtilization, else "0"
    (KEDA's external scaler takes the target as a string)."""
    if target.value:
        return target.value
    if target.average_value:
        return target.average_value
    if target.average_utilization is not None:
        return str(target.average_utilization)
    return "0"


def user_metric_trigger(
    metric: AIMServiceMetricsSpec,
    namespace: str,
    predictor: str,
    *,
    scaler_address: str = DEFAULT_SCALER_ADDRESS,
) -> dict[str, object] | None:
    """`buildUserMetricTrigger`: an `external` trigger; a bare metric name is scoped to the
    predictor, a query with its own `{...}` selector is taken as written. None when the
    metric gives nothing to query. The backend is not looked at (the operator does not)."""
    query = metric_query(metric)
    if not query or metric.podmetric is None:
        return None
    if "{" not in query:
        query = scoped_metric_query(query, namespace, predictor)
    source = metric.podmetric
    metadata: dict[str, object] = {
        "scalerAddress": source.metric.server_address or scaler_address,
        "metricQuery": query,
        "targetValue": target_value(source.target),
    }
    if source.metric.operation_over_time:
        metadata["operationOverTime"] = source.metric.operation_over_time
    return {"type": "external", "metadata": metadata}


def render_scaled_object(
    service: AIMService,
    namespace: str,
    isvc_name: str,
    bounds: ReplicaBounds,
    effective: Resources | None,
    extra_labels: Mapping[str, str],
    *,
    scaler_address: str = DEFAULT_SCALER_ADDRESS,
    cooldown_seconds_per_gib: int = DEFAULT_COOLDOWN_SECONDS_PER_GIB,
) -> DesiredObject | None:
    """`planScaledObject`. `bounds` are the service's replica bounds (`replica_bounds`),
    `effective` the predictor's merged resources (None while they are not known): the
    scale-to-zero cooldown is derived from their memory."""
    if not service.spec.has_autoscaling:
        return None
    predictor = predictor_name(isvc_name)
    scale_to_zero = bounds.minimum == 0
    triggers: list[dict[str, object]] = []
    if scale_to_zero:  # always first
        triggers.append(
            gateway_activation_trigger(namespace, predictor, scaler_address=scaler_address)
        )
    auto = service.spec.auto_scaling
    for metric in (auto.metrics or []) if auto is not None else []:
        trigger = user_metric_trigger(metric, namespace, predictor, scaler_address=scaler_address)
        if trigger is not None:
            triggers.append(trigger)
    if not triggers:
        return None
    polling, cooldown = resolve_polling_and_cooldown(
        service, scale_to_zero, effective, seconds_per_gib=cooldown_seconds_per_gib
    )
    labels = base_labels("autoscaling")
    labels[SERVICE_LABEL] = sanitize_label_value(service.metadata.name)
    labels.update(extra_labels)
    spec: dict[str, object] = {
        "scaleTargetRef": {"name": predictor},  # KEDA's default: an apps/v1 Deployment
        "minReplicaCount": bounds.minimum,
        "maxReplicaCount": bounds.maximum,
    }
    if polling is not None:
        spec["pollingInterval"] = polling
    if cooldown is not None:
        spec["cooldownPeriod"] = cooldown
    spec["triggers"] = triggers
    manifest: dict[str, object] = {
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": {"name": predictor, "namespace": namespace, "labels": labels},
        "spec": spec,
    }
    return DesiredObject(
        ObjectKey(KEDA_API, "ScaledObject", namespace, predictor),
        manifest,
        origin=f"AIMService {namespace}/{service.metadata.name}",
    )
