"""KEDA autoscaling as the AIM Engine operator does it at e837778 (issue 10, item 5).

The table tests transcribe the operator's Go unit tests: `internal/v1alpha1/aimservice/
scaledobject_test.go@57e6de1` (the only version; e837778 runs that scaledobject.go) and
`kserve_test.go@57e6de1`. Where the operator reads its own environment
(AIM_KEDA_OTEL_SCALER_ADDRESS, AIM_COOLDOWN_SECONDS_PER_GI_MEMORY), aimsync takes a parameter
with the same default. Then what aimsync adds around it: the InferenceService fields, the
ScaledObject in the render and its gating, and the cluster edge (no KEDA installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aimsync.api import AIMService
from aimsync.core.facts import ClusterFacts
from aimsync.core.naming import inference_service_name
from aimsync.core.objects import KIND_STAGE, ObjectKey
from aimsync.core.results import Cause
from aimsync.kube.client import KubeClient, PreparedRequest, RetryPolicy
from aimsync.kube.errors import NotFound
from aimsync.kube.members import read_members
from aimsync.kube.resources import MANAGED_KINDS, RESOURCES, object_path
from aimsync.kube.ssa.failures import failure_of
from aimsync.render.gating import CacheState, gate
from aimsync.render.inference_service import kserve_auto_scaling, replica_bounds
from aimsync.render.render import render
from aimsync.render.scaled_object import (
    DEFAULT_SCALER_ADDRESS,
    GATEWAY_ACTIVATION_METRIC,
    Resources,
    compute_predictor_cooldown,
    effective_resources,
    render_scaled_object,
    resolve_polling_and_cooldown,
    user_metric_trigger,
)
from aimsync.resolve.profile_status import ProfileStatus
from aimsync.resolve.resolver import resolve_all
from aimsync.settings import AutoscalingSettings
from aimsync.specs import Specs
from tests.factories import API, gpu_profile, make_specs

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "aim-test"
GATEWAY = {"name": "gw", "namespace": "gateways"}
ROUTED = {"enabled": True, "gatewayRef": GATEWAY}


def vllm_metric(**target: Any) -> dict[str, Any]:
    """`validVLLMMetric()` of scaledobject_test.go (`target` replaces the Value "1" target)."""
    return {
        "type": "PodMetric",
        "podmetric": {
            "metric": {
                "backend": "opentelemetry",
                "metricNames": ["vllm:num_requests_running"],
                "query": "vllm:num_requests_running",
                "operationOverTime": "avg",
            },
            "target": target or {"type": "Value", "value": "1"},
        },
    }


def service(name: str = "qwen-chat", **spec: Any) -> AIMService:
    return AIMService.model_validate({
        "apiVersion": API, "kind": "AIMService",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"profile": {"name": "qwen"}, **spec},
    })


def with_metrics(*metrics: dict[str, Any], **spec: Any) -> AIMService:
    auto = {"metrics": list(metrics), **spec.pop("autoScaling", {})}
    return service(autoScaling=auto, **spec)


def predictor(svc: AIMService) -> str:
    return inference_service_name(svc.metadata.name, NAMESPACE) + "-predictor"


def plan(
    svc: AIMService, effective: Resources | None = None, **options: Any
) -> dict[str, Any] | None:
    """`planScaledObject(ctx, service, effective)`: the manifest, or None."""
    isvc = inference_service_name(svc.metadata.name, NAMESPACE)
    found = render_scaled_object(
        svc, NAMESPACE, isvc, replica_bounds(svc), effective, {}, **options
    )
    return found.manifest if found is not None else None


def planned(svc: AIMService, effective: Resources | None = None, **options: Any) -> Any:
    manifest = plan(svc, effective, **options)
    assert manifest is not None, "expected a ScaledObject"
    return manifest


def memory(requests: str = "", limits: str = "") -> Resources:
    return {
        "requests": {"memory": requests} if requests else {},
        "limits": {"memory": limits} if limits else {},
    }


# --- scaledobject_test.go@57e6de1 ----------------------------------------------------------

GATED = [
    ("no autoscaling fields: returns nil", {}, False),
    ("spec.replicas only (legacy fixed): returns nil", {"replicas": 2}, False),
    ("minReplicas set: returns ScaledObject",
     {"minReplicas": 1, "autoScaling": {"metrics": [vllm_metric()]}}, True),
    ("minReplicas=0 + autoScaling: returns ScaledObject",
     {"minReplicas": 0, "maxReplicas": 3, "autoScaling": {"metrics": [vllm_metric()]}}, True),
    ("autoscaling requested but no user triggers and minReplicas>=1: returns nil",
     {"minReplicas": 1}, False),
]


@pytest.mark.parametrize(("spec", "expected"), [c[1:] for c in GATED], ids=[c[0] for c in GATED])
def test_plan_scaled_object_gated_by_autoscaling_fields(
    spec: dict[str, Any], expected: bool
) -> None:
    """TestPlanScaledObject_GatedByAutoscalingFields (scaledobject_test.go@57e6de1): a
    ScaledObject only when the service asks for autoscaling and a trigger resolves."""
    assert (plan(service("my-svc", **spec)) is not None) is expected


def test_plan_scaled_object_scale_to_zero_triggers() -> None:
    """TestPlanScaledObject_ScaleToZeroTriggers (scaledobject_test.go@57e6de1): minReplicas 0
    puts the gateway activation trigger first, both queries are scoped to the predictor."""
    svc = with_metrics(vllm_metric(), minReplicas=0, maxReplicas=4)
    so = planned(svc)
    assert (so["apiVersion"], so["kind"]) == ("keda.sh/v1alpha1", "ScaledObject")
    name = predictor(svc)
    assert so["metadata"]["name"] == name and so["metadata"]["namespace"] == NAMESPACE
    spec = so["spec"]
    assert spec["scaleTargetRef"] == {"name": name}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (0, 4)
    assert spec["pollingInterval"] == 5
    assert spec["cooldownPeriod"] == 300  # no memory: the flat default
    gateway, user = spec["triggers"]
    assert gateway == {
        "type": "external",
        "metadata": {
            "scalerAddress": "keda-otel-scaler.keda.svc:4318",
            "metricQuery": f'sum({GATEWAY_ACTIVATION_METRIC}{{namespace="{NAMESPACE}",'
            f'deployment="{name}"}})',
            "targetValue": "1000",
            "operationOverTime": "avg",
        },
    }
    assert user["metadata"]["metricQuery"] == (
        f'sum(vllm:num_requests_running{{namespace="{NAMESPACE}",deployment="{name}"}})'
    )
    assert user["metadata"]["targetValue"] == "1"


def test_plan_scaled_object_warm_mode_defaults() -> None:
    """TestPlanScaledObject_WarmModeDefaults (scaledobject_test.go@57e6de1): minReplicas >= 1
    has no gateway trigger and leaves KEDA's polling and cooldown defaults alone."""
    svc = with_metrics(vllm_metric(), minReplicas=1, maxReplicas=3)
    spec = planned(svc)["spec"]
    assert spec["minReplicaCount"] == 1
    assert "pollingInterval" not in spec and "cooldownPeriod" not in spec
    (user,) = spec["triggers"]
    assert user["metadata"]["metricQuery"] == (
        f'sum(vllm:num_requests_running{{namespace="{NAMESPACE}",deployment="{predictor(svc)}"}})'
    )


