"""The status of every spec from what the cluster shows (DESIGN.md §5; reference §1.3-1.5,
§4.2, §5, §6.4).

Pure: the live objects, the resolutions and the rendered set come in; status documents go
out. Conditions keep their lastTransitionTime unless they change (the previous status comes in
too), so an unchanged state gives byte-identical status files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aimsync.api import AIMKind
from aimsync.observe.conditions import Health, with_times, worst
from aimsync.observe.live import LiveObjects, isvc_ready, job_state
from aimsync.render.caches import ArtifactKey, artifact_key
from aimsync.render.naming import http_route_name, inference_service_name
from aimsync.render.render import service_cache_request, spec_cache_requests
from aimsync.resolve.profile_status import ProfileStatus
from aimsync.resolve.resolver import ProfileRef, ProfileStatuses, Resolution
from aimsync.specs import Spec, Specs

SERVICE_STATUS = {"Progressing": "Starting", "Ready": "Running", "NotAvailable": "Pending"}
ARTIFACT_STATUS = {"ready": "Ready", "failed": "Failed", "pending": "Progressing"}


@dataclass(frozen=True)
class StatusReport:
    """One spec's status, and where its spec was written."""

    kind: str
    name: str
    namespace: str | None
    file: str
    index: int  # position of the document in its file
    status: dict[str, Any]


def _profile_status(status: ProfileStatus, previous: dict[str, Any] | None, now: str) -> dict[
    str, Any
]:
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


def _artifact_entries(
    keys: list[ArtifactKey], live: LiveObjects, names: dict[ArtifactKey, tuple[str, str, str]]
) -> tuple[dict[str, Any], list[str]]:
    """status.artifacts and the artifacts' states (ready | failed | pending | missing)."""
    entries: dict[str, Any] = {}
    states: list[str] = []
    for key in keys:
        pvc_name, job_name, model = names[key]
        pvc = live.get("PersistentVolumeClaim", key[0], pvc_name)
        job = live.get("Job", key[0], job_name)
        state = job_state(job) if job is not None else "missing"
        states.append(state)
        entries[key[1]] = {
            "name": key[1],
            "uid": str(((pvc or {}).get("metadata") or {}).get("uid", "")),
            "model": model,
            "status": ARTIFACT_STATUS.get(state, "Pending"),
            "persistentVolumeClaim": pvc_name,
        }
    return entries, states


def _cache_health(states: list[str]) -> Health:
    if any(s == "failed" for s in states):
        return Health("ProfileCache", "Failed", "CacheFailed", "a model download failed")
    if states and all(s == "ready" for s in states):
        return Health("ProfileCache", "Ready", "CacheReady", "model weights are downloaded")
    if any(s == "missing" for s in states):
        return Health("ProfileCache", "Progressing", "CacheCreating", "cache not created yet")
    return Health("ProfileCache", "Progressing", "CacheNotReady", "model download in progress")


