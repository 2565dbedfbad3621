"""The KServe InferenceService of a service: inline predictor (Gen-A, reference §3.3, §3.5)."""

from __future__ import annotations

import re

from msgspec import Struct

from aimsync.api.base import QUANTITY_PATTERN
from aimsync.api.common import EnvVar
from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.service import AIMService, AIMServiceAutoScaling
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.quantity import QuantityError, parse_quantity
from aimsync.render.desired import ReplicaBounds
from aimsync.render.labels import (
    METRIC_LABEL,
    PRECISION_LABEL,
    PROFILE_LABEL,
    SERVICE_LABEL,
    SERVICE_NAME_LABEL,
    base_labels,
    sanitize_label_value,
)
from aimsync.render.profile_configmap import profile_file_stem
from aimsync.resolve.overrides import merge_env
from aimsync.resolve.profile_status import ProfileStatus

KSERVE_API = "serving.kserve.io/v1beta1"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
OTEL_SIDECAR_ANNOTATION = "sidecar.opentelemetry.io/inject"
PROMETHEUS_PORT_ANNOTATION = "prometheus.kserve.io/port"
PREDICTOR_SUFFIX = "-predictor"  # KServe's predictor Deployment and Service: <isvc>-predictor
_QUANTITY = re.compile(QUANTITY_PATTERN)  # KServe's MetricQuantity pattern
PORT = 8000
SHM_SIZE = "8Gi"
PROFILE_MOUNT_ROOT = "/workspace/aim-runtime/profiles/custom"
CACHE_ROOT = "/workspace/cache"


class ConstantParts(Struct, frozen=True):
    """What every InferenceService writes the same, made once per render and shared by its
    manifests (a rendered manifest is never changed in place): thousands fewer small dicts."""

    ports: list[dict[str, object]]
    shm_mount: dict[str, object]
    shm_volume: dict[str, object]

    @staticmethod
    def make() -> ConstantParts:
        return ConstantParts(
            ports=[{"containerPort": PORT, "name": "http", "protocol": "TCP"}],
            shm_mount={"name": "dshm", "mountPath": "/dev/shm"},
            shm_volume={"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": SHM_SIZE}},
        )


class CacheMount(Struct, frozen=True):
    volume: str
    claim: str
    model_id: str


# The operator pulls the serving image Always at e837778 (kserve.go); a policy from the tag
# arrives only later (6ad72a2). Download Jobs take theirs from the tag (pullPolicyForImage).
SERVING_PULL_POLICY = "Always"
CLUSTER_AUTH_PREFIX = "cluster-auth/"  # annotations of the AIMService copied to the ISVC
MODEL_ID_ANNOTATION = "aim.eai.amd.com/model-id"


def predictor_name(isvc_name: str) -> str:
    return isvc_name + PREDICTOR_SUFFIX


def image_pull_policy(image: str) -> str:
    """`pullPolicyForImage`: `IfNotPresent` for a digest or a pinned tag, `Always` for
    `:latest`, an untagged image or none."""
    if not image:
        return "Always"
    if "@sha256:" in image:
        return "IfNotPresent"
    tag = image.rsplit(":", 1)[1] if ":" in image else ""
    if "/" in tag or tag in ("", "latest"):
        return "Always"
    return "IfNotPresent"


def model_id_of(spec: AIMProfileSpecCommon) -> str:
    """`resolvedModelId`: the profile's modelId, else its first source's, else its aimId."""
    if spec.model_id:
        return spec.model_id
    if spec.model_sources:
        return spec.model_sources[0].model_id
    return spec.aim_id or ""


def framework_env(spec: AIMProfileSpecCommon) -> list[EnvVar]:
    env = [EnvVar(name="AIM_PROFILE_ID", value=f"custom/{spec.aim_id}/{profile_file_stem(spec)}")]
    if spec.model_sources:
        env += [
            EnvVar(name="AIM_ID", value=""),
            EnvVar(name="AIM_CACHE_PATH", value=CACHE_ROOT),
            EnvVar(name="AIM_MODEL_ID", value=spec.model_sources[0].model_id),
        ]
    else:
        env.append(EnvVar(name="AIM_ID", value=spec.aim_id or ""))
    return env  # no AIM_ENGINE at e837778 (buildFrameworkEnvVars)


