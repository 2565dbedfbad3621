"""Model caches: one PVC and one download Job per model source (reference §4; DESIGN.md §3.3).

aimsync does the work of the AIMProfileCache and AIMArtifact controllers itself. Caches come
from AIMProfileCache specs, from AIMProfiles with `caching.enabled`, and from services whose
profile has model sources. Shared caches of a namespace that download the same source into the
same storage class share one PVC, as shared artifacts do in the operator.

A model source without `size` (and no `defaultCacheSize`) is measured first, as the
operator's check-size step does (reference §4.3): the check-size Job alone is rendered until a
run has read the size it measured; then the PVC (sized from it, the size recorded on it) and
the download Job follow.

Names: the operator hashes an artifact's UID into its PVC and Job names; a repository has no
UIDs, so aimsync hashes the namespace and the artifact name instead. They are stable across
runs, which is what matters for a PVC holding 60 GB of weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from msgspec import Struct, field

from aimsync.api import AIMKind
from aimsync.api.common import EnvVar
from aimsync.api.profile import AIMModelSource
from aimsync.core.naming import artifact_name, generate_derived_name
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.quantity import ceil_gib, parse_quantity
from aimsync.core.sizing import CHECK_SIZE_CONTAINER, MeasuredSize
from aimsync.render.inference_service import image_pull_policy
from aimsync.render.labels import (
    AIM_COMPONENT_LABEL,
    CACHE_MODE_LABEL,
    CACHE_NAME_LABEL,
    CACHE_TYPE_LABEL,
    CACHES_ANNOTATION,
    MODEL_SIZE_ANNOTATION,
    PROFILE_CACHE_LABEL,
    SOURCE_MODEL_LABEL,
    base_labels,
    sanitize_label_value,
)
from aimsync.resolve.overrides import merge_env
from aimsync.settings import Settings

CACHE_MOUNT = "/cache/models"  # buildDownloadJob at e837778
DEFAULT_DOWNLOAD_EXCLUDE = "*/*"  # resolveDownloadFilter's default: no files in subfolders
DOWNLOADER_UID = 1000


class CacheRequest(Struct, frozen=True):
    """A logical cache: which sources, in which namespace, Shared or Dedicated, with which
    download credentials and storage."""

    namespace: str
    name: str
    mode: str  # Shared | Dedicated
    origin: str  # the spec that asks for it, e.g. "AIMProfileCache ml-team/qwen"
    kind: AIMKind  # of that spec
    sources: tuple[AIMModelSource, ...]
    headroom_percent: int  # PVC size = ceil_Gi(size * (1 + headroom%))
    env: tuple[EnvVar, ...] = ()
    storage_class: str | None = None


class Artifact(Struct):
    """One model source downloaded onto one PVC."""

    namespace: str
    name: str
    source_uri: str
    model_id: str
    storage_class: str | None
    size_bytes: Decimal | None  # None: not known yet, a check-size Job measures it
    headroom_percent: int
    env: list[EnvVar]
    mode: str = "Shared"  # Shared | Dedicated
    caches: list[str] = field(default_factory=list)
    measured: MeasuredSize | None = None  # the size came from a check-size Job

    @property
    def measures_size(self) -> bool:
        """The size comes from a check-size Job (the repository gives none)."""
        return self.size_bytes is None or self.measured is not None

    @property
    def needs_size_check(self) -> bool:
        """The size is measured, and it is not recorded on the PVC yet."""
        return self.size_bytes is None or (self.measured is not None and not self.measured.recorded)

    @property
    def size_check_name(self) -> str:
        return generate_derived_name([self.name, "check-size"], [self.namespace, self.name])

    @property
    def size_check_key(self) -> ObjectKey:
        return ObjectKey("batch/v1", "Job", self.namespace, self.size_check_name)

    @property
    def pvc_name(self) -> str:
        return generate_derived_name([self.name, "cache"], [self.namespace, self.name])

    @property
    def job_name(self) -> str:
        return generate_derived_name([self.name, "download"], [self.namespace, self.name])

    @property
    def pvc_key(self) -> ObjectKey:
        return ObjectKey("v1", "PersistentVolumeClaim", self.namespace, self.pvc_name)

    @property
    def job_key(self) -> ObjectKey:
        return ObjectKey("batch/v1", "Job", self.namespace, self.job_name)

    @property
    def storage_request(self) -> str:
        """ceil_Gi(size * (1 + headroom%))."""
        assert self.size_bytes is not None, f"artifact {self.name} has no size yet"
        size = self.size_bytes * (1 + Decimal(self.headroom_percent) / 100)
        return f"{ceil_gib(size)}Gi"


ArtifactKey = tuple[str, str]  # (namespace, artifact name)


def artifact_key(request: CacheRequest, source: AIMModelSource) -> ArtifactKey:
    storage = request.storage_class or ""
    dedicated = request.name if request.mode == "Dedicated" else None
    return request.namespace, artifact_name(source.source_uri, None, storage, dedicated)


def source_size(source: AIMModelSource, settings: Settings) -> Decimal | None:
    """The size the repository gives (the source's, else defaultCacheSize), or None."""
    size = source.size if source.size is not None else settings.default_cache_size
    return parse_quantity(size) if size is not None else None


def _larger(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return b if a is None else a if b is None else max(a, b)


def plan_artifacts(
    requests: list[CacheRequest],
    settings: Settings,
    measured: Mapping[ArtifactKey, MeasuredSize] | None = None,
) -> dict[ArtifactKey, Artifact]:
    """Artifacts of all caches; Shared ones with the same source and storage merge.
    `measured`: sizes check-size Jobs found, for artifacts the repository gives none."""
    artifacts: dict[ArtifactKey, Artifact] = {}
    for request in sorted(requests, key=lambda r: (r.namespace, r.name, r.origin)):
        for source in request.sources:
            key = artifact_key(request, source)
            env = merge_env(list(request.env), source.env) or []
            found = artifacts.get(key)
            if found is None:
                found = artifacts[key] = Artifact(
                    namespace=request.namespace,
                    name=key[1],
                    source_uri=source.source_uri,
                    model_id=source.model_id,
                    storage_class=request.storage_class,
                    size_bytes=source_size(source, settings),
                    headroom_percent=request.headroom_percent,
                    env=env,
                    mode=request.mode,
                )
            else:
                # The largest request wins; the first cache (in name order) gives credentials.
                found.size_bytes = _larger(found.size_bytes, source_size(source, settings))
                found.headroom_percent = max(found.headroom_percent, request.headroom_percent)
                if not found.env:
                    found.env = env
            cache_ref = f"{request.namespace}/{request.name}"
            if cache_ref not in found.caches:
                found.caches.append(cache_ref)
    for key, artifact in artifacts.items():
        size = (measured or {}).get(key)
        if artifact.size_bytes is None and size is not None:
            artifact.size_bytes = Decimal(size.size_bytes)
            artifact.measured = size
    return artifacts


def _artifact_labels(artifact: Artifact) -> dict[str, str]:
    labels = base_labels("model-storage")
    labels[CACHE_NAME_LABEL] = artifact.name
    labels[SOURCE_MODEL_LABEL] = sanitize_label_value(artifact.source_uri.split("://", 1)[-1])
    labels[PROFILE_CACHE_LABEL] = sanitize_label_value(artifact.caches[0].split("/", 1)[1])
    labels[CACHE_MODE_LABEL] = artifact.mode
    return labels


def render_pvc(artifact: Artifact) -> DesiredObject:
    spec: dict[str, object] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": artifact.storage_request}},
    }
    if artifact.storage_class:
        spec["storageClassName"] = artifact.storage_class
    manifest: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": artifact.pvc_name,
            "namespace": artifact.namespace,
            "labels": _artifact_labels(artifact),
            "annotations": {CACHES_ANNOTATION: ",".join(sorted(artifact.caches))},
        },
        "spec": spec,
    }
    if artifact.measured is not None:
        # Where later runs find the size once the check-size Job is gone.
        annotations = manifest["metadata"]["annotations"]  # type: ignore[index]
        annotations[MODEL_SIZE_ANNOTATION] = str(artifact.measured.size_bytes)
    return DesiredObject(
        artifact.pvc_key,
        manifest,
        origin=", ".join(sorted(artifact.caches)),
    )


