"""Render: resolved specs -> the desired Kubernetes objects (DESIGN.md §3; pure).

Per model source of every cache: a PVC and a download Job (first a check-size Job when the
repository gives no size and no run has measured it yet); per resolved service: the profile
ConfigMap, the InferenceService, (with routing) an HTTPRoute and (autoscaled) a KEDA
ScaledObject. Everything the repository
derives is rendered, whatever the cluster holds; which of it may be applied now (gating,
DESIGN.md §3.4) is decided by render/gating.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from aimsync.api import AIMKind, AIMService
from aimsync.api.common import EnvVar
from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.core.naming import (
    generate_derived_name,
    inference_service_name,
    make_rfc1123_compliant,
    shared_profile_cache_name,
)
from aimsync.core.objects import DesiredObject, NamespacedName
from aimsync.core.path_template import render_path
from aimsync.core.sizing import MeasuredSize
from aimsync.render.caches import (
    Artifact,
    ArtifactKey,
    CacheRequest,
    artifact_key,
    plan_artifacts,
    render_check_size_job,
    render_download_job,
    render_pvc,
)
from aimsync.render.desired import (
    ArtifactPlan,
    CachePlan,
    DesiredSet,
    ServicePlan,
    SizeCheck,
)
from aimsync.render.http_route import render_http_route, rewrite_filters
from aimsync.render.inference_service import (
    CacheMount,
    ConstantParts,
    framework_env,
    render_inference_service,
    replica_bounds,
)
from aimsync.render.labels import SOURCE_ANNOTATION, spec_tracking
from aimsync.render.profile_configmap import profile_document, render_profile_configmap
from aimsync.render.scaled_object import effective_resources, render_scaled_object
from aimsync.resolve.resolver import Chosen, Resolved
from aimsync.settings import AutoscalingSettings
from aimsync.specs import Spec, Specs


def service_cache_request(
    service: Spec[AIMService], chosen: Chosen, specs: Specs
) -> CacheRequest | None:
    """The cache a resolved service needs (reference §4.1), or None without model sources."""
    spec, ref = chosen.spec, chosen.profile
    if not spec.model_sources:
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
    # The service's own headroom when it writes one; the instance's default otherwise.
    headroom = (
        storage.pvc_headroom_percent
        if storage is not None and "pvc_headroom_percent" in storage.model_fields_set
        else specs.settings.pvc_headroom_percent
    )
    return CacheRequest(
        namespace=namespace,
        name=name,
        mode=mode,
        origin=service.ref,
        kind=AIMKind.SERVICE,
        sources=tuple(spec.model_sources),
        headroom_percent=headroom,
        env=env,
        storage_class=(storage.default_storage_class_name if storage else None)
        or specs.settings.default_storage_class,
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
                kind=AIMKind.PROFILE_CACHE,
                sources=tuple(profile_spec.model_sources or ()),
                headroom_percent=settings.pvc_headroom_percent,
                env=tuple(target.env or ()),
                storage_class=target.storage_class_name or settings.default_storage_class,
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
                    kind=AIMKind.PROFILE,
                    sources=tuple(profile.obj.spec.model_sources),
                    headroom_percent=settings.pvc_headroom_percent,
                    env=tuple(caching.env or ()),
                    storage_class=settings.default_storage_class,
                )
            )
    return requests


def _cache_plan(request: CacheRequest, artifacts: dict[ArtifactKey, Artifact]) -> CachePlan:
    planned = []
    for source in request.sources:
        artifact = artifacts[artifact_key(request, source)]
        planned.append(ArtifactPlan(
            artifact.namespace, artifact.name, artifact.pvc_key, artifact.job_key,
            artifact.model_id,
            size_check=artifact.size_check_key if artifact.measures_size else None,
            storage=artifact.storage_request if artifact.size_bytes is not None else None,
        ))
    return CachePlan(request.namespace, request.name, tuple(planned))


def _with_source(obj: DesiredObject, source_file: str) -> DesiredObject:
    metadata = obj.manifest["metadata"]
    assert isinstance(metadata, dict)
    annotations = dict(metadata.get("annotations") or {})
    annotations[SOURCE_ANNOTATION] = source_file
    metadata["annotations"] = dict(sorted(annotations.items()))
    return obj


class _ProfileDocuments:
    """The profile YAML and the framework variables of each effective profile spec, made
    once: many services share a profile (the spec objects live as long as the render); and
    the parts every service's objects write the same."""

    def __init__(self) -> None:
        self._written: dict[int, str] = {}
        self._framework: dict[int, list[EnvVar]] = {}
        self.constant = ConstantParts.make()
        self.route_filters = rewrite_filters()

    def of(self, spec: AIMProfileSpecCommon) -> str:
        key = id(spec)
        if key not in self._written:
            self._written[key] = profile_document(spec)
        return self._written[key]

    def framework_env(self, spec: AIMProfileSpecCommon) -> list[EnvVar]:
        key = id(spec)
        if key not in self._framework:
            self._framework[key] = framework_env(spec)
        return self._framework[key]


def _named(service: AIMService) -> dict[str, object]:
    """What a path without a template is made of: the name and namespace (as `to_api` writes
    them, unset left out), without dumping the whole service."""
    metadata = service.metadata
    named = {"namespace": metadata.namespace, "name": metadata.name}
    return {"metadata": {k: v for k, v in named.items() if v is not None}}


