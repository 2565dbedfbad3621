"""AIMProfileCache: pre-warms a profile's model sources (reference §1.4, §4)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aimsync.api.base import APIModel, Int64
from aimsync.api.common import Condition
from aimsync.api.metadata import ObjectMeta
from aimsync.api.profile import EnvList, ProfileStatusValue

CacheMode = Literal["Dedicated", "Shared"]
ProfileScope = Literal["Namespace", "Cluster"]


class AIMProfileCacheSpec(APIModel):
    profile_name: Annotated[str, Field(min_length=1)]
    profile_scope: ProfileScope
    storage_class_name: str | None = None
    env: EnvList | None = None
    mode: CacheMode = "Shared"
    requires_adapter_disk: bool | None = None


class AIMResolvedArtifact(APIModel):
    name: str
    uid: str
    model: str
    status: str
    persistent_volume_claim: str | None = None
    mount_point: str | None = None


class AIMProfileCacheStatus(APIModel):
    observed_generation: Int64 | None = None
    conditions: list[Condition] | None = None
    status: ProfileStatusValue = "Pending"
    artifacts: dict[str, AIMResolvedArtifact] | None = None


class AIMProfileCache(APIModel):
    api_version: Literal["aim.eai.amd.com/v1alpha2"]
    kind: Literal["AIMProfileCache"]
    metadata: ObjectMeta
    spec: AIMProfileCacheSpec
    status: AIMProfileCacheStatus | None = None