def test_plan_scaled_object_user_query_with_label_selector_preserved() -> None:
    """TestPlanScaledObject_UserQueryWithLabelSelectorPreserved (scaledobject_test.go@57e6de1):
    a query with its own `{...}` selector is passed through, not wrapped again."""
    raw = 'sum(vllm:num_requests_running{model_name="qwen3-32b"})'
    metric = vllm_metric()
    metric["podmetric"]["metric"]["query"] = raw
    spec = planned(with_metrics(metric, minReplicas=1, maxReplicas=3))["spec"]
    assert spec["triggers"][0]["metadata"]["metricQuery"] == raw


def test_plan_scaled_object_polling_and_cooldown_overrides() -> None:
    """TestPlanScaledObject_PollingAndCooldownOverrides (scaledobject_test.go@57e6de1): the
    user's pollingInterval and cooldownPeriod win over the scale-to-zero defaults."""
    svc = with_metrics(
        vllm_metric(), minReplicas=0, maxReplicas=3,
        autoScaling={"pollingInterval": 10, "cooldownPeriod": 120},
    )
    spec = planned(svc)["spec"]
    assert (spec["pollingInterval"], spec["cooldownPeriod"]) == (10, 120)


def test_plan_scaled_object_replica_bounds_clamp_max() -> None:
    """TestPlanScaledObject_ReplicaBoundsClampMax (scaledobject_test.go@57e6de1): without
    maxReplicas, minReplicas 0 still gets maxReplicaCount 1 (else it never wakes)."""
    assert planned(with_metrics(vllm_metric(), minReplicas=0))["spec"]["maxReplicaCount"] == 1


