"""What a change means at the AIM level, for reviewers, computed from the two renders being
compared (or, against a live cluster, from the objects alone):

- per AIM spec that changed (added, removed, changed): the fields that changed with their
  values before and after (a structural diff of the spec documents, `env` lists by name), the
  file and line, the services it reaches and the derived objects that change because of it;
- per service: what changes for it (its own fields, a profile switch and why, the fields of
  the profile it runs, its GPUs) and its changed objects;
- GPU demand per namespace and accelerator model, before and after;
- caches added, removed or resized.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aimsync.api import AIMKind, AIMService
from aimsync.core.objects import NamespacedName, ObjectKey
from aimsync.core.quantity import parse_quantity
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.compare import FieldAction, FieldChange, field_changes
from aimsync.render.inference_service import replica_bounds
from aimsync.render.labels import (
    CACHES_ANNOTATION,
    PROFILE_LABEL,
    SERVICE_LABEL,
    SOURCE_ANNOTATION,
    SPEC_KIND_LABEL,
    SPEC_NAME_LABEL,
    sanitize_label_value,
)
from aimsync.render.render import service_cache_request
from aimsync.resolve.profile_status import AMD_GPU
from aimsync.resolve.resolver import Resolution
from aimsync.settings import SETTINGS_FILE
from aimsync.specs import Spec, Specs

SETTINGS_KIND = "Settings"  # aimsync.yaml: not an AIM kind, but a change reviewers must see
SpecKey = tuple[str, str, str]  # (kind, namespace or "", name)


class RenderedSide(Struct, frozen=True):
    """One side of a comparison: the validated specs and how every service resolved."""

    specs: Specs
    resolutions: list[Resolution]

    def by_service(self) -> dict[NamespacedName, Resolution]:
        return {r.service: r for r in self.resolutions}


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    @property
    def sign(self) -> str:
        return {"added": "+", "removed": "-"}.get(self.value, "~")


class SpecChange(Struct, frozen=True):
    """One AIM spec (or the settings file) that is new, gone or edited."""

    kind: str
    namespace: str | None
    name: str
    action: Change
    file: str  # relative to the repository folder (of the new side; of the old if removed)
    line: int  # of the document (0: not known)
    fields: tuple[FieldChange, ...] = ()  # changed: what changed, each with its line
    services: tuple[str, ...] = ()  # services it reaches (ns/name): profiles, caches
    objects: tuple[ObjectKey, ...] = ()  # the changed derived objects it affects

    @property
    def ref(self) -> str:
        if self.kind == SETTINGS_KIND:
            return self.file
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {scope}{self.name}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Gpus(Struct, frozen=True):
    model: str
    count: int

    def __str__(self) -> str:
        return f"{self.count} {self.model}"


class ServiceChange(Struct, frozen=True):
    """What changes for one AIMService: its own fields, the profile it runs (a switch, or the
    fields of the same profile), its GPUs, and the derived objects that change."""

    namespace: str
    name: str
    action: Change
    file: str
    line: int
    profile_before: str | None = None  # the profile's name (None: not deployed)
    profile_after: str | None = None
    why: str = ""  # of a switch, or why it is not deployed
    own: tuple[FieldChange, ...] = ()  # of its spec
    profile_fields: tuple[FieldChange, ...] = ()  # of the profile it runs on both sides
    gpus_before: Gpus | None = None
    gpus_after: Gpus | None = None
    objects: tuple[ObjectKey, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def switched(self) -> bool:
        return self.action is Change.CHANGED and self.profile_before != self.profile_after

    @property
    def gpus_changed(self) -> bool:
        return self.gpus_before != self.gpus_after


class CacheChange(Struct, frozen=True):
    action: str  # added | removed | changed
    namespace: str
    name: str
    source: str
    size: str


class AimSummary(Struct):
    specs: list[SpecChange] = field(default_factory=list)
    services: list[ServiceChange] = field(default_factory=list)
    gpus_before: dict[tuple[str, str], int] = field(default_factory=dict)  # (ns, model)
    gpus_after: dict[tuple[str, str], int] = field(default_factory=dict)
    caches: list[CacheChange] = field(default_factory=list)

    @property
    def services_added(self) -> list[str]:
        return [s.ref for s in self.services if s.action is Change.ADDED]

    @property
    def services_removed(self) -> list[str]:
        return [s.ref for s in self.services if s.action is Change.REMOVED]

    @property
    def switches(self) -> list[ServiceChange]:
        return [s for s in self.services if s.switched]

    @property
    def gpu_namespace_changes(self) -> list[tuple[str, str, int, int]]:
        """(namespace, model, before, after) where the demand changes."""
        keys = sorted(set(self.gpus_before) | set(self.gpus_after))
        return [
            (ns, model, self.gpus_before.get((ns, model), 0), self.gpus_after.get((ns, model), 0))
            for ns, model in keys
            if self.gpus_before.get((ns, model), 0) != self.gpus_after.get((ns, model), 0)
        ]

    @property
    def gpu_changes(self) -> list[tuple[str, int, int]]:
        """(model, before, after) in total, for the models whose demand changes."""
        before: dict[str, int] = {}
        after: dict[str, int] = {}
        for (_, model), count in self.gpus_before.items():
            before[model] = before.get(model, 0) + count
        for (_, model), count in self.gpus_after.items():
            after[model] = after.get(model, 0) + count
        return [
            (m, before.get(m, 0), after.get(m, 0))
            for m in sorted(set(before) | set(after))
            if before.get(m, 0) != after.get(m, 0)
        ]

    @property
    def empty(self) -> bool:
        return not (self.specs or self.services or self.gpu_namespace_changes or self.caches)


_DIGITS = re.compile(r"(\d+)")


def natural(key: NamespacedName) -> tuple[tuple[str, int], ...]:
    """`service-2` before `service-10`, as people count."""
    parts: list[tuple[str, int]] = []
    for text in key:
        for i, piece in enumerate(_DIGITS.split(text)):
            parts.append(("", int(piece)) if i % 2 else (piece, -1))
        parts.append(("\x00", -1))
    return tuple(parts)


# -- GPU demand ----------------------------------------------------------------------------


def _service_gpus(service: AIMService, resolution: Resolution) -> Gpus | None:
    """GPUs one resolved service may hold: per replica times the most replicas it may run."""
    if not resolution.resolved or resolution.spec is None or resolution.status is None:
        return None
    if service.spec.resources is not None:
        requested = (service.spec.resources.requests or {}).get(AMD_GPU)
        if requested is None:
            requested = (service.spec.resources.limits or {}).get(AMD_GPU)
        gpus = int(parse_quantity(requested)) if requested is not None else 0
    else:
        gpus = int(parse_quantity(resolution.status.requests.get(AMD_GPU, "0")))
    if not gpus:
        return None
    return Gpus(resolution.spec.accelerator_model or "GPU", gpus * replica_bounds(service).maximum)


def gpu_demand(side: RenderedSide) -> dict[tuple[str, str], int]:
    """GPUs per (namespace, accelerator model) of every resolved service."""
    demand: dict[tuple[str, str], int] = {}
    for resolution in side.resolutions:
        gpus = _service_gpus(side.specs.services[resolution.service].obj, resolution)
        if gpus is not None:
            key = (resolution.service[0], gpus.model)
            demand[key] = demand.get(key, 0) + gpus.count
    return demand


# -- which spec a derived object comes from ------------------------------------------------


def _spec_maps(specs: Specs) -> Iterable[tuple[SpecKey, Spec[Any]]]:
    for name, cluster_profile in specs.cluster_profiles.items():
        yield (AIMKind.CLUSTER_PROFILE.value, "", name), cluster_profile
    for (ns, name), profile in specs.profiles.items():
        yield (AIMKind.PROFILE.value, ns, name), profile
    for (ns, name), cache in specs.caches.items():
        yield (AIMKind.PROFILE_CACHE.value, ns, name), cache
    for (ns, name), service in specs.services.items():
        yield (AIMKind.SERVICE.value, ns, name), service


def _profile_key(resolution: Resolution | None) -> SpecKey | None:
    if resolution is None or resolution.profile is None:
        return None
    ref = resolution.profile
    return (ref.kind, ref.namespace or "", ref.name)


class _Origins:
    """The specs each changed object derives from: services by the labels render puts on
    their objects, caches by the `aimsync.io/caches` annotation of their PVCs and Jobs."""

    def __init__(self, sides: tuple[RenderedSide, RenderedSide]) -> None:
        self.sides = sides
        self._services: dict[tuple[str, str], NamespacedName] = {}  # (ns, label) -> service
        self._caches: dict[tuple[str, str], set[SpecKey]] | None = None
        for side in sides:
            for ns, name in side.specs.services:
                self._services[(ns, sanitize_label_value(name))] = (ns, name)

    def _cache_origins(self) -> dict[tuple[str, str], set[SpecKey]]:
        """(namespace, cache name) -> the specs that ask for that cache (both sides)."""
        if self._caches is not None:
            return self._caches
        caches: dict[tuple[str, str], set[SpecKey]] = {}
        for side in self.sides:
            specs = side.specs
            for ns, name in specs.caches:
                caches.setdefault((ns, name), set()).add((AIMKind.PROFILE_CACHE.value, ns, name))
            for ns, name in specs.profiles:
                caches.setdefault((ns, name), set()).add((AIMKind.PROFILE.value, ns, name))
            for resolution in side.resolutions:
                chosen = resolution.chosen
                if chosen is None:
                    continue
                request = service_cache_request(
                    specs.services[resolution.service], chosen, specs
                )
                if request is not None:
                    ns, name = resolution.service
                    caches.setdefault((ns, request.name), set()).add(
                        (AIMKind.SERVICE.value, ns, name)
                    )
        self._caches = caches
        return caches

    def of(self, change: ObjectChange) -> set[SpecKey]:
        manifest = change.after if change.after is not None else change.before
        labels, annotations = _metadata(manifest, "labels"), _metadata(manifest, "annotations")
        namespace = change.key.namespace
        origins: set[SpecKey] = set()
        label = labels.get(SPEC_NAME_LABEL) if labels.get(SPEC_KIND_LABEL) == "AIMService" else (
            labels.get(SERVICE_LABEL)
        )
        if label is not None and (namespace, label) in self._services:
            ns, name = self._services[(namespace, label)]
            origins.add((AIMKind.SERVICE.value, ns, name))
        caches = annotations.get(CACHES_ANNOTATION)
        if caches:
            known = self._cache_origins()
            for entry in caches.split(","):
                ns, _, name = entry.strip().partition("/")
                origins |= known.get((ns, name), set())
        return origins


# -- the summary ---------------------------------------------------------------------------


def _document(spec: Spec[Any]) -> object:
    return spec.source.document.value


def _with_lines(changes: list[FieldChange], old: Spec[Any] | None, new: Spec[Any] | None
                ) -> tuple[FieldChange, ...]:
    out = []
    for change in changes:
        side = old if change.action is FieldAction.REMOVED else new
        line = None
        if side is not None:
            position, _ = side.source.document.position_of(change.keys)
            line = position.line
        out.append(FieldChange(change.path, change.keys, change.action, change.before,
                               change.after, line))
    return tuple(out)


def _spec_changes(before: Specs, after: Specs) -> list[SpecChange]:
    old, new = dict(_spec_maps(before)), dict(_spec_maps(after))
    out: list[SpecChange] = []
    for key in sorted(set(old) | set(new)):
        kind, namespace, name = key
        a, b = old.get(key), new.get(key)
        ns = namespace or None
        if a is None and b is not None:
            out.append(SpecChange(kind, ns, name, Change.ADDED, b.source.file,
                                  b.source.start.line))
        elif b is None and a is not None:
            out.append(SpecChange(kind, ns, name, Change.REMOVED, a.source.file,
                                  a.source.start.line))
        elif a is not None and b is not None:
            fields = field_changes(_document(a), _document(b))
            if fields:
                out.append(SpecChange(kind, ns, name, Change.CHANGED, b.source.file,
                                      b.source.start.line, _with_lines(fields, a, b)))
    settings = field_changes(before.settings.to_api(), after.settings.to_api())
    if settings:
        out.append(SpecChange(SETTINGS_KIND, None, SETTINGS_FILE, Change.CHANGED, SETTINGS_FILE,
                              0, tuple(settings)))
    return out


def _switch_reason(before: Resolution, after: Resolution) -> str:
    if before.profile is None or after.profile is None:
        return after.message if after.profile is None else before.message
    if after.shape == "name":
        return "spec.profile.name changed" if before.shape == "name" else "now chosen by name"
    for verdict in after.candidates:
        if verdict.ref == before.profile and not verdict.kept:
            return f"{before.profile.name} no longer qualifies: {verdict.reason}"
    for other, tier in after.deciding:
        if other == before.profile.name:
            return f"{after.profile.name} ranks higher on {tier}"
    if all(v.ref != before.profile for v in after.candidates):
        return f"{before.profile.name} is no longer a candidate"
    return "the ranking changed"


class _ProfileFields:
    """The fields of the effective profile a service runs that changed (many services share
    one profile spec: each pair is compared once)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int], tuple[FieldChange, ...]] = {}

    def between(self, a: Resolution, b: Resolution) -> tuple[FieldChange, ...]:
        if a.spec is None or b.spec is None or a.profile != b.profile:
            return ()
        key = (id(a.spec), id(b.spec))
        if key not in self._seen:
            self._seen[key] = tuple(field_changes(a.spec.to_api(), b.spec.to_api()))
        return self._seen[key]