class Observer:
    def __init__(
        self,
        specs: Specs,
        statuses: ProfileStatuses,
        resolutions: list[Resolution],
        live: LiveObjects,
        previous: dict[tuple[str, str | None, str], dict[str, Any]],
        now: str,
    ) -> None:
        self.specs = specs
        self.statuses = statuses
        self.resolutions = {r.service: r for r in resolutions}
        self.live = live
        self.previous = previous
        self.now = now
        self.artifact_names: dict[ArtifactKey, tuple[str, str, str]] = {}
        from aimsync.render.caches import plan_artifacts

        requests = spec_cache_requests(specs)
        self.service_requests = {}
        for key, resolution in self.resolutions.items():
            if resolution.resolved:
                request = service_cache_request(specs.services[key], resolution, specs)
                if request is not None:
                    self.service_requests[key] = request
                    requests.append(request)
        for akey, artifact in plan_artifacts(requests, specs.settings).items():
            self.artifact_names[akey] = (artifact.pvc_name, artifact.job_name, artifact.model_id)

    def _previous(self, kind: AIMKind, namespace: str | None, name: str) -> dict[str, Any]:
        return self.previous.get((kind.value, namespace, name)) or {}

    def profiles(self) -> list[StatusReport]:
        out = []
        for name, cluster in sorted(self.specs.cluster_profiles.items()):
            status = self.statuses.by_ref[ProfileRef(name, "Cluster", None)]
            previous = self._previous(AIMKind.CLUSTER_PROFILE, None, name)
            out.append(self._report(cluster, _profile_status(status, previous, self.now)))
        for (namespace, name), profile in sorted(self.specs.profiles.items()):
            status = self.statuses.by_ref[ProfileRef(name, "Namespace", namespace)]
            previous = self._previous(AIMKind.PROFILE, namespace, name)
            out.append(self._report(profile, _profile_status(status, previous, self.now)))
        return out

    def caches(self) -> list[StatusReport]:
        out = []
        for request in spec_cache_requests(self.specs):
            if request.origin.startswith("AIMProfile "):
                continue  # caches asked for by `caching.enabled` have no spec of their own
            spec = self.specs.caches[(request.namespace, request.name)]
            keys = [artifact_key(request, source) for source in request.sources]
            artifacts, states = _artifact_entries(keys, self.live, self.artifact_names)
            health = _cache_health(states)
            profile_found = ("ProfileFound", "True", "ProfileResolved",
                             f"caching the sources of {spec.obj.spec.profile_name}")
            artifacts_ready = (
                "ArtifactsReady", "True" if health.state == "Ready" else "False",
                "AllCachesReady" if health.state == "Ready" else health.reason, health.message,
            )
            ready = ("Ready", artifacts_ready[1], artifacts_ready[2], health.message)
            previous = self._previous(AIMKind.PROFILE_CACHE, request.namespace, request.name)
            status = {
                "status": health.state,
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
            out.append(self._report(spec, self._service_status(spec, self.resolutions[key])))
        return out

    def _service_status(self, spec: Spec[Any], resolution: Resolution) -> dict[str, Any]:
        namespace = spec.namespace or ""
        service = spec.obj
        healths: list[Health] = []
        status: dict[str, Any] = {}
        if resolution.resolved and resolution.profile is not None:
            healths.append(Health("Profile", "Ready", "ProfileResolved", resolution.message))
            ref = resolution.profile
            status["resolvedProfile"] = {
                "name": ref.name, "kind": ref.kind, "scope": ref.scope,
                **({"namespace": ref.namespace} if ref.namespace else {}),
            }
            if resolution.spec is not None and resolution.spec.model_id:
                status["resolvedModel"] = {"name": resolution.spec.model_id}
        else:
            healths.append(Health("Profile", "Pending", resolution.reason, resolution.message))
        request = self.service_requests.get(resolution.service)
        if request is not None:
            keys = [artifact_key(request, source) for source in request.sources]
            _, states = _artifact_entries(keys, self.live, self.artifact_names)
            healths.append(_cache_health(states))
            status["cache"] = {
                "profileCacheRef": {
                    "name": request.name, "namespace": namespace, "kind": "AIMProfileCache",
                    "scope": "Namespace",
                }
            }
        isvc_name = inference_service_name(spec.name, namespace)
        isvc = self.live.get("InferenceService", namespace, isvc_name)
        if resolution.resolved:
            if isvc is not None and isvc_ready(isvc):
                healths.append(Health("InferenceService", "Ready", "RuntimeReady",
                                      f"InferenceService {isvc_name} is ready"))
            elif isvc is not None:
                healths.append(Health("InferenceService", "Progressing", "CreatingRuntime",
                                      f"InferenceService {isvc_name} is not ready yet"))
            else:
                healths.append(Health("InferenceService", "Progressing", "CreatingRuntime",
                                      "waiting for the model cache before creating "
                                      f"InferenceService {isvc_name}"))
        routing = service.spec.routing
        if routing is not None and routing.enabled and resolution.resolved:
            route = self.live.get("HTTPRoute", namespace, http_route_name(spec.name, namespace))
            healths.append(
                Health("HTTPRoute", "Ready", "HTTPRouteCreated", "HTTPRoute applied")
                if route is not None
                else Health("HTTPRoute", "Progressing", "HTTPRouteCreating",
                            "HTTPRoute not applied yet")
            )
        overall = worst([h.state for h in healths])
        conditions = [h.condition for h in healths]
        conditions.append(
            ("Ready", "True" if overall == "Ready" else "False",
             "AllComponentsReady" if overall == "Ready" else
             next(h.reason for h in healths if h.state == overall),
             "the service is running" if overall == "Ready" else
             next(h.message for h in healths if h.state == overall))
        )
        low, high = self._replica_bounds(service)
        current = high if isvc is not None and isvc_ready(isvc) else 0
        status["runtime"] = {
            "currentReplicas": current, "desiredReplicas": high,
            "minReplicas": low, "maxReplicas": high, "replicas": f"{current}/{high}",
        }
        status["status"] = SERVICE_STATUS.get(overall, overall)
        previous = self._previous(AIMKind.SERVICE, namespace, spec.name)
        status["conditions"] = with_times(conditions, previous.get("conditions"), self.now)
        return dict(sorted(status.items()))

    @staticmethod
    def _replica_bounds(service: Any) -> tuple[int, int]:
        spec = service.spec
        if spec.min_replicas is not None or spec.max_replicas is not None:
            low = spec.min_replicas if spec.min_replicas is not None else 1
            return low, spec.max_replicas if spec.max_replicas is not None else low
        return spec.replicas, spec.replicas

    def _report(self, spec: Spec[Any], status: dict[str, Any]) -> StatusReport:
        return StatusReport(
            spec.kind.value, spec.name, spec.namespace, spec.source.file,
            spec.source.document.index, status,
        )

    def all(self) -> list[StatusReport]:
        return self.profiles() + self.caches() + self.services()


def observe(
    specs: Specs,
    statuses: ProfileStatuses,
    resolutions: list[Resolution],
    live: LiveObjects,
    previous: dict[tuple[str, str | None, str], dict[str, Any]],
    now: str,
) -> list[StatusReport]:
    return Observer(specs, statuses, resolutions, live, previous, now).all()