def container_env(
    service: AIMService, spec: AIMProfileSpecCommon, framework: list[EnvVar] | None = None
) -> list[dict[str, object]]:
    """Profile env, then the service's env (service wins), then the AIM_* framework variables,
    which nothing overrides. `framework`: `framework_env(spec)` when already made."""
    env = merge_env(spec.container_env, service.spec.env)
    env = merge_env(env, framework if framework is not None else framework_env(spec)) or []
    return [var.to_api() for var in env]


def replica_bounds(service: AIMService) -> ReplicaBounds:
    """`resolveReplicaBounds` when the service autoscales (min = minReplicas or 1; max =
    maxReplicas, else minReplicas but at least 1 so a scale-to-zero service can wake, else
    1); otherwise the fixed `replicas`."""
    spec = service.spec
    if not spec.has_autoscaling:
        return ReplicaBounds(spec.replicas, spec.replicas, autoscaled=False)
    low = spec.min_replicas if spec.min_replicas is not None else 1
    if spec.max_replicas is not None:
        high = spec.max_replicas
    elif spec.min_replicas is not None:
        high = max(spec.min_replicas, 1)
    else:
        high = 1
    return ReplicaBounds(low, high, autoscaled=True)


def replica_settings(
    bounds: ReplicaBounds, isvc_name: str
) -> tuple[dict[str, str], dict[str, int]]:
    """(annotations, predictor replica fields) per `configureReplicasAndAutoscaling`:
    autoscaled, KServe stays out of the way (`external`; the ScaledObject scales) and the
    OpenTelemetry sidecar is injected for the scaler's metrics; fixed, no autoscaler."""
    replicas = {"minReplicas": bounds.minimum, "maxReplicas": bounds.maximum}
    if bounds.autoscaled:
        annotations = {
            AUTOSCALER_CLASS: "external",
            OTEL_SIDECAR_ANNOTATION: predictor_name(isvc_name),
            PROMETHEUS_PORT_ANNOTATION: str(PORT),
        }
        return annotations, replicas
    return {AUTOSCALER_CLASS: "none"}, replicas


def _metric_quantity(text: str | None) -> str | None:
    """KServe's `NewMetricQuantity`: the text when it parses as a quantity, else nothing."""
    if not text or not _QUANTITY.match(text):
        return None
    try:
        parse_quantity(text)
    except QuantityError:
        return None
    return text


def kserve_auto_scaling(auto_scaling: AIMServiceAutoScaling) -> dict[str, object]:
    """`convertToKServeAutoScaling`: KServe sizes the predictor's OpenTelemetry collector from
    these metrics; the ScaledObject alone decides the scaling. Empty values are left out as
    Go's `omitempty` does; pollingInterval and cooldownPeriod are not copied."""
    metrics: list[dict[str, object]] = []
    for metric in auto_scaling.metrics or ():
        entry: dict[str, object] = {"type": metric.type}
        source = metric.podmetric
        if metric.type == "PodMetric" and source is not None:
            pod: dict[str, object] = {"backend": source.metric.backend}
            for key, value in (
                ("serverAddress", source.metric.server_address),
                ("metricNames", source.metric.metric_names),
                ("query", source.metric.query),
                ("operationOverTime", source.metric.operation_over_time),
            ):
                if value:
                    pod[key] = value
            target: dict[str, object] = {"type": source.target.type}
            for key, text in (
                ("value", source.target.value),
                ("averageValue", source.target.average_value),
            ):
                quantity = _metric_quantity(text)
                if quantity is not None:
                    target[key] = quantity
            if source.target.average_utilization is not None:
                target["averageUtilization"] = source.target.average_utilization
            entry["podmetric"] = {"metric": pod, "target": target}
        metrics.append(entry)
    return {"metrics": metrics} if metrics else {}


