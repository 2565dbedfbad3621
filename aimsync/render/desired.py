"""The desired set: what render derives from the repository (plain data).

Besides the objects, render says per spec what later stages need to know about them, so that
none of them derives it again: a service's InferenceService and route, the artifacts of its
cache and its replica bounds (gating, observe); a cache's artifacts (observe).
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

from aimsync.core.objects import DesiredObject, NamespacedName, ObjectKey


class ReplicaBounds(Struct, frozen=True):
    minimum: int
    maximum: int
    autoscaled: bool  # minReplicas, maxReplicas or autoScaling given: KEDA decides


class ArtifactPlan(Struct, frozen=True):
    """One model source of a cache, downloaded by one Job onto one PVC; measured first by a
    check-size Job when the repository gives no size."""

    namespace: str
    name: str  # the artifact's name (reference §4.2)
    pvc: ObjectKey
    job: ObjectKey
    model_id: str
    size_check: ObjectKey | None = None  # the check-size Job, when the size is measured
    storage: str | None = None  # the PVC's request; None: waiting for the measurement

    @property
    def size_known(self) -> bool:
        """False: the PVC and the download Job wait for the check-size Job."""
        return self.storage is not None

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


class SizeCheck(Struct, frozen=True):
    """An artifact whose size is not known yet, and the Job that measures it."""

    artifact: tuple[str, str]  # (namespace, artifact name)
    job: ObjectKey  # the check-size Job
    pvc: ObjectKey  # follows the measurement; where an earlier run recorded the size
    download: ObjectKey  # follows the measurement
    source_uri: str


class CachePlan(Struct, frozen=True):
    """A cache and the artifacts it is made of."""

    namespace: str
    name: str
    artifacts: tuple[ArtifactPlan, ...]

    @property
    def jobs(self) -> tuple[ObjectKey, ...]:
        return tuple(a.job for a in self.artifacts)


class ServicePlan(Struct, frozen=True):
    """The objects of one resolved AIMService, and what they wait for."""

    service: NamespacedName
    inference_service: ObjectKey
    route: ObjectKey | None  # with routing enabled and a gateway
    cache: CachePlan | None  # None: the profile has no model sources
    replicas: ReplicaBounds
    objects: tuple[ObjectKey, ...]  # profile ConfigMap, InferenceService, HTTPRoute, ScaledObject

    @property
    def scaled_object(self) -> ObjectKey | None:
        """The KEDA ScaledObject, when the service autoscales on some trigger."""
        return next((k for k in self.objects if k.kind == "ScaledObject"), None)

    @property
    def waits_for(self) -> tuple[ObjectKey, ...]:
        """Download Jobs that must succeed before the InferenceService is created."""
        return self.cache.jobs if self.cache is not None else ()


class WaitingService(Struct, frozen=True):
    """A service whose InferenceService is held back until its caches are downloaded."""

    service: NamespacedName
    inference_service: ObjectKey
    jobs: tuple[ObjectKey, ...]  # the download Jobs not done yet

    @property
    def service_ref(self) -> str:
        return f"{self.service[0]}/{self.service[1]}"


class DesiredSet(Struct, frozen=True):
    """Every object the repository derives, gated ones included, in apply order."""

    objects: tuple[DesiredObject, ...] = ()
    services: Mapping[NamespacedName, ServicePlan] = field(default_factory=dict)
    caches: Mapping[NamespacedName, CachePlan] = field(default_factory=dict)  # AIMProfileCache
    size_checks: tuple[SizeCheck, ...] = ()  # artifacts waiting for their size

    @property
    def deferred(self) -> frozenset[ObjectKey]:
        """Objects wanted but not rendered yet: the PVCs and download Jobs of artifacts
        whose size is being measured. They count as wanted (never pruned)."""
        return frozenset(k for check in self.size_checks for k in (check.pvc, check.download))

    @property
    def keys(self) -> frozenset[ObjectKey]:
        """Everything the repository wants: rendered or deferred."""
        return frozenset(o.key for o in self.objects) | self.deferred
