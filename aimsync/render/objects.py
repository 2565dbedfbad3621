"""The desired set: every Kubernetes object a run wants, in apply order.

Plain data: each object is its manifest (a dict) plus what later stages need to know about it
(its apply stage, the spec it comes from, the caches it waits for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Stage(IntEnum):
    """Apply order (DESIGN.md §4); prune runs in reverse."""

    CONFIG = 0  # ConfigMaps, PersistentVolumeClaims
    DOWNLOAD = 1  # Jobs
    SERVING = 2  # InferenceServices
    ROUTING = 3  # HTTPRoutes


KIND_STAGE = {
    "ConfigMap": Stage.CONFIG,
    "PersistentVolumeClaim": Stage.CONFIG,
    "Job": Stage.DOWNLOAD,
    "InferenceService": Stage.SERVING,
    "HTTPRoute": Stage.ROUTING,
}


@dataclass(frozen=True)
class ObjectKey:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (KIND_STAGE.get(self.kind, 9), self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class DesiredObject:
    key: ObjectKey
    manifest: dict[str, object]
    origin: str  # the spec it comes from, e.g. "AIMService ml-team/qwen-chat"
    waits_for: tuple[str, ...] = ()  # names of download Jobs that must succeed first

    @property
    def stage(self) -> Stage:
        return KIND_STAGE[self.key.kind]


@dataclass(frozen=True)
class WaitingService:
    """A service whose InferenceService is held back until its caches are downloaded."""

    service: str  # namespace/name
    inference_service: str
    jobs: tuple[str, ...]


@dataclass
class DesiredSet:
    objects: list[DesiredObject] = field(default_factory=list)
    waiting: list[WaitingService] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sorted_objects(self) -> list[DesiredObject]:
        return sorted(self.objects, key=lambda o: o.key.sort_key)