def _download_env(artifact: Artifact) -> list[dict[str, object]]:
    """buildDownloadJob's env at e837778, then the default download filter (subfolders are
    not downloaded), then the cache's credentials (a later entry of a name wins)."""
    defaults = [
        EnvVar(name="AIM_DOWNLOADER_PROTOCOL", value="XET,HF_TRANSFER"),
        EnvVar(name="TMPDIR", value="/tmp/"),
        EnvVar(name="HF_HOME", value="/tmp/.hf"),
        EnvVar(name="EXPECTED_SIZE_BYTES", value=str(int(artifact.size_bytes or 0))),
        EnvVar(name="MOUNT_PATH", value=CACHE_MOUNT),
        EnvVar(name="ARTIFACT_NAME", value=artifact.name),
        EnvVar(name="ARTIFACT_NAMESPACE", value=artifact.namespace),
        EnvVar(name="STALL_TIMEOUT", value="120"),
        EnvVar(name="TARGET_DIR", value=CACHE_MOUNT),
        EnvVar(name="AIM_HF_EXCLUDE", value=DEFAULT_DOWNLOAD_EXCLUDE),
    ]
    merged = merge_env(defaults, artifact.env) or []
    return [var.to_api() for var in merged]


def _job_labels(artifact: Artifact, component: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels of a cache Job and of its pods (the pods without managed-by, as the
    operator's framework labels them)."""
    labels = base_labels("model-storage")
    labels.update(
        {
            CACHE_NAME_LABEL: artifact.name,
            CACHE_TYPE_LABEL: "artifact",
            AIM_COMPONENT_LABEL: component,
            CACHE_MODE_LABEL: artifact.mode,
        }
    )
    return labels, {k: v for k, v in labels.items() if k != "app.kubernetes.io/managed-by"}


def _cache_job(
    artifact: Artifact, name: str, component: str, pod_security: dict[str, object],
    container: dict[str, object], volumes: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """The Job of both cache steps (buildCheckSizeJob, buildDownloadJob): one container,
    never restarted, at most two retries."""
    labels, pod_labels = _job_labels(artifact, component)
    pod: dict[str, object] = {
        "restartPolicy": "Never", "securityContext": pod_security, "containers": [container],
    }
    if volumes:
        pod["volumes"] = volumes
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": artifact.namespace,
            "labels": labels,
            "annotations": {CACHES_ANNOTATION: ",".join(sorted(artifact.caches))},
        },
        "spec": {"backoffLimit": 2, "template": {"metadata": {"labels": pod_labels}, "spec": pod}},
    }


def render_check_size_job(artifact: Artifact, settings: Settings) -> DesiredObject:
    """`buildCheckSizeJob` at e837778: the downloader image runs /check-size.sh on the source
    and prints its size. No volume; the pod security context only (no container one, no
    fsGroup), unlike the download Job. No TTL: the Job must outlive the run that reads it."""
    env = merge_env([EnvVar(name="AIM_HF_EXCLUDE", value=DEFAULT_DOWNLOAD_EXCLUDE)], artifact.env)
    container: dict[str, object] = {
        "name": CHECK_SIZE_CONTAINER,
        "image": settings.downloader_image,
        "imagePullPolicy": image_pull_policy(settings.downloader_image),
        "command": ["/check-size.sh"],
        "args": [artifact.source_uri],
        "env": [var.to_api() for var in env or []],
    }
    pod_security: dict[str, object] = {
        "runAsUser": DOWNLOADER_UID, "runAsGroup": DOWNLOADER_UID, "runAsNonRoot": True,
    }
    manifest = _cache_job(artifact, artifact.size_check_name, "check-size", pod_security,
                          container)
    return DesiredObject(
        artifact.size_check_key, manifest, origin=", ".join(sorted(artifact.caches))
    )


def render_download_job(artifact: Artifact, settings: Settings) -> DesiredObject:
    container: dict[str, object] = {
        "name": "model-download",
        "image": settings.downloader_image,
        "imagePullPolicy": image_pull_policy(settings.downloader_image),
        "securityContext": {"runAsUser": DOWNLOADER_UID, "runAsGroup": DOWNLOADER_UID},
        "args": [artifact.source_uri],
        "env": _download_env(artifact),
        "volumeMounts": [{"name": "cache", "mountPath": CACHE_MOUNT}],
    }
    pod_security: dict[str, object] = {
        "runAsUser": DOWNLOADER_UID, "runAsGroup": DOWNLOADER_UID, "fsGroup": DOWNLOADER_UID,
        "runAsNonRoot": True,
    }
    volumes: list[dict[str, object]] = [
        {"name": "cache", "persistentVolumeClaim": {"claimName": artifact.pvc_name}}
    ]
    manifest = _cache_job(artifact, artifact.job_name, "download", pod_security, container,
                          volumes)
    return DesiredObject(
        artifact.job_key,
        manifest,
        origin=", ".join(sorted(artifact.caches)),
    )