def test_plan_scaled_object_labels_and_no_owner_reference() -> None:
    """TestPlanScaledObject_OwnerReferenceAndLabels (scaledobject_test.go@57e6de1), the
    aimsync way: no ownerReference (there is no AIMService in the cluster to own it; the
    inventory tracks it), managed-by aimsync, component autoscaling, the service label."""
    metadata = planned(with_metrics(vllm_metric(), minReplicas=0))["metadata"]
    assert "ownerReferences" not in metadata
    assert metadata["labels"] == {
        "app.kubernetes.io/component": "autoscaling",
        "app.kubernetes.io/managed-by": "aimsync",
        "aim.eai.amd.com/service": "qwen-chat",
    }


def test_plan_scaled_object_scaler_address_override() -> None:
    """TestPlanScaledObject_ScalerAddressEnvOverride (scaledobject_test.go@57e6de1): the
    operator's AIM_KEDA_OTEL_SCALER_ADDRESS is aimsync's `scaler_address`; every trigger
    uses it."""
    custom = "scaler.custom.svc:5555"
    so = planned(with_metrics(vllm_metric(), minReplicas=0), scaler_address=custom)
    assert [t["metadata"]["scalerAddress"] for t in so["spec"]["triggers"]] == [custom, custom]


def test_plan_scaled_object_gateway_activation_defaults_are_compiled_in() -> None:
    """TestPlanScaledObject_GatewayActivationDefaultsAreCompiledIn (scaledobject_test.go@
    57e6de1): the gateway trigger's target and operation are constants, not knobs."""
    gateway = planned(with_metrics(vllm_metric(), minReplicas=0))["spec"]["triggers"][0]
    assert (gateway["metadata"]["targetValue"], gateway["metadata"]["operationOverTime"]) == (
        "1000", "avg"
    )


def test_plan_scaled_object_idempotent() -> None:
    """TestPlanScaledObject_Idempotent (scaledobject_test.go@57e6de1): the same service gives
    the same object (server-side apply relies on it)."""
    svc = with_metrics(vllm_metric(), minReplicas=0, maxReplicas=3)
    assert plan(svc) == plan(svc)


COOLDOWN = [
    ("no memory request falls back to flat default", "", 300),
    ("1Gi yields base + perGiB", "1Gi", 300 + 1 * 5),
    ("32Gi (7B fp16)", "32Gi", 300 + 32 * 5),
    ("128Gi (32B fp16)", "128Gi", 300 + 128 * 5),
    ("256Gi (70B fp16) clamps to ceiling", "256Gi", 1200),
    ("1Ti clamps to ceiling", "1Ti", 1200),
]


@pytest.mark.parametrize(("size", "want"), [c[1:] for c in COOLDOWN], ids=[c[0] for c in COOLDOWN])
def test_compute_predictor_cooldown(size: str, want: int) -> None:
    """TestComputePredictorCooldown (scaledobject_test.go@57e6de1): clamp(300 + GiB * 5, 300,
    1200) of the service's memory request."""
    svc = service(resources={"requests": {"memory": size}}) if size else service()
    assert compute_predictor_cooldown(svc, None) == want