def _service_changes(
    before: RenderedSide, after: RenderedSide, own: Mapping[SpecKey, SpecChange],
    objects: Mapping[SpecKey, list[ObjectKey]],
) -> list[ServiceChange]:
    old, new = before.by_service(), after.by_service()
    profiles = _ProfileFields()
    out: list[ServiceChange] = []
    for key in sorted(set(old) | set(new), key=natural):
        ns, name = key
        spec_key = (AIMKind.SERVICE.value, ns, name)
        a, b = old.get(key), new.get(key)
        spec_a = before.specs.services.get(key)
        spec_b = after.specs.services.get(key)
        gpus_a = _service_gpus(spec_a.obj, a) if spec_a is not None and a is not None else None
        gpus_b = _service_gpus(spec_b.obj, b) if spec_b is not None and b is not None else None
        source = spec_b or spec_a
        assert source is not None
        base = ServiceChange(
            ns, name, Change.CHANGED, source.source.file, source.source.start.line,
            gpus_before=gpus_a, gpus_after=gpus_b, objects=tuple(objects.get(spec_key, ())),
        )
        if a is None and b is not None:
            out.append(replace(
                base, action=Change.ADDED, profile_after=b.profile.name if b.profile else None,
                why="" if b.resolved else b.message,
            ))
        elif b is None and a is not None:
            out.append(replace(
                base, action=Change.REMOVED,
                profile_before=a.profile.name if a.profile else None,
            ))
        elif a is not None and b is not None:
            name_a = a.profile.name if a.resolved and a.profile else None
            name_b = b.profile.name if b.resolved and b.profile else None
            own_fields = own[spec_key].fields if spec_key in own else ()
            profile_fields = profiles.between(a, b)
            if not (own_fields or profile_fields or base.objects or name_a != name_b
                    or gpus_a != gpus_b):
                continue
            out.append(replace(
                base, profile_before=name_a, profile_after=name_b,
                why=_switch_reason(a, b) if name_a != name_b else "",
                own=own_fields, profile_fields=profile_fields,
            ))
    return out


