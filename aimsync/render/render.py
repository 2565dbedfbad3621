"""Render: resolved specs -> the desired Kubernetes objects (DESIGN.md §3; pure).

Per service: the profile ConfigMap, the InferenceService and (with routing) an HTTPRoute;
per model source of every cache: a PVC and a download Job. An InferenceService whose caches
are not downloaded yet is held back (gating, DESIGN.md §3.4) unless it already exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aimsync.api import AIMService
from aimsync.api.common import EnvVar
from aimsync.render.caches import (
    Artifact,
    ArtifactKey,
    CacheRequest,
    artifact_key,
    plan_artifacts,
    render_download_job,
    render_pvc,
)
from aimsync.render.http_route import render_http_route, render_path
from aimsync.render.inference_service import CacheMount, render_inference_service
from aimsync.render.labels import SOURCE_ANNOTATION, spec_tracking
from aimsync.render.naming import (
    generate_derived_name,
    inference_service_name,
    make_rfc1123_compliant,
    profile_configmap_name,
    shared_profile_cache_name,
)
from aimsync.render.objects import DesiredObject, DesiredSet, WaitingService
from aimsync.render.profile_configmap import render_profile_configmap
from aimsync.resolve.resolver import Resolution
from aimsync.specs import Spec, Specs

NamespacedName = tuple[str, str]


@dataclass(frozen=True)
class CacheState:
    """What the cluster says about downloads (live), or what to assume (offline)."""

    succeeded_jobs: frozenset[NamespacedName] = field(default_factory=frozenset)
    existing_inference_services: frozenset[NamespacedName] = field(default_factory=frozenset)
    assume_ready: bool = False

    def job_done(self, namespace: str, job: str) -> bool:
        return self.assume_ready or (namespace, job) in self.succeeded_jobs


def service_cache_request(
    service: Spec[AIMService], resolution: Resolution, specs: Specs
) -> CacheRequest | None:
    """The cache a resolved service needs (reference §4.1), or None without model sources."""
    spec = resolution.spec
    ref = resolution.profile
    if spec is None or ref is None or not spec.model_sources:
        return None
    namespace = service.namespace or ""
    mode = service.obj.spec.caching_mode
    if mode == "Dedicated":
        name = generate_derived_name(
            [ref.name, service.name, "cache"], [f"{namespace}/{service.name}|{ref.scope}"]
        )
    else:
        name = shared_profile_cache_name(ref.name, namespace, ref.scope)
    env: tuple[EnvVar, ...] = ()
    if ref.scope == "Namespace":
        caching = specs.profiles[(namespace, ref.name)].obj.spec.caching
        env = tuple(caching.env or ()) if caching else ()
    storage = service.obj.spec.storage
    return CacheRequest(
        namespace=namespace,
        name=name,
        mode=mode,
        origin=service.ref,
        sources=tuple(spec.model_sources),
        env=env,
        storage_class=(storage.default_storage_class_name if storage else None)
        or specs.settings.default_storage_class,
        headroom_percent=storage.pvc_headroom_percent if storage else 10,
    )


def spec_cache_requests(specs: Specs) -> list[CacheRequest]:
    """Caches written as AIMProfileCache specs and asked for with `caching.enabled`."""
    settings = specs.settings
    requests: list[CacheRequest] = []
    for (namespace, name), cache in sorted(specs.caches.items()):
        target = cache.obj.spec
        profile_spec = (
            specs.cluster_profiles[target.profile_name].obj.spec
            if target.profile_scope == "Cluster"
            else specs.profiles[(namespace, target.profile_name)].obj.spec
        )
        requests.append(
            CacheRequest(
                namespace=namespace,
                name=name,
                mode=target.mode,
                origin=cache.ref,
                sources=tuple(profile_spec.model_sources or ()),
                env=tuple(target.env or ()),
                storage_class=target.storage_class_name or settings.default_storage_class,
                headroom_percent=settings.pvc_headroom_percent,
            )
        )
    for (namespace, name), profile in sorted(specs.profiles.items()):
        caching = profile.obj.spec.caching
        if caching and caching.enabled and profile.obj.spec.model_sources:
            requests.append(
                CacheRequest(
                    namespace=namespace,
                    name=name,
                    mode="Shared",
                    origin=profile.ref,
                    sources=tuple(profile.obj.spec.model_sources),
                    env=tuple(caching.env or ()),
                    storage_class=settings.default_storage_class,
                    headroom_percent=settings.pvc_headroom_percent,
                )
            )
    return requests


def _with_source(obj: DesiredObject, source_file: str) -> DesiredObject:
    metadata = obj.manifest["metadata"]
    assert isinstance(metadata, dict)
    annotations = dict(metadata.get("annotations") or {})
    annotations[SOURCE_ANNOTATION] = source_file
    metadata["annotations"] = dict(sorted(annotations.items()))
    return obj


def _render_service(
    service: Spec[AIMService],
    resolution: Resolution,
    artifacts: list[Artifact],
    cache_state: CacheState,
    out: DesiredSet,
) -> None:
    namespace = service.namespace or ""
    assert resolution.spec is not None and resolution.status is not None
    assert resolution.profile is not None
    isvc = inference_service_name(service.name, namespace)
    jobs = tuple(a.job_name for a in artifacts)
    exists = (namespace, isvc) in cache_state.existing_inference_services
    pending = tuple(j for j in jobs if not cache_state.job_done(namespace, j))
    if pending and not exists:
        out.waiting.append(WaitingService(f"{namespace}/{service.name}", isvc, pending))
        return
    tracking = spec_tracking("AIMService", service.name)
    configmap = render_profile_configmap(service.name, namespace, resolution.spec, tracking)
    mounts = [
        CacheMount(make_rfc1123_compliant(a.name.replace(".", "-")), a.pvc_name, a.model_id)
        for a in artifacts
    ]
    inference = render_inference_service(
        name=isvc,
        service_name=service.name,
        namespace=namespace,
        service=service.obj,
        profile_name=resolution.profile.name,
        spec=resolution.spec,
        status=resolution.status,
        configmap=profile_configmap_name(service.name),
        mounts=mounts,
        extra_labels=tracking,
        waits_for=jobs,
    )
    objects = [configmap, inference]
    route = render_http_route(
        service.obj,
        namespace,
        isvc,
        render_path(
            service.obj.spec.routing.path_template if service.obj.spec.routing else None,
            service.obj.to_api(),
        ),
        tracking,
    )
    if route is not None:
        objects.append(route)
    out.objects.extend(_with_source(o, service.source.file) for o in objects)


def render(
    specs: Specs, resolutions: list[Resolution], cache_state: CacheState | None = None
) -> DesiredSet:
    cache_state = cache_state or CacheState()
    out = DesiredSet()
    owned = specs.settings.owns_namespace
    requests = [r for r in spec_cache_requests(specs) if owned(r.namespace)]
    service_requests: dict[NamespacedName, CacheRequest] = {}
    for resolution in resolutions:
        service = specs.services[resolution.service]
        if not owned(resolution.service[0]) or not resolution.resolved:
            continue
        request = service_cache_request(service, resolution, specs)
        if request is not None:
            service_requests[resolution.service] = request
            requests.append(request)
    artifacts = plan_artifacts(requests, specs.settings)
    for artifact in artifacts.values():
        out.objects.append(render_pvc(artifact))
        out.objects.append(render_download_job(artifact, specs.settings))
    for resolution in resolutions:
        if not owned(resolution.service[0]) or not resolution.resolved:
            continue
        request = service_requests.get(resolution.service)
        keys: list[ArtifactKey] = (
            [artifact_key(request, source) for source in request.sources] if request else []
        )
        _render_service(
            specs.services[resolution.service],
            resolution,
            [artifacts[k] for k in keys],
            cache_state,
            out,
        )
    out.objects.sort(key=lambda o: o.key.sort_key)
    return out