PER_GIB = [
    # The operator's rows "not-a-number" and "-1" (unparsable or negative environment values
    # fall back to 5) have no counterpart: aimsync's multiplier is a typed parameter.
    ("default (env unset) uses 5 s/GiB", None, 300 + 128 * 5),
    ("tuned-down to 2 s/GiB", 2, 300 + 128 * 2),
    ("7 s/GiB at 128GiB stays under ceiling", 7, 300 + 128 * 7),
    ("8 s/GiB at 128GiB clamps to ceiling", 8, 1200),
    ("zero collapses to flat min", 0, 300),
]


@pytest.mark.parametrize(("per_gib", "want"), [c[1:] for c in PER_GIB], ids=[c[0] for c in PER_GIB])
def test_compute_predictor_cooldown_per_gib_override(per_gib: int | None, want: int) -> None:
    """TestComputePredictorCooldown_PerGiBOverride (scaledobject_test.go@57e6de1): the
    operator's AIM_COOLDOWN_SECONDS_PER_GI_MEMORY is aimsync's `seconds_per_gib`."""
    svc = service(resources={"requests": {"memory": "128Gi"}})
    options = {} if per_gib is None else {"seconds_per_gib": per_gib}
    assert compute_predictor_cooldown(svc, None, **options) == want


PRIORITY = [
    ("no override, template-merged 48Gi -> formula on 48Gi", "", "48Gi", 300 + 48 * 5),
    ("service override + matching effective -> formula on overridden value", "96Gi", "96Gi",
     300 + 96 * 5),
    ("nil effective, service override only -> formula on service value", "128Gi", "",
     300 + 128 * 5),
    ("both unset -> flat default", "", "", 300),
]


@pytest.mark.parametrize(
    ("service_memory", "effective_memory", "want"), [c[1:] for c in PRIORITY],
    ids=[c[0] for c in PRIORITY],
)
def test_compute_predictor_cooldown_effective_resources_priority(
    service_memory: str, effective_memory: str, want: int
) -> None:
    """TestComputePredictorCooldown_EffectiveResourcesPriority (scaledobject_test.go@57e6de1):
    the merged predictor resources first, the service's own when those are not known."""
    svc = service(resources={"requests": {"memory": service_memory}}) if service_memory else (
        service()
    )
    effective = memory(requests=effective_memory) if effective_memory else None
    assert compute_predictor_cooldown(svc, effective) == want


REQUESTS_LIMITS = [
    ("requests<limits uses limits (1 MI300X default)", "32Gi", "48Gi", 300 + 48 * 5),
    ("requests<limits uses limits (2 MI300X default)", "64Gi", "96Gi", 300 + 96 * 5),
    ("requests==limits uses the shared value", "48Gi", "48Gi", 300 + 48 * 5),
    ("limits only uses limits", "", "48Gi", 300 + 48 * 5),
    ("requests only uses requests", "16Gi", "", 300 + 16 * 5),
    ("requests>limits (invalid) still returns max", "64Gi", "32Gi", 300 + 64 * 5),
]


@pytest.mark.parametrize(
    ("requests", "limits", "want"), [c[1:] for c in REQUESTS_LIMITS],
    ids=[c[0] for c in REQUESTS_LIMITS],
)
def test_compute_predictor_cooldown_requests_vs_limits(
    requests: str, limits: str, want: int
) -> None:
    """TestComputePredictorCooldown_RequestsVsLimits (scaledobject_test.go@57e6de1): the
    larger of requests.memory and limits.memory counts."""
    assert compute_predictor_cooldown(service(), memory(requests, limits)) == want