def summarize(before: RenderedSide, after: RenderedSide, changes: ChangeSet) -> AimSummary:
    origins = _Origins((before, after))
    objects: dict[SpecKey, list[ObjectKey]] = {}
    for change in changes.changed:
        for origin in sorted(origins.of(change)):
            objects.setdefault(origin, []).append(change.key)
    specs = _spec_changes(before.specs, after.specs)
    own = {(s.kind, s.namespace or "", s.name): s for s in specs}
    services = _service_changes(before, after, own, objects)
    # The services each profile reaches: those bound to it on either side.
    bound: dict[SpecKey, set[NamespacedName]] = {}
    for side in (before, after):
        for resolution in side.resolutions:
            profile = _profile_key(resolution)
            if profile is not None:
                bound.setdefault(profile, set()).add(resolution.service)
    cache_services: dict[SpecKey, set[NamespacedName]] = {}
    for side in (before, after):
        for (ns, name), cache in side.specs.caches.items():
            target = cache.obj.spec
            kind = "AIMClusterProfile" if target.profile_scope == "Cluster" else "AIMProfile"
            profile = (kind, "" if kind == "AIMClusterProfile" else ns, target.profile_name)
            cache_services[(AIMKind.PROFILE_CACHE.value, ns, name)] = bound.get(profile, set())
    explained: set[ObjectKey] = set()
    out: list[SpecChange] = []
    for spec in specs:
        key = (spec.kind, spec.namespace or "", spec.name)
        reached = bound.get(key, set()) | cache_services.get(key, set())
        if spec.kind == AIMKind.SERVICE.value:
            reached = {(spec.namespace or "", spec.name)}
        affected = list(objects.get(key, ()))
        if spec.kind != AIMKind.PROFILE_CACHE.value:
            for service in sorted(reached):
                affected += objects.get((AIMKind.SERVICE.value, *service), ())
        out.append(_with(spec, reached, affected))
        explained.update(affected)
    settings = next((s for s in out if s.kind == SETTINGS_KIND), None)
    if settings is not None:  # what no spec explains comes from the settings
        rest = [c.key for c in changes.changed if c.key not in explained]
        out = [s if s is not settings else _with(s, set(), rest) for s in out]
    return AimSummary(
        specs=out, services=services, gpus_before=gpu_demand(before),
        gpus_after=gpu_demand(after), caches=_cache_changes(changes),
    )