def _render_service(
    service: Spec[AIMService], chosen: Chosen, cache: CachePlan | None,
    documents: _ProfileDocuments, autoscaling: AutoscalingSettings,
) -> tuple[ServicePlan, list[DesiredObject]]:
    namespace = service.namespace or ""
    isvc = inference_service_name(service.name, namespace)
    tracking = spec_tracking("AIMService", service.name)
    configmap = render_profile_configmap(
        service.name, namespace, chosen.spec, tracking, documents.of(chosen.spec)
    )
    mounts = [
        CacheMount(make_rfc1123_compliant(a.name.replace(".", "-")), a.pvc.name, a.model_id)
        for a in (cache.artifacts if cache else ())
    ]
    replicas = replica_bounds(service.obj)
    inference = render_inference_service(
        name=isvc,
        service_name=service.name,
        namespace=namespace,
        service=service.obj,
        profile_name=chosen.profile.name,
        spec=chosen.spec,
        status=chosen.status,
        configmap=configmap.key.name,
        mounts=mounts,
        extra_labels=tracking,
        replicas=replicas,
        framework=documents.framework_env(chosen.spec),
        constant=documents.constant,
    )
    objects = [configmap, inference]
    routing = service.obj.spec.routing
    template = routing.path_template if routing else None
    route = render_http_route(
        service.obj,
        namespace,
        isvc,
        render_path(template, service.obj.to_api() if template else _named(service.obj)),
        tracking,
        documents.route_filters,
    )
    if route is not None:
        objects.append(route)
    scaled = render_scaled_object(
        service.obj,
        namespace,
        isvc,
        replicas,
        # Only an autoscaled service has a ScaledObject: the rest need no resources merged.
        effective_resources(service.obj, chosen.status) if service.obj.spec.has_autoscaling
        else None,
        tracking,
        scaler_address=autoscaling.scaler_address,
        cooldown_seconds_per_gib=autoscaling.cooldown_seconds_per_gi_memory,
    )
    if scaled is not None:  # in plan.objects: gated together with the InferenceService
        objects.append(scaled)
    plan = ServicePlan(
        service=(namespace, service.name),
        inference_service=inference.key,
        route=route.key if route is not None else None,
        cache=cache,
        replicas=replicas,
        objects=tuple(o.key for o in objects),
    )
    return plan, [_with_source(o, service.source.file) for o in objects]


def _artifact_objects(artifact: Artifact, specs: Specs) -> list[DesiredObject]:
    objects = []
    if artifact.needs_size_check:
        objects.append(render_check_size_job(artifact, specs.settings))
    if artifact.size_bytes is not None:
        objects += [render_pvc(artifact), render_download_job(artifact, specs.settings)]
    return objects


def render(
    specs: Specs, resolved: Resolved, measured: Mapping[ArtifactKey, MeasuredSize] | None = None
) -> DesiredSet:
    """Everything the repository derives, in the namespaces this instance owns. `measured`:
    the sizes check-size Jobs found (read from the cluster; offline there are none)."""
    owned = specs.settings.owns_namespace
    requests = [r for r in spec_cache_requests(specs) if owned(r.namespace)]
    chosen: dict[NamespacedName, Chosen] = {}
    service_requests: dict[NamespacedName, CacheRequest] = {}
    for resolution in resolved.resolutions:
        picked = resolution.chosen
        if picked is None or not owned(resolution.service[0]):
            continue
        chosen[resolution.service] = picked
        request = service_cache_request(specs.services[resolution.service], picked, specs)
        if request is not None:
            service_requests[resolution.service] = request
    artifacts = plan_artifacts(
        requests + list(service_requests.values()), specs.settings, measured
    )
    objects: list[DesiredObject] = []
    for artifact in artifacts.values():
        objects += _artifact_objects(artifact, specs)
    size_checks = tuple(
        SizeCheck(key, a.size_check_key, a.pvc_key, a.job_key, a.source_uri)
        for key, a in sorted(artifacts.items())
        if a.size_bytes is None
    )
    caches = {
        (r.namespace, r.name): _cache_plan(r, artifacts)
        for r in requests
        if r.kind is AIMKind.PROFILE_CACHE
    }
    services: dict[NamespacedName, ServicePlan] = {}
    documents = _ProfileDocuments()
    # The services of a profile in a namespace share its cache: its plan is made once (by
    # what the plan is made of; the sources by identity, as the specs hold them).
    plans: dict[tuple[object, ...], CachePlan] = {}
    for key, picked in chosen.items():
        request = service_requests.get(key)
        cache = None
        if request is not None:
            plan_key = (request.namespace, request.name, request.mode, request.storage_class,
                        *map(id, request.sources))
            cache = plans.get(plan_key)
            if cache is None:
                cache = plans[plan_key] = _cache_plan(request, artifacts)
        plan, service_objects = _render_service(
            specs.services[key], picked, cache, documents, specs.settings.autoscaling,
        )
        services[key] = plan
        objects += service_objects
    return DesiredSet(
        tuple(sorted(objects, key=lambda o: o.key.sort_key)), services, caches, size_checks
    )