PRECEDENCE = [
    ("warm state leaves cooldown unset (KEDA platform default applies)", None, True, False,
     None),
    ("scale-to-zero + user override wins over memory heuristic", 900, True, True, 900),
    ("scale-to-zero + memory request derives cooldown", None, True, True, 300 + 128 * 5),
    ("scale-to-zero + no memory request falls back to flat default", None, False, True, 300),
]


@pytest.mark.parametrize(
    ("user_cooldown", "with_memory", "scale_to_zero", "want"), [c[1:] for c in PRECEDENCE],
    ids=[c[0] for c in PRECEDENCE],
)
def test_resolve_polling_and_cooldown_precedence(
    user_cooldown: int | None, with_memory: bool, scale_to_zero: bool, want: int | None
) -> None:
    """TestResolvePollingAndCooldown_Precedence (scaledobject_test.go@57e6de1): the user's
    cooldown, else the memory-derived one, else 300; unset outside scale-to-zero."""
    spec: dict[str, Any] = {}
    if with_memory:
        spec["resources"] = {"requests": {"memory": "128Gi"}}
    if user_cooldown is not None:
        spec["autoScaling"] = {"cooldownPeriod": user_cooldown}
    _, cooldown = resolve_polling_and_cooldown(service(**spec), scale_to_zero, None)
    assert cooldown == want


# --- kserve_test.go@57e6de1 ----------------------------------------------------------------

REPLICAS = [
    ("updated min=2, max=5", 2, 5, 2, 5),
    ("updated min=1, max=10", 1, 10, 1, 10),
    ("only min set, max defaults to min", 3, None, 3, 3),
    ("scale to zero, max defaults to 1", 0, None, 0, 1),
    ("scale to zero with explicit max", 0, 5, 0, 5),
]


@pytest.mark.parametrize(
    ("low", "high", "want_min", "want_max"), [c[1:] for c in REPLICAS],
    ids=[c[0] for c in REPLICAS],
)
def test_plan_inference_service_updates_replicas(
    low: int, high: int | None, want_min: int, want_max: int
) -> None:
    """TestPlanInferenceService_UpdatesReplicasWhenISVCExists (kserve_test.go@57e6de1): the
    predictor's min/max from `resolveReplicaBounds`, on the rendered InferenceService."""
    spec: dict[str, Any] = {"minReplicas": low, "autoScaling": {"metrics": [vllm_metric()]}}
    if high is not None:
        spec["maxReplicas"] = high
    isvc = rendered(spec, routing=ROUTED)["InferenceService"]
    predictor_spec = isvc["spec"]["predictor"]
    assert (predictor_spec["minReplicas"], predictor_spec["maxReplicas"]) == (want_min, want_max)


# --- the InferenceService side (configureReplicasAndAutoscaling, kserve.go@57e6de1) --------


def specs_of(spec: dict[str, Any], profile: dict[str, Any] | None = None) -> Specs:
    return make_specs(
        cluster={"qwen": profile or gpu_profile()},
        services={(NAMESPACE, "qwen-chat"): {"profile": {"name": "qwen"}, **spec}},
    )


