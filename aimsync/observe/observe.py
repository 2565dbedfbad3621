"""The status of every spec from what the cluster shows (DESIGN.md §5; reference §1.3-1.5,
§4.2, §5, §6.4).

Pure: the live objects, the resolutions and the rendered set come in; status documents go
out. Conditions keep their lastTransitionTime unless they change (the previous status comes in
too), so an unchanged state gives byte-identical status files.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from msgspec import Struct

from aimsync.api import AIMKind, AIMService
from aimsync.core.live import LiveObjects, ObjectState, inference_service_state, job_state
from aimsync.core.sizing import recorded_size
from aimsync.load.status_tree import StatusKey
from aimsync.observe.conditions import Health, HealthState, with_times, worst
from aimsync.render.desired import ArtifactPlan, CachePlan, DesiredSet
from aimsync.render.inference_service import replica_bounds
from aimsync.render.labels import MODEL_SIZE_ANNOTATION
from aimsync.resolve.profile_status import ProfileStatus
from aimsync.resolve.resolver import ProfileRef, Resolution, Resolved
from aimsync.specs import Spec, Specs

# The service's status from its worst component (AIMServiceStatus); the others keep the name.
SERVICE_STATUS = {
    HealthState.PROGRESSING: "Starting", HealthState.READY: "Running",
    HealthState.NOT_AVAILABLE: "Pending",
}
ARTIFACT_STATUS = {
    ObjectState.READY: "Ready", ObjectState.FAILED: "Failed", ObjectState.PENDING: "Progressing",
}


class CacheStep(StrEnum):
    """Where an artifact is: measuring the model's size (reference §4.3), or downloading it."""

    CHECK_SIZE = "CheckSize"
    DOWNLOAD = "Download"


class ArtifactProgress(Struct, frozen=True):
    """One artifact as the cluster shows it: its step, and the state of that step's Job
    (None: the Job does not exist yet)."""

    plan: ArtifactPlan
    step: CacheStep
    state: ObjectState | None
    pvc: Mapping[str, Any] | None

    @staticmethod
    def of(plan: ArtifactPlan, live: LiveObjects) -> ArtifactProgress:
        step = CacheStep.DOWNLOAD if plan.size_known else CacheStep.CHECK_SIZE
        job_key = plan.job if plan.size_known or plan.size_check is None else plan.size_check
        job = live.members.get(job_key)
        return ArtifactProgress(
            plan, step, job_state(job) if job is not None else None, live.members.get(plan.pvc)
        )

    @property
    def status(self) -> str:
        if self.step is CacheStep.CHECK_SIZE and self.state is ObjectState.READY:
            return "Progressing"  # measured: the PVC and the download follow
        return ARTIFACT_STATUS[self.state] if self.state is not None else "Pending"

    def entry(self) -> dict[str, Any]:
        metadata = (self.pvc or {}).get("metadata") or {}
        entry: dict[str, Any] = {
            "name": self.plan.name,
            "uid": str(metadata.get("uid", "")),
            "model": self.plan.model_id,
            "status": self.status,
            "step": self.step.value,
            "persistentVolumeClaim": self.plan.pvc.name,
        }
        if self.plan.size_check is not None:
            entry["checkSizeJob"] = self.plan.size_check.name
            size = recorded_size((metadata.get("annotations") or {}).get(MODEL_SIZE_ANNOTATION))
            if size is not None:
                entry["discoveredSizeBytes"] = size
        return entry


def _artifacts(cache: CachePlan, live: LiveObjects) -> list[ArtifactProgress]:
    return [ArtifactProgress.of(artifact, live) for artifact in cache.artifacts]


def _cache_health(artifacts: list[ArtifactProgress]) -> Health:
    states = [a.state for a in artifacts]
    measuring = [a for a in artifacts if a.step is CacheStep.CHECK_SIZE]
    if any(a.state is ObjectState.FAILED and a.step is CacheStep.CHECK_SIZE for a in artifacts):
        return Health("ProfileCache", HealthState.FAILED, "SizeCheckFailed",
                      "measuring a model's size failed (its check-size Job failed)")
    if any(s is ObjectState.FAILED for s in states):
        return Health("ProfileCache", HealthState.FAILED, "CacheFailed",
                      "a model download failed")
    if measuring:
        jobs = ", ".join(sorted(a.plan.size_check.name for a in measuring if a.plan.size_check))
        return Health("ProfileCache", HealthState.PROGRESSING, "CheckingSize",
                      f"measuring the model's size (check-size Job {jobs}); the PVC and "
                      "the download follow")
    if artifacts and all(s is ObjectState.READY for s in states):
        return Health("ProfileCache", HealthState.READY, "CacheReady",
                      "model weights are downloaded")
    if any(s is None for s in states):
        return Health("ProfileCache", HealthState.PROGRESSING, "CacheCreating",
                      "cache not created yet")
    return Health("ProfileCache", HealthState.PROGRESSING, "CacheNotReady",
                  "model download in progress")


