"""What a change means at the AIM level, for reviewers: services, profile switches, GPU
demand per accelerator model, caches. Computed from the two renders being compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimsync.api import AIMService
from aimsync.core.objects import NamespacedName
from aimsync.core.quantity import parse_quantity
from aimsync.plan.changes import Action, ChangeSet
from aimsync.render.inference_service import replica_bounds
from aimsync.resolve.profile_status import AMD_GPU
from aimsync.resolve.resolver import Resolution
from aimsync.specs import Specs


@dataclass(frozen=True)
class RenderedSide:
    """One side of a comparison: the validated specs and how every service resolved."""

    specs: Specs
    resolutions: list[Resolution]

    def by_service(self) -> dict[NamespacedName, Resolution]:
        return {r.service: r for r in self.resolutions}


@dataclass(frozen=True)
class ProfileSwitch:
    service: str
    before: str
    after: str
    why: str


@dataclass(frozen=True)
class CacheChange:
    action: str  # added | removed | resized
    namespace: str
    name: str
    source: str
    size: str


@dataclass
class AimSummary:
    services_added: list[str] = field(default_factory=list)
    services_removed: list[str] = field(default_factory=list)
    switches: list[ProfileSwitch] = field(default_factory=list)
    gpus_before: dict[str, int] = field(default_factory=dict)
    gpus_after: dict[str, int] = field(default_factory=dict)
    caches: list[CacheChange] = field(default_factory=list)

    @property
    def gpu_changes(self) -> list[tuple[str, int, int]]:
        models = sorted(set(self.gpus_before) | set(self.gpus_after))
        return [
            (m, self.gpus_before.get(m, 0), self.gpus_after.get(m, 0))
            for m in models
            if self.gpus_before.get(m, 0) != self.gpus_after.get(m, 0)
        ]

    @property
    def empty(self) -> bool:
        return not (
            self.services_added or self.services_removed or self.switches
            or self.gpu_changes or self.caches
        )


def _replicas(service: AIMService) -> int:
    """Replicas the service may run: the fixed count, or the most the autoscaler may run."""
    return replica_bounds(service).maximum


def gpu_demand(side: RenderedSide) -> dict[str, int]:
    demand: dict[str, int] = {}
    for resolution in side.resolutions:
        if not resolution.resolved or resolution.spec is None or resolution.status is None:
            continue
        service = side.specs.services[resolution.service].obj
        if service.spec.resources is not None:
            requested = (service.spec.resources.requests or {}).get(AMD_GPU)
            if requested is None:
                requested = (service.spec.resources.limits or {}).get(AMD_GPU)
            gpus = int(parse_quantity(requested)) if requested is not None else 0
        else:
            gpus = int(parse_quantity(resolution.status.requests.get(AMD_GPU, "0")))
        if gpus:
            model = resolution.spec.accelerator_model or "GPU"
            demand[model] = demand.get(model, 0) + gpus * _replicas(service)
    return demand


def _switch_reason(before: Resolution, after: Resolution, service: AIMService) -> str:
    assert before.profile is not None and after.profile is not None
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


def summarize(before: RenderedSide, after: RenderedSide, changes: ChangeSet) -> AimSummary:
    summary = AimSummary()
    old, new = before.by_service(), after.by_service()
    summary.services_added = [f"{ns}/{n}" for ns, n in sorted(set(new) - set(old))]
    summary.services_removed = [f"{ns}/{n}" for ns, n in sorted(set(old) - set(new))]
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        if a.profile != b.profile and a.profile is not None and b.profile is not None:
            summary.switches.append(
                ProfileSwitch(
                    f"{key[0]}/{key[1]}", a.profile.name, b.profile.name,
                    _switch_reason(a, b, after.specs.services[key].obj),
                )
            )
        elif a.profile != b.profile:
            summary.switches.append(
                ProfileSwitch(
                    f"{key[0]}/{key[1]}",
                    a.profile.name if a.profile else f"none ({a.reason})",
                    b.profile.name if b.profile else f"none ({b.reason})",
                    b.message if b.profile is None else a.message,
                )
            )
    summary.gpus_before = gpu_demand(before)
    summary.gpus_after = gpu_demand(after)
    summary.caches = _cache_changes(changes)
    return summary


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


def _isvc_demand(manifest: dict[str, Any]) -> tuple[str, int]:
    """(accelerator model, GPUs at most) of one InferenceService manifest."""
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
    return model, gpus * replicas


def summarize_live(changes: ChangeSet) -> AimSummary:
    """The AIM-level summary of a plan against the cluster, from the objects alone: the
    InferenceServices (services, profile label, GPU demand) and the cache PVCs."""
    summary = AimSummary()
    for change in changes.changes:
        if change.key.kind != "InferenceService":
            continue
        service = f"{change.key.namespace}/{_service_of(change.after or change.before)}"
        if change.action is Action.CREATE:
            summary.services_added.append(service)
        elif change.action is Action.DELETE:
            summary.services_removed.append(service)
        before_profile = _profile_of(change.before)
        after_profile = _profile_of(change.after)
        if change.before is not None and change.after is not None and (
            before_profile != after_profile
        ):
            summary.switches.append(
                ProfileSwitch(service, before_profile, after_profile, "the repository changed")
            )
        for manifest, demand in ((change.before, summary.gpus_before),
                                 (change.after, summary.gpus_after)):
            if manifest is not None and change.action is not Action.SKIP:
                model, gpus = _isvc_demand(manifest)
                if gpus:
                    demand[model] = demand.get(model, 0) + gpus
    summary.caches = _cache_changes(changes)
    return summary


def _labels(manifest: dict[str, Any] | None) -> dict[str, str]:
    metadata = (manifest or {}).get("metadata") or {}
    return dict(metadata.get("labels") or {})


def _service_of(manifest: dict[str, object] | None) -> str:
    return _labels(manifest).get("aim.eai.amd.com/service", "?")


def _profile_of(manifest: dict[str, object] | None) -> str:
    return _labels(manifest).get("aim.eai.amd.com/profile", "?")