def _with(spec: SpecChange, services: set[NamespacedName], objects: list[ObjectKey]
          ) -> SpecChange:
    unique = sorted(set(objects), key=lambda k: k.sort_key)
    return SpecChange(
        spec.kind, spec.namespace, spec.name, spec.action, spec.file, spec.line, spec.fields,
        tuple(f"{ns}/{n}" for ns, n in sorted(services)), tuple(unique),
    )


def _cache_changes(changes: ChangeSet) -> list[CacheChange]:
    out = []
    for change in changes.changes:
        if change.key.kind != "PersistentVolumeClaim" or not change.changed:
            continue
        manifest = change.after or change.before
        assert manifest is not None
        labels = manifest["metadata"]["labels"]  # type: ignore[index]
        size = manifest["spec"]["resources"]["requests"]["storage"]  # type: ignore[index]
        action = {Action.CREATE: "added", Action.DELETE: "removed"}.get(change.action, "changed")
        out.append(
            CacheChange(
                action, change.key.namespace, change.key.name,
                str(labels.get("aim.eai.amd.com/source-model", "")), str(size),
            )
        )
    return out


# -- against a live cluster: from the objects alone ----------------------------------------


def _isvc_demand(manifest: dict[str, Any]) -> Gpus | None:
    """The accelerator model and the GPUs at most of one InferenceService manifest."""
    predictor = manifest.get("spec", {}).get("predictor", {})
    model = "GPU"
    affinity = predictor.get("affinity", {}).get("nodeAffinity", {})
    terms = affinity.get("requiredDuringSchedulingIgnoredDuringExecution", {}).get(
        "nodeSelectorTerms", []
    )
    for term in terms:
        for expression in term.get("matchExpressions", []):
            key = str(expression.get("key", ""))
            prefix = "feature.node.kubernetes.io/aim-accelerator."
            if key.startswith(prefix) and "partitioning-scheme" not in key:
                model = key[len(prefix):]
    gpus = 0
    for container in predictor.get("containers", []):
        resources = container.get("resources", {})
        value = resources.get("requests", {}).get(AMD_GPU) or resources.get("limits", {}).get(
            AMD_GPU
        )
        if value is not None:
            gpus += int(parse_quantity(value))
    replicas = int(predictor.get("maxReplicas") or predictor.get("minReplicas") or 1)
    return Gpus(model, gpus * replicas) if gpus else None


