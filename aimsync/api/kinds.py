"""The AIM kinds aimsync reads from a repository, and their scope."""

from __future__ import annotations

from enum import StrEnum

from aimsync.api.base import APIModel
from aimsync.api.profile import AIMClusterProfile, AIMProfile
from aimsync.api.profilecache import AIMProfileCache
from aimsync.api.service import AIMService

AIM_GROUP = "aim.eai.amd.com"
AIM_VERSION = "v1alpha2"
AIM_API_VERSION = f"{AIM_GROUP}/{AIM_VERSION}"


class AIMKind(StrEnum):
    CLUSTER_PROFILE = "AIMClusterProfile"
    PROFILE = "AIMProfile"
    PROFILE_CACHE = "AIMProfileCache"
    SERVICE = "AIMService"

    @property
    def namespaced(self) -> bool:
        return self is not AIMKind.CLUSTER_PROFILE


KIND_MODELS: dict[AIMKind, type[APIModel]] = {
    AIMKind.CLUSTER_PROFILE: AIMClusterProfile,
    AIMKind.PROFILE: AIMProfile,
    AIMKind.PROFILE_CACHE: AIMProfileCache,
    AIMKind.SERVICE: AIMService,
}
