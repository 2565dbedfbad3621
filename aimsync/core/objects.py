"""The objects every stage talks about: a Kubernetes object's identity, its apply stage, and
a desired object (the manifest a run wants, with the spec it comes from).

Plain data: each desired object is its manifest (a dict) plus what later stages need to know
about it (its apply stage, the spec it comes from, the download Jobs it waits for).
"""

from __future__ import annotations

from enum import IntEnum

from msgspec import Struct

NamespacedName = tuple[str, str]  # (namespace, name) of a namespaced spec or object


class Stage(IntEnum):
    """Apply order (DESIGN.md §4); prune runs in reverse."""

    CONFIG = 0  # ConfigMaps, PersistentVolumeClaims
    DOWNLOAD = 1  # Jobs
    SERVING = 2  # InferenceServices
    ROUTING = 3  # HTTPRoutes
    SCALING = 4  # KEDA ScaledObjects: they scale the predictor the InferenceService creates


KIND_STAGE = {
    "ConfigMap": Stage.CONFIG,
    "PersistentVolumeClaim": Stage.CONFIG,
    "Job": Stage.DOWNLOAD,
    "InferenceService": Stage.SERVING,
    "HTTPRoute": Stage.ROUTING,
    "ScaledObject": Stage.SCALING,
}


class ObjectKey(Struct, frozen=True):
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def group_kind(self) -> str:
        """`Kind.group`, or `Kind` for the core group (the ApplySet notation)."""
        group = self.api_version.rpartition("/")[0]
        return f"{self.kind}.{group}" if group else self.kind

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (KIND_STAGE.get(self.kind, 9), self.kind, self.namespace, self.name)


class DesiredObject(Struct, frozen=True):
    key: ObjectKey
    # Read only: the manifests of a render share their constant parts (and a profile's node
    # affinity); whoever needs another manifest copies it.
    manifest: dict[str, object]
    origin: str  # the spec it comes from, e.g. "AIMService ml-team/qwen-chat"