def rendered(
    spec: dict[str, Any], *, routing: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every object of one service by kind (caches assumed downloaded)."""
    if routing is not None:
        spec = {**spec, "routing": routing}
    specs = specs_of(spec, profile)
    desired = render(specs, resolve_all(specs, ClusterFacts.unknown()))
    return {o.key.kind: o.manifest for o in gate(desired, CacheState(assume_ready=True)).objects}


def test_autoscaled_inference_service_annotations() -> None:
    """injectAutoscalingAnnotations: KServe stays out (`external`), the OpenTelemetry sidecar
    of the predictor is injected and Prometheus scrapes port 8000."""
    isvc = rendered({"minReplicas": 1, "autoScaling": {"metrics": [vllm_metric()]}})[
        "InferenceService"
    ]
    annotations = isvc["metadata"]["annotations"]
    name = isvc["metadata"]["name"]
    assert annotations["serving.kserve.io/autoscalerClass"] == "external"
    assert annotations["sidecar.opentelemetry.io/inject"] == f"{name}-predictor"
    assert annotations["prometheus.kserve.io/port"] == "8000"


def test_autoscaling_alone_turns_autoscaling_on_with_one_replica() -> None:
    """hasAutoscaling counts autoScaling without min/max: bounds 1/1, class external."""
    svc = with_metrics(vllm_metric())
    bounds = replica_bounds(svc)
    assert (bounds.minimum, bounds.maximum, bounds.autoscaled) == (1, 1, True)
    assert planned(svc)["spec"]["maxReplicaCount"] == 1


def test_fixed_replicas_have_no_autoscaler_and_no_scaled_object() -> None:
    objects = rendered({"replicas": 2})
    predictor_spec = objects["InferenceService"]["spec"]["predictor"]
    assert objects["InferenceService"]["metadata"]["annotations"][
        "serving.kserve.io/autoscalerClass"
    ] == "none"
    assert (predictor_spec["minReplicas"], predictor_spec["maxReplicas"]) == (2, 2)
    assert "autoScaling" not in predictor_spec and "ScaledObject" not in objects


def test_kserve_auto_scaling_copies_the_metrics_only() -> None:
    """convertToKServeAutoScaling: metrics only (no polling or cooldown); empty values left
    out as Go's omitempty does; a target that is no quantity is left out (NewMetricQuantity
    gives nil); the backend is always written."""
    minimal = vllm_metric(type="AverageValue", averageValue="abc", averageUtilization=80)
    minimal["podmetric"]["metric"] = {"query": "q", "serverAddress": "", "metricNames": []}
    svc = with_metrics(vllm_metric(), minimal, autoScaling={"pollingInterval": 10})
    assert svc.spec.auto_scaling is not None
    assert kserve_auto_scaling(svc.spec.auto_scaling) == {
        "metrics": [
            vllm_metric(),
            {
                "type": "PodMetric",
                "podmetric": {
                    "metric": {"backend": "opentelemetry", "query": "q"},
                    "target": {"type": "AverageValue", "averageUtilization": 80},
                },
            },
        ]
    }
    timings_only = service(autoScaling={"cooldownPeriod": 60})
    assert timings_only.spec.auto_scaling is not None
    assert kserve_auto_scaling(timings_only.spec.auto_scaling) == {}


# --- buildUserMetricTrigger rules ------------------------------------------------------------

TRIGGERS: list[tuple[str, dict[str, Any], str | None]] = [
    ("query wins over metricNames", {"query": "a", "metricNames": ["b"]}, "a"),
    ("first metricName when no query", {"query": "", "metricNames": ["b", "c"]}, "b"),
    ("nothing to query: no trigger", {"query": "", "metricNames": [""]}, None),
]


@pytest.mark.parametrize(
    ("metric", "query"), [c[1:] for c in TRIGGERS], ids=[c[0] for c in TRIGGERS]
)
def test_user_metric_query(metric: dict[str, Any], query: str | None) -> None:
    """buildUserMetricTrigger (scaledobject.go@57e6de1): query, else metricNames[0], else
    no trigger."""
    spec = vllm_metric()
    spec["podmetric"]["metric"] = metric
    svc = with_metrics(spec, minReplicas=1)
    assert svc.spec.auto_scaling is not None and svc.spec.auto_scaling.metrics
    trigger = user_metric_trigger(svc.spec.auto_scaling.metrics[0], NAMESPACE, "p")
    if query is None:
        assert trigger is None
    else:
        assert trigger == {
            "type": "external",
            "metadata": {
                "scalerAddress": DEFAULT_SCALER_ADDRESS,
                "metricQuery": f'sum({query}{{namespace="{NAMESPACE}",deployment="p"}})',
                "targetValue": "1",
            },
        }


TARGETS = [
    ("value first", {"type": "Value", "value": "2", "averageValue": "3"}, "2"),
    ("then averageValue", {"type": "AverageValue", "averageValue": "500m"}, "500m"),
    ("then averageUtilization", {"type": "Utilization", "averageUtilization": 80}, "80"),
    ("empty strings count as unset (omitempty)",
     {"type": "Value", "value": "", "averageUtilization": 7}, "7"),
    ("else 0", {"type": "Value", "value": ""}, "0"),
]


@pytest.mark.parametrize(("target", "want"), [c[1:] for c in TARGETS], ids=[c[0] for c in TARGETS])
def test_user_metric_target_value(target: dict[str, Any], want: str) -> None:
    """resolveUserTargetValue (scaledobject.go@57e6de1)."""
    svc = with_metrics(vllm_metric(**target), minReplicas=1)
    assert planned(svc)["spec"]["triggers"][0]["metadata"]["targetValue"] == want


def test_user_metric_server_address_and_operation() -> None:
    """A metric's own serverAddress wins over the default; no operationOverTime, no key."""
    metric = vllm_metric()
    metric["podmetric"]["metric"].update(serverAddress="otel.example:4318", operationOverTime="")
    (trigger,) = planned(with_metrics(metric, minReplicas=1))["spec"]["triggers"]
    assert trigger["metadata"]["scalerAddress"] == "otel.example:4318"
    assert "operationOverTime" not in trigger["metadata"]
    assert DEFAULT_SCALER_ADDRESS == "keda-otel-scaler.keda.svc:4318"  # not the CRD's :4317


