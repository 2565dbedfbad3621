"""Kind-level rules: the CRDs' CEL rules, what aimsync does not implement, and metadata.

Rules read the raw document (plain dicts and lists), so they run even when the schema found
other problems in the same object: one run reports everything. They only look at values of
the right type; wrong types are the schema's to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from msgspec import Struct

from aimsync.api.base import QUANTITY_PATTERN
from aimsync.api.kinds import AIMKind
from aimsync.api.metadata import (
    ANNOTATIONS_MAX_BYTES,
    SERVER_SET_METADATA,
    check_label_value,
    check_qualified_key,
)
from aimsync.core.fields import FieldPath
from aimsync.core.quantity import QuantityError, parse_quantity
from aimsync.findings import Severity
from aimsync.settings import Settings

# Gateway API Duration (GEP-2257), as in the HTTPRoute CRD.
GATEWAY_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
QUANTITY = re.compile(QUANTITY_PATTERN)


class RuleFinding(Struct, frozen=True):
    path: FieldPath
    message: str
    rule: str
    severity: Severity = Severity.ERROR


def _get(data: object, *path: str) -> object:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _has(data: object, *path: str) -> bool:
    """CEL has(): the field is present (null counts as absent, as after JSON decoding)."""
    if len(path) == 1 and isinstance(data, dict):  # most rules ask one level down
        return data.get(path[0]) is not None
    return _get(data, *path) is not None


def _nonempty(data: object, *path: str) -> bool:
    value = _get(data, *path)
    return value is not None and (not isinstance(value, (str, list, dict)) or len(value) > 0)


def metadata_rules(data: dict[str, object]) -> Iterator[RuleFinding]:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return
    for key in SERVER_SET_METADATA:
        if key in metadata:
            yield RuleFinding(
                ("metadata", key),
                f"metadata.{key} is set by the API server; aimsync ignores it here "
                "(remove it from the file)",
                "metadata.server-set",
                Severity.WARNING,
            )
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        total = sum(
            len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items()
        )
        if total > ANNOTATIONS_MAX_BYTES:
            yield RuleFinding(
                ("metadata", "annotations"),
                f"annotations are {total} bytes in total; Kubernetes allows at most "
                f"{ANNOTATIONS_MAX_BYTES}",
                "metadata.annotations",
            )
    for group in ("labels", "annotations"):
        entries = metadata.get(group)
        if not isinstance(entries, dict):
            continue
        singular = group[:-1]
        for key, value in entries.items():
            problem = check_qualified_key(key)
            if problem:
                yield RuleFinding(
                    ("metadata", group, key), f"invalid {singular} {problem}", f"metadata.{group}"
                )
            if group == "labels" and isinstance(value, str):
                problem = check_label_value(value)
                if problem:
                    yield RuleFinding(
                        ("metadata", group, key), f"invalid {problem}", "metadata.labels"
                    )


def _positive_size(size: object) -> bool | None:
    """Whether a quantity is above zero; None when it is no quantity (the schema says so)."""
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        return None
    try:
        return parse_quantity(size) > 0
    except QuantityError:
        return None


def _source_size_rules(
    sources: object, base: FieldPath, settings: Settings
) -> Iterator[RuleFinding]:
    if not isinstance(sources, list):
        return
    for index, source in enumerate(sources):
        if not isinstance(source, dict):
            continue
        if _positive_size(source.get("size")) is False:
            yield RuleFinding(
                (*base, index, "size"),
                f"size {source['size']} is not above zero: a cache volume holds the model's "
                "weights; give the size of the model (e.g. size: 70Gi)",
                "aimsync.source-size-positive",
            )


def profile_rules(
    data: dict[str, object], kind: AIMKind, settings: Settings
) -> Iterator[RuleFinding]:
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return
    has_aim_id = _nonempty(spec, "aimId")
    has_sources = _nonempty(spec, "modelSources")
    if has_aim_id != has_sources:
        field = "aimId" if has_aim_id else "modelSources"
        yield RuleFinding(
            ("spec", field) if _has(spec, field) else ("spec",),
            "spec.aimId and spec.modelSources must both be set (deployable profile) or both be "
            "empty (base profile)",
            "cel.profile-aimid-modelsources",
        )
    mode = spec.get("acceleratorPartitioningMode")
    if spec.get("acceleratorType") == "cpu" and isinstance(mode, str) and mode not in (
        "",
        "unpartitioned",
    ):
        yield RuleFinding(
            ("spec", "acceleratorPartitioningMode"),
            "acceleratorPartitioningMode must be 'unpartitioned' (or unset) when acceleratorType "
            "is cpu",
            "cel.profile-cpu-unpartitioned",
        )
    if kind is AIMKind.CLUSTER_PROFILE and "caching" in spec:
        yield RuleFinding(
            ("spec", "caching"),
            "AIMClusterProfile has no caching field (caches are namespaced); set caching on an "
            "AIMProfile or write an AIMProfileCache with profileScope: Cluster",
            "aimsync.cluster-profile-caching",
        )
    if has_aim_id and has_sources:
        yield from _source_size_rules(spec.get("modelSources"), ("spec", "modelSources"), settings)


# AIMService fields aimsync does not implement, with what to do instead.
UNSUPPORTED_SERVICE_FIELDS = {
    "model": "profiles written in Git carry no source-model labels, so a model reference "
    "cannot select them; use spec.profile.name or spec.profile.selector.aimId",
    "adapters": "LoRA adapters are not implemented; serve the merged model through a profile",
    "adapterRuntime": "LoRA adapters are not implemented",
}


def service_rules(data: dict[str, object], settings: Settings) -> Iterator[RuleFinding]:
    name = _get(data, "metadata", "name")
    # Only the first character: the rest is the DNS-label rule's to report.
    if isinstance(name, str) and name[:1].isdigit():
        yield RuleFinding(
            ("metadata", "name"),
            f"AIMService name {name!r} must start with a lowercase letter: it becomes the "
            "name of a KServe InferenceService",
            "aimsync.service-name-letter",
        )
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return
    for field, why in UNSUPPORTED_SERVICE_FIELDS.items():
        # An empty list of adapters is harmless; any other presence is refused (an empty
        # model block is refused by the CRD as well).
        if field not in spec:
            continue  # the common case, without a call
        if _nonempty(spec, field) if field == "adapters" else _has(spec, field):
            yield RuleFinding(
                ("spec", field), f"spec.{field} is not supported by aimsync: {why}",
                "aimsync.unsupported",
            )
    if spec.get("adapterMode") == "dynamic":
        yield RuleFinding(
            ("spec", "adapterMode"),
            "adapterMode dynamic is not supported by aimsync: LoRA adapters are not implemented; "
            "remove adapterMode (the default is static)",
            "aimsync.unsupported",
        )
    runtime_config = spec.get("runtimeConfigName")
    if isinstance(runtime_config, str) and runtime_config not in ("", "default"):
        yield RuleFinding(
            ("spec", "runtimeConfigName"),
            f"runtimeConfigName {runtime_config!r} is not supported by aimsync: runtime configs "
            "are not read; use aimsync.yaml settings and the AIMService fields (storage, "
            "routing, env), and leave runtimeConfigName empty or 'default'",
            "aimsync.unsupported",
        )
    if _has(spec, "template"):
        yield RuleFinding(
            ("spec", "template"),
            "spec.template is not supported on v1alpha2; use spec.profile",
            "cel.service-no-template",
        )
    if _has(spec, "overrides"):
        yield RuleFinding(
            ("spec", "overrides"),
            "spec.overrides is not supported on v1alpha2; use spec.profileOverrides",
            "cel.service-no-overrides",
        )
    if _has(spec, "profileOverrides") and not _has(spec, "profile"):
        yield RuleFinding(
            ("spec", "profileOverrides"),
            "spec.profileOverrides requires spec.profile to be set",
            "cel.service-overrides-need-profile",
        )
    if not _has(spec, "model") and not _has(spec, "profile"):
        yield RuleFinding(
            ("spec",),
            "spec.profile is required: name a profile (spec.profile.name) or select one "
            "(spec.profile.selector)",
            "cel.service-model-or-profile",
        )
    profile = spec.get("profile")
    if isinstance(profile, dict):
        yield from _profile_reference_rules(profile, spec)
    overrides = spec.get("profileOverrides")
    if isinstance(overrides, dict):
        mode = overrides.get("acceleratorPartitioningMode")
        if isinstance(mode, str) and mode and not _has(overrides, "acceleratorCount"):
            yield RuleFinding(
                ("spec", "profileOverrides", "acceleratorPartitioningMode"),
                "acceleratorCount must be specified together with any "
                "acceleratorPartitioningMode override; partition mode changes the per-unit "
                "interpretation of acceleratorCount",
                "cel.service-partition-needs-count",
            )
        yield from _source_size_rules(
            overrides.get("modelSources"), ("spec", "profileOverrides", "modelSources"), settings
        )
    yield from _replica_rules(spec)
    yield from _autoscaling_rules(spec)
    yield from _routing_rules(spec)
    if _has(spec, "cacheModel"):
        yield RuleFinding(
            ("spec", "cacheModel"),
            "spec.cacheModel is deprecated and has no effect: caching is decided by the "
            "profile's modelSources; use spec.caching.mode to choose Shared or Dedicated",
            "deprecated.cache-model",
            Severity.WARNING,
        )
    storage = spec.get("storage")
    if isinstance(storage, dict):
        for field in ("adapterDiskSize", "adapterDiskStorageClassName"):
            if _has(storage, field):
                yield RuleFinding(
                    ("spec", "storage", field),
                    f"spec.storage.{field} has no effect: LoRA adapters are not implemented by "
                    "aimsync",
                    "aimsync.no-effect",
                    Severity.WARNING,
                )


def _profile_reference_rules(
    profile: dict[str, object], spec: dict[str, object]
) -> Iterator[RuleFinding]:
    has_name = _has(profile, "name")
    selector = profile.get("selector")
    if has_name and selector is not None:
        yield RuleFinding(
            ("spec", "profile", "selector"),
            "spec.profile.name and spec.profile.selector are mutually exclusive; keep one",
            "cel.profile-name-xor-selector",
        )
    elif not has_name and selector is None:
        yield RuleFinding(
            ("spec", "profile"),
            "spec.profile must set name or selector",
            "cel.profile-name-or-selector",
        )
    if not isinstance(selector, dict):
        return
    role = selector.get("role")
    if isinstance(role, str) and role != "deployable":
        yield RuleFinding(
            ("spec", "profile", "selector", "role"),
            "spec.profile.selector.role on v1alpha2 may only be omitted or set to deployable; "
            "base is reserved for AIMProfileSet selectors",
            "cel.selector-role",
        )
    if _has(selector, "modelRef"):
        yield RuleFinding(
            ("spec", "profile", "selector", "modelRef"),
            "spec.profile.selector.modelRef is not supported by aimsync: profiles written in "
            "Git carry no source-model labels, so modelRef can never match; use "
            "selector.aimId",
            "aimsync.unsupported",
        )
    if not _has(selector, "aimId") and not _has(selector, "modelRef") and not _has(
        spec, "model"
    ):
        yield RuleFinding(
            ("spec", "profile", "selector"),
            "spec.profile.selector must narrow on aimId (e.g. aimId: qwen/qwen3-32b)",
            "cel.selector-must-narrow",
        )


def _replica_rules(spec: dict[str, object]) -> Iterator[RuleFinding]:
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
        yield RuleFinding(
            ("spec", "replicas"),
            f"replicas {replicas} is below zero; use 0 or more",
            "aimsync.replicas-range",
        )
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
    if ints and low > high:  # type: ignore[operator]
        yield RuleFinding(
            ("spec", "minReplicas"),
            f"minReplicas ({low}) must be less than or equal to maxReplicas ({high})",
            "cel.service-min-le-max",
        )
    if _has(spec, "replicas") and (
        low is not None or high is not None or _has(spec, "autoScaling")
    ):
        yield RuleFinding(
            ("spec", "replicas"),
            "replicas is ignored when minReplicas, maxReplicas or autoScaling is set (the "
            "autoscaler decides between the bounds); remove one of the two",
            "aimsync.replicas-ignored",
            Severity.WARNING,
        )


# The CRD's CEL rules on a metric target: the value field its type needs.
TARGET_VALUE_FIELDS = {
    "Value": "value",
    "AverageValue": "averageValue",
    "Utilization": "averageUtilization",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _autoscaling_rules(spec: dict[str, object]) -> Iterator[RuleFinding]:
    """KEDA autoscaling (`minReplicas`, `maxReplicas`, `autoScaling`): the CRD's CEL rules
    and the two checks the operator makes before it applies anything (exports.go@57e6de1,
    ScaleToZeroRoutingComponentHealth and AutoscalingTriggerComponentHealth)."""
    auto = spec.get("autoScaling")
    metrics = _get(auto, "metrics")
    empty = isinstance(auto, dict) and not (
        _nonempty(auto, "metrics") or _has(auto, "pollingInterval") or _has(auto, "cooldownPeriod")
    )
    if empty:
        yield RuleFinding(
            ("spec", "autoScaling"),
            "spec.autoScaling must not be empty: set at least one of metrics, pollingInterval, "
            "or cooldownPeriod, or omit the autoScaling block to use default scaling",
            "cel.service-autoscaling-not-empty",
        )
    if isinstance(metrics, list):
        for index, metric in enumerate(metrics):
            yield from _metric_rules(metric, ("spec", "autoScaling", "metrics", index))
    low = spec.get("minReplicas")
    scale_to_zero = low == 0 and _is_int(low)
    if scale_to_zero and _get(spec, "routing", "enabled") is not True:
        yield RuleFinding(
            ("spec", "minReplicas"),
            "minReplicas 0 (scale to zero) needs routing (the operator's "
            "RoutingRequiredForScaleToZero): the trigger that wakes the service counts "
            "requests at the gateway, and those only exist once an HTTPRoute is wired up, so "
            "with routing disabled the service could never wake from zero; enable routing "
            "(spec.routing.enabled: true and a gatewayRef) or set minReplicas to 1 or more",
            "aimsync.scale-to-zero-needs-routing",
        )
    present = [f for f in ("autoScaling", "minReplicas", "maxReplicas") if _has(spec, f)]
    # Wrong types and an empty block have their own errors already.
    well_typed = (low is None or _is_int(low)) and (metrics is None or isinstance(metrics, list))
    if present and well_typed and not empty and not scale_to_zero and not metrics:
        yield RuleFinding(
            ("spec", present[0]),
            f"{present[0]} turns on KEDA autoscaling, but no scaling trigger resolves (the "
            "operator's AutoscalingRequiresMetrics): with no spec.autoScaling.metrics and "
            "minReplicas above 0 no ScaledObject is created, so the replica bounds are never "
            "enforced; add a metric under spec.autoScaling.metrics (e.g. a PodMetric "
            "with query vllm:num_requests_running), set minReplicas: 0 with routing for "
            "scale-from-zero, or use spec.replicas for a fixed replica count",
            "aimsync.autoscaling-requires-metrics",
        )


def _metric_rules(metric: object, path: FieldPath) -> Iterator[RuleFinding]:
    """One `spec.autoScaling.metrics` entry: the CRD's CEL rules, then what the operator
    needs to make a trigger of it (buildUserMetricTrigger)."""
    if not isinstance(metric, dict):
        return
    if metric.get("type") == "PodMetric" and not _has(metric, "podmetric"):
        yield RuleFinding(
            path,
            "metrics entry of type PodMetric must set podmetric",
            "cel.service-metric-podmetric",
        )
    source = _get(metric, "podmetric", "metric")
    if isinstance(source, dict):
        names = source.get("metricNames")
        if not _has(source, "query") and not _nonempty(source, "metricNames"):
            yield RuleFinding(
                (*path, "podmetric", "metric"),
                "podmetric.metric must set query or metricNames so the scaler has something "
                "to query",
                "cel.service-metric-query",
            )
        elif not source.get("query") and not (isinstance(names, list) and names and names[0]):
            field = "query" if _has(source, "query") else "metricNames"
            yield RuleFinding(
                (*path, "podmetric", "metric", field),
                "this metric gives the scaler nothing to query: query is empty and there is no "
                "first metricNames entry to take instead, so the operator makes no trigger of "
                "it; write the metric's name or query in query (e.g. "
                "vllm:num_requests_running)",
                "aimsync.autoscaling-metric-query",
            )
    target = _get(metric, "podmetric", "target")
    if not isinstance(target, dict):
        return
    kind = target.get("type")
    needed = TARGET_VALUE_FIELDS.get(kind) if isinstance(kind, str) else None
    if needed is not None and not _has(target, needed):
        yield RuleFinding(
            (*path, "podmetric", "target"),
            f"target type {kind} requires target.{needed}",
            "cel.service-metric-target",
        )
    for field in ("value", "averageValue"):
        text = target.get(field)
        if isinstance(text, str) and text and not _is_quantity(text):
            yield RuleFinding(
                (*path, "podmetric", "target", field),
                f"target.{field} {text!r} is not a Kubernetes quantity: the InferenceService's "
                "autoScaling leaves it out (as the operator does) and the scaler is given it "
                "as written; write a number such as 1, 0.5 or 500m",
                "aimsync.autoscaling-target-quantity",
                Severity.WARNING,
            )


def _is_quantity(text: str) -> bool:
    if not QUANTITY.match(text):
        return False
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True


def _routing_rules(spec: dict[str, object]) -> Iterator[RuleFinding]:
    routing = spec.get("routing")
    if not isinstance(routing, dict):
        return
    if routing.get("enabled") is True and not _has(routing, "gatewayRef"):
        yield RuleFinding(
            ("spec", "routing", "enabled"),
            "routing is enabled but spec.routing.gatewayRef is not set; aimsync has no runtime "
            "config to take a gateway from, so name the Gateway here",
            "aimsync.routing-needs-gateway",
        )
    timeout = routing.get("requestTimeout")
    if isinstance(timeout, str) and not GATEWAY_DURATION.match(timeout):
        yield RuleFinding(
            ("spec", "routing", "requestTimeout"),
            f"requestTimeout {timeout!r} is not a Gateway API duration: write up to four "
            "number+unit pairs with units h, m, s or ms, e.g. 30s or 1m30s",
            "aimsync.request-timeout",
        )


def document_rules(
    kind: AIMKind, data: dict[str, object], settings: Settings
) -> Iterator[RuleFinding]:
    yield from metadata_rules(data)
    if "status" in data:
        yield RuleFinding(
            ("status",),
            "status is ignored in a spec file: aimsync computes status and writes it under "
            "status/; remove it",
            "document.status-ignored",
            Severity.WARNING,
        )
    if kind in (AIMKind.PROFILE, AIMKind.CLUSTER_PROFILE):
        yield from profile_rules(data, kind, settings)
    elif kind is AIMKind.SERVICE:
        yield from service_rules(data, settings)