def predictor_resources(
    service: AIMService, status: ProfileStatus
) -> dict[str, dict[str, str]] | None:
    """The container's resources: the service's replace the profile's (ResolveResources)."""
    if service.spec.resources is not None:
        return {
            group: {name: str(value) for name, value in values.items()}
            for group, values in (
                ("limits", service.spec.resources.limits),
                ("requests", service.spec.resources.requests),
            )
            if values
        }
    return status.resources


def render_inference_service(
    *,
    name: str,
    service_name: str,
    namespace: str,
    service: AIMService,
    profile_name: str,
    spec: AIMProfileSpecCommon,
    status: ProfileStatus,
    configmap: str,
    mounts: list[CacheMount],
    extra_labels: dict[str, str],
    replicas: ReplicaBounds,
    framework: list[EnvVar] | None = None,
    constant: ConstantParts | None = None,
) -> DesiredObject:
    """`framework`: `framework_env(spec)` when already made (services share profiles);
    `constant`: the render's shared `ConstantParts`."""
    constant = constant or ConstantParts.make()
    labels = base_labels("inference")
    labels[SERVICE_LABEL] = sanitize_label_value(service_name)
    labels[SERVICE_NAME_LABEL] = sanitize_label_value(service_name)
    labels[PROFILE_LABEL] = sanitize_label_value(profile_name)
    if spec.metric:
        labels[METRIC_LABEL] = spec.metric
    if spec.precision:
        labels[PRECISION_LABEL] = spec.precision
    labels.update(extra_labels)
    # cluster-auth/* of the AIMService, then the model id (buildInferenceServiceFromProfile).
    annotations = {
        key: value for key, value in sorted((service.metadata.annotations or {}).items())
        if key.startswith(CLUSTER_AUTH_PREFIX)
    }
    if model_id_of(spec):
        annotations[MODEL_ID_ANNOTATION] = model_id_of(spec)
    autoscaling, replica_fields = replica_settings(replicas, name)
    annotations.update(autoscaling)

    resources = predictor_resources(service, status)
    container: dict[str, object] = {
        "name": "kserve-container",
        "image": spec.image,
        "imagePullPolicy": SERVING_PULL_POLICY,
        "ports": constant.ports,
        "env": container_env(service, spec, framework),
    }
    if resources:
        container["resources"] = resources
    volume_mounts: list[dict[str, object]] = [
        constant.shm_mount,
        {
            "name": "aim-profile",
            "mountPath": f"{PROFILE_MOUNT_ROOT}/{spec.aim_id}",
            "readOnly": True,
        },
    ]
    volumes: list[dict[str, object]] = [
        constant.shm_volume,
        {"name": "aim-profile", "configMap": {"name": configmap}},
    ]
    for mount in mounts:
        path = f"{CACHE_ROOT}/{mount.model_id}".replace("..", "")
        volume_mounts.append({"name": mount.volume, "mountPath": path})
        volumes.append({"name": mount.volume, "persistentVolumeClaim": {"claimName": mount.claim}})
    container["volumeMounts"] = volume_mounts

    predictor: dict[str, object] = dict(replica_fields)
    if replicas.autoscaled and service.spec.auto_scaling is not None:
        predictor["autoScaling"] = kserve_auto_scaling(service.spec.auto_scaling)
    pull_secrets = service.spec.image_pull_secrets or spec.image_pull_secrets
    if pull_secrets:
        predictor["imagePullSecrets"] = [s.to_api() for s in pull_secrets]
    account = service.spec.service_account_name or spec.service_account_name
    if account:
        predictor["serviceAccountName"] = account
    if service.spec.priority_class_name:
        predictor["priorityClassName"] = service.spec.priority_class_name
    if status.node_affinity:
        predictor["affinity"] = {"nodeAffinity": status.node_affinity}
    predictor["containers"] = [container]
    predictor["volumes"] = volumes
    manifest: dict[str, object] = {
        "apiVersion": KSERVE_API,
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": {"predictor": predictor},
    }
    return DesiredObject(
        ObjectKey(KSERVE_API, "InferenceService", namespace, name),
        manifest,
        origin=f"AIMService {namespace}/{service_name}",
    )
