"""The validated repository: every AIM object with where it was written.

This is the plain-data hand-over between the validate stage and the stages after it
(resolve, render, observe). Objects are immutable pydantic models; positions stay attached so
later stages can still point at a file and line.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from msgspec import Struct, field

from aimsync.api import AIMClusterProfile, AIMKind, AIMProfile, AIMProfileCache, AIMService
from aimsync.api.base import APIModel
from aimsync.core.fields import FieldKey
from aimsync.core.objects import NamespacedName
from aimsync.findings import Location
from aimsync.load.yaml_reader import YamlDocument
from aimsync.settings import Settings

T = TypeVar("T", bound=APIModel)


class SpecSource(Struct, frozen=True):
    """Where a document was written: a file (relative to the repository root) and positions."""

    file: str
    document: YamlDocument

    def location(self, *path: FieldKey) -> Location:
        position, _ = self.document.position_of(tuple(path))
        return Location(self.file, position.line, position.column)

    @property
    def start(self) -> Location:
        return Location(self.file, self.document.start.line, self.document.start.column)


class Spec(Struct, Generic[T], frozen=True):
    kind: AIMKind
    name: str
    namespace: str | None
    source: SpecSource
    obj: T

    @property
    def ref(self) -> str:
        """How people name it: `AIMService ml-team/chat`, `AIMClusterProfile qwen`."""
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind.value} {scope}{self.name}"




class Specs(Struct):
    settings: Settings = field(default_factory=Settings)
    cluster_profiles: dict[str, Spec[AIMClusterProfile]] = field(default_factory=dict)
    profiles: dict[NamespacedName, Spec[AIMProfile]] = field(default_factory=dict)
    caches: dict[NamespacedName, Spec[AIMProfileCache]] = field(default_factory=dict)
    services: dict[NamespacedName, Spec[AIMService]] = field(default_factory=dict)

    def add(self, spec: Spec[Any]) -> None:
        key = (spec.namespace or "", spec.name)
        if spec.kind is AIMKind.CLUSTER_PROFILE:
            self.cluster_profiles[spec.name] = spec
        elif spec.kind is AIMKind.PROFILE:
            self.profiles[key] = spec
        elif spec.kind is AIMKind.PROFILE_CACHE:
            self.caches[key] = spec
        else:
            self.services[key] = spec

    def namespaces(self) -> list[str]:
        names = {ns for ns, _ in self.profiles} | {ns for ns, _ in self.caches}
        names |= {ns for ns, _ in self.services}
        return sorted(names)

    def count(self) -> int:
        return (
            len(self.cluster_profiles) + len(self.profiles) + len(self.caches) + len(self.services)
        )