def test_effective_resources_wait_for_a_ready_profile() -> None:
    """resolveEffectiveResourcesFromProfile: nothing before the profile is Ready, unless the
    service gives its own resources (which replace the profile's)."""
    status = ProfileStatus("NotAvailable", "", True, limits={"memory": "48Gi"})
    assert effective_resources(service(), status) is None
    ready = ProfileStatus("Ready", "", True, limits={"memory": "48Gi"})
    assert effective_resources(service(), ready) == {"limits": {"memory": "48Gi"}}
    own = service(resources={"requests": {"memory": "8Gi"}})
    assert effective_resources(own, status) == {"requests": {"memory": "8Gi"}}


def test_scale_to_zero_cooldown_follows_the_profile_memory() -> None:
    profile = gpu_profile(resources={"limits": {"memory": "48Gi"}})
    objects = rendered({"minReplicas": 0}, routing=ROUTED, profile=profile)
    assert objects["ScaledObject"]["spec"]["cooldownPeriod"] == 300 + 48 * 5


# --- the render: apply order, gating, tracking ----------------------------------------------


def test_scaled_object_is_rendered_after_the_route_and_gated_with_the_isvc() -> None:
    spec = {"minReplicas": 0, "maxReplicas": 2, "routing": ROUTED}
    specs = specs_of(spec)
    desired = render(specs, resolve_all(specs, ClusterFacts.unknown()))
    kinds = [o.key.kind for o in desired.objects]
    assert kinds[-3:] == ["InferenceService", "HTTPRoute", "ScaledObject"]
    assert KIND_STAGE["ScaledObject"] > KIND_STAGE["InferenceService"]
    (plan_,) = desired.services.values()
    (scaled,) = [o for o in desired.objects if o.key.kind == "ScaledObject"]
    assert scaled.key in plan_.objects  # held back while the caches download
    assert scaled.key not in {o.key for o in gate(desired, CacheState()).objects}
    metadata: Any = scaled.manifest["metadata"]
    assert metadata["annotations"] == {"aimsync.io/source": "qwen-chat.yaml"}
    assert metadata["labels"]["aimsync.io/spec-kind"] == "AIMService"
    assert metadata["labels"]["aimsync.io/spec-name"] == "qwen-chat"
    assert scaled.key.api_version == "keda.sh/v1alpha1"


def test_scaled_object_output_is_a_plain_manifest() -> None:
    """What `aimsync render` prints is YAML kubectl applies (ints stay ints)."""
    manifest = rendered({"minReplicas": 0}, routing=ROUTED)["ScaledObject"]
    again = yaml.safe_load(yaml.safe_dump(manifest))
    assert again == manifest and again["spec"]["minReplicaCount"] == 0


# --- the cluster edge: a cluster without KEDA ------------------------------------------------