class StatusReport(Struct, frozen=True):
    """One spec's status, and where its spec was written."""

    kind: str
    name: str
    namespace: str | None
    file: str
    index: int  # position of the document in its file
    status: dict[str, Any]


def _profile_status(
    status: ProfileStatus, previous: Mapping[str, Any] | None, now: str
) -> dict[str, Any]:
    conditions = [(c.type, c.status, c.reason, c.message) for c in status.conditions]
    conditions.append(
        ("Ready", "True" if status.status == "Ready" else "False",
         "Ready" if status.status == "Ready" else status.status,
         "profile can be deployed" if status.status == "Ready" else "no node can run it")
    )
    out: dict[str, Any] = {
        "status": status.status,
        "deployable": status.deployable,
        "origin": "user-authored",
        "version": status.version,
        "hardwareSummary": status.hardware_summary,
    }
    if status.matching_nodes is not None:
        out["matchingNodes"] = status.matching_nodes
    if status.resources:
        out["resources"] = status.resources
    if status.node_affinity:
        out["resolvedNodeAffinity"] = status.node_affinity
    out["conditions"] = with_times(conditions, (previous or {}).get("conditions"), now)
    return out


class Observer:
    def __init__(
        self,
        specs: Specs,
        resolved: Resolved,
        desired: DesiredSet,
        live: LiveObjects,
        previous: Mapping[StatusKey, Mapping[str, Any]],
        now: str,
    ) -> None:
        self.specs = specs
        self.resolved = resolved
        self.desired = desired
        self.live = live
        self.previous = previous
        self.now = now

    def _previous(self, kind: AIMKind, namespace: str | None, name: str) -> Mapping[str, Any]:
        return self.previous.get((kind.value, namespace, name)) or {}

    def profiles(self) -> list[StatusReport]:
        statuses = self.resolved.statuses.by_ref
        out = []
        for name, cluster in sorted(self.specs.cluster_profiles.items()):
            status = statuses[ProfileRef(name, "Cluster", None)]
            previous = self._previous(AIMKind.CLUSTER_PROFILE, None, name)
            out.append(self._report(cluster, _profile_status(status, previous, self.now)))
        for (namespace, name), profile in sorted(self.specs.profiles.items()):
            if not self.specs.settings.owns_namespace(namespace):
                continue
            status = statuses[ProfileRef(name, "Namespace", namespace)]
            previous = self._previous(AIMKind.PROFILE, namespace, name)
            out.append(self._report(profile, _profile_status(status, previous, self.now)))
        return out

    def caches(self) -> list[StatusReport]:
        out = []
        for (namespace, name), cache in sorted(self.desired.caches.items()):
            spec = self.specs.caches[(namespace, name)]
            progress = _artifacts(cache, self.live)
            artifacts = {a.plan.name: a.entry() for a in progress}
            health = _cache_health(progress)
            profile_found = ("ProfileFound", "True", "ProfileResolved",
                             f"caching the sources of {spec.obj.spec.profile_name}")
            artifacts_ready = (
                "ArtifactsReady", "True" if health.state is HealthState.READY else "False",
                "AllCachesReady" if health.state is HealthState.READY else health.reason,
                health.message,
            )
            ready = ("Ready", artifacts_ready[1], artifacts_ready[2], health.message)
            previous = self._previous(AIMKind.PROFILE_CACHE, namespace, name)
            status = {
                "status": health.state.value,
                "artifacts": artifacts,
                "conditions": with_times(
                    [profile_found, artifacts_ready, ready], previous.get("conditions"), self.now
                ),
            }
            out.append(self._report(spec, status))
        return out

    def services(self) -> list[StatusReport]:
        out = []
        for key, spec in sorted(self.specs.services.items()):
            if not self.specs.settings.owns_namespace(key[0]):
                continue
            out.append(self._report(spec, self._service_status(spec, self.resolved.of(key))))
        return out

    def _service_status(self, spec: Spec[AIMService], resolution: Resolution) -> dict[str, Any]:
        namespace = spec.namespace or ""
        plan = self.desired.services.get(resolution.service)
        healths: list[Health] = []
        status: dict[str, Any] = {}
        chosen = resolution.chosen
        if chosen is not None:
            healths.append(
                Health("Profile", HealthState.READY, "ProfileResolved", resolution.message)
            )
            ref = chosen.profile
            status["resolvedProfile"] = {
                "name": ref.name, "kind": ref.kind, "scope": ref.scope,
                **({"namespace": ref.namespace} if ref.namespace else {}),
            }
            if chosen.spec.model_id:
                status["resolvedModel"] = {"name": chosen.spec.model_id}
        else:
            healths.append(
                Health("Profile", HealthState.PENDING, resolution.reason.value, resolution.message)
            )
        if plan is not None and plan.cache is not None:
            healths.append(_cache_health(_artifacts(plan.cache, self.live)))
            status["cache"] = {
                "profileCacheRef": {
                    "name": plan.cache.name, "namespace": namespace, "kind": "AIMProfileCache",
                    "scope": "Namespace",
                }
            }
        isvc = self.live.members.get(plan.inference_service) if plan is not None else None
        running = isvc is not None and inference_service_state(isvc) is ObjectState.READY
        if plan is not None:
            name = plan.inference_service.name
            if running:
                healths.append(Health("InferenceService", HealthState.READY, "RuntimeReady",
                                      f"InferenceService {name} is ready"))
            else:
                healths.append(Health(
                    "InferenceService", HealthState.PROGRESSING, "CreatingRuntime",
                    f"InferenceService {name} is not ready yet" if isvc is not None else
                    f"waiting for the model cache before creating InferenceService {name}",
                ))
            if plan.route is not None:
                healths.append(
                    Health("HTTPRoute", HealthState.READY, "HTTPRouteCreated", "HTTPRoute applied")
                    if plan.route in self.live.members
                    else Health("HTTPRoute", HealthState.PROGRESSING, "HTTPRouteCreating",
                                "HTTPRoute not applied yet")
                )
            scaled = plan.scaled_object
            if scaled is not None:
                healths.append(
                    Health("Autoscaling", HealthState.READY, "ScaledObjectCreated",
                           f"KEDA ScaledObject {scaled.name} applied")
                    if scaled in self.live.members
                    else Health("Autoscaling", HealthState.PROGRESSING, "ScaledObjectCreating",
                                f"KEDA ScaledObject {scaled.name} not applied yet")
                )
        overall = worst([h.state for h in healths])
        conditions = [h.condition for h in healths]
        conditions.append(
            ("Ready", "True" if overall is HealthState.READY else "False",
             "AllComponentsReady" if overall is HealthState.READY else
             next(h.reason for h in healths if h.state == overall),
             "the service is running" if overall is HealthState.READY else
             next(h.message for h in healths if h.state == overall))
        )
        bounds = plan.replicas if plan is not None else replica_bounds(spec.obj)
        current = bounds.maximum if running else 0
        status["runtime"] = {
            "currentReplicas": current, "desiredReplicas": bounds.maximum,
            "minReplicas": bounds.minimum, "maxReplicas": bounds.maximum,
            "replicas": f"{current}/{bounds.maximum}",
        }
        status["status"] = SERVICE_STATUS.get(overall, overall.value)
        previous = self._previous(AIMKind.SERVICE, namespace, spec.name)
        status["conditions"] = with_times(conditions, previous.get("conditions"), self.now)
        return dict(sorted(status.items()))

    def _report(self, spec: Spec[Any], status: dict[str, Any]) -> StatusReport:
        return StatusReport(
            spec.kind.value, spec.name, spec.namespace, spec.source.file,
            spec.source.document.index, status,
        )

    def all(self) -> list[StatusReport]:
        return self.profiles() + self.caches() + self.services()


def observe(
    specs: Specs,
    resolved: Resolved,
    desired: DesiredSet,
    live: LiveObjects,
    previous: Mapping[StatusKey, Mapping[str, Any]],
    now: str,
) -> list[StatusReport]:
    """The status of every spec this instance owns, from the live objects (pure)."""
    return Observer(specs, resolved, desired, live, previous, now).all()