def summarize_live(changes: ChangeSet) -> AimSummary:
    """The AIM-level summary of a plan against the cluster, from the objects alone: the
    InferenceServices (services, profile label, GPU demand) and the cache PVCs."""
    summary = AimSummary()
    for change in changes.changes:
        if change.key.kind != "InferenceService" or change.action is Action.SKIP:
            continue
        ns = change.key.namespace
        service = _service_of(change.after or change.before)
        gpus = [_isvc_demand(m) if m is not None else None for m in (change.before, change.after)]
        for gpu, demand in zip(gpus, (summary.gpus_before, summary.gpus_after), strict=True):
            if gpu is not None:
                demand[(ns, gpu.model)] = demand.get((ns, gpu.model), 0) + gpu.count
        if not change.changed:
            continue
        action = {Action.CREATE: Change.ADDED, Action.DELETE: Change.REMOVED}.get(
            change.action, Change.CHANGED
        )
        source = _metadata(change.after or change.before, "annotations").get(SOURCE_ANNOTATION)
        summary.services.append(ServiceChange(
            ns, service, action, source or "", 0,
            profile_before=_profile_of(change.before) if change.before is not None else None,
            profile_after=_profile_of(change.after) if change.after is not None else None,
            why="the repository changed" if action is Change.CHANGED else "",
            gpus_before=gpus[0], gpus_after=gpus[1], objects=(change.key,),
        ))
    summary.caches = _cache_changes(changes)
    return summary


def _metadata(manifest: dict[str, Any] | None, which: str) -> dict[str, str]:
    """The labels or annotations of a manifest."""
    metadata = (manifest or {}).get("metadata") or {}
    return {str(k): str(v) for k, v in (metadata.get(which) or {}).items()}


def _service_of(manifest: dict[str, object] | None) -> str:
    return _metadata(manifest, "labels").get(SERVICE_LABEL, "?")


def _profile_of(manifest: dict[str, object] | None) -> str:
    return _metadata(manifest, "labels").get(PROFILE_LABEL, "?")