class FakeCluster(KubeClient):
    """Answers GETs like a kube-apiserver without the KEDA CRDs: a plain-text 404 (no
    Status) for the keda.sh paths, empty lists for everything else."""

    def __init__(self) -> None:
        super().__init__(None, retry=RetryPolicy(attempts=1), sleep=lambda _: None)  # type: ignore[arg-type]
        self.paths: list[str] = []

    def _prepare(self, method: str, path: str, *args: Any) -> PreparedRequest:
        return PreparedRequest(path, {}, None)

    def _send(self, method: str, prepared: PreparedRequest, *args: Any
              ) -> tuple[int, bytes, str | None]:
        path = prepared.url
        self.paths.append(path)
        if "/keda.sh/" in path:
            return 404, b"404 page not found\n", None
        return 200, b'{"items": [], "metadata": {}}', None


def test_members_of_a_kind_the_cluster_does_not_serve_are_none() -> None:
    kube = FakeCluster()
    live = read_members(kube, "applyset-x", ["team"])
    assert len(live.members) == 0
    assert any("scaledobjects" in p for p in kube.paths) and "ScaledObject" in MANAGED_KINDS


def test_applying_a_scaled_object_without_keda_names_the_crd() -> None:
    key = ObjectKey("keda.sh/v1alpha1", "ScaledObject", "team", "chat-predictor")
    with pytest.raises(NotFound) as raised:
        FakeCluster().request("PATCH", object_path(key), body={}, content_type="x")
    assert raised.value.not_served
    failure = failure_of(key, raised.value, exists=False)
    assert failure.cause is Cause.API_ERROR
    assert failure.message == (
        "404: the cluster does not serve keda.sh/v1alpha1 scaledobjects: the "
        "CustomResourceDefinition scaledobjects.keda.sh is not installed (install KEDA, which "
        "brings it)"
    )


def test_a_missing_object_is_not_a_missing_api() -> None:
    status = {"kind": "Status", "reason": "NotFound", "message": 'scaledobjects.keda.sh "x" '
              "not found", "details": {"kind": "scaledobjects"}}
    error = NotFound("GET", "/apis/keda.sh/v1alpha1/namespaces/t/scaledobjects/x", 404, status)
    assert not error.not_served and error.message == 'scaledobjects.keda.sh "x" not found'


def test_rbac_grants_scaled_objects_like_http_routes() -> None:
    role = next(yaml.safe_load_all((ROOT / "deploy/base/rbac.yaml").read_text()))
    verbs = {r["resources"][0]: r["verbs"] for r in role["rules"]}
    assert verbs["scaledobjects"] == verbs["httproutes"]
    assert RESOURCES["ScaledObject"].plural == "scaledobjects"


def test_the_scaler_address_and_cooldown_per_gib_come_from_aimsync_yaml() -> None:
    """The operator reads AIM_KEDA_OTEL_SCALER_ADDRESS and AIM_COOLDOWN_SECONDS_PER_GI_MEMORY
    from its environment (constants.go@e837778); aimsync from `autoscaling` in aimsync.yaml."""
    spec = {"minReplicas": 0, "autoScaling": {"metrics": [vllm_metric()]},
            "resources": {"requests": {"memory": "128Gi"}}}
    specs = specs_of({**spec, "routing": {"enabled": True, "gatewayRef": {"name": "gw"}}}, None)
    specs.settings = specs.settings.model_copy(update={"autoscaling": AutoscalingSettings(
        scaler_address="scaler.custom.svc:5555", cooldown_seconds_per_gi_memory=2)})
    desired = render(specs, resolve_all(specs, ClusterFacts.unknown()))
    (scaled,) = [o.manifest for o in desired.objects if o.key.kind == "ScaledObject"]
    assert {t["metadata"]["scalerAddress"] for t in scaled["spec"]["triggers"]} == {
        "scaler.custom.svc:5555"
    }
    assert scaled["spec"]["cooldownPeriod"] == 556  # 300 + 128 * 2
