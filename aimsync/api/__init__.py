"""The AIM v1alpha2 API (group aim.eai.amd.com) as pydantic models: spec and status.

Field rules mirror the CRDs of the AIM Engine (enums, patterns, lengths, minimums, defaults);
input is never coerced: a YAML `1` is not a string and `"yes"` is not a boolean.
"""

from aimsync.api.kinds import (
    AIM_API_VERSION,
    AIM_GROUP,
    AIM_VERSION,
    KIND_MODELS,
    AIMKind,
)
from aimsync.api.profile import AIMClusterProfile, AIMProfile
from aimsync.api.profilecache import AIMProfileCache
from aimsync.api.service import AIMService

__all__ = [
    "AIM_API_VERSION",
    "AIM_GROUP",
    "AIM_VERSION",
    "KIND_MODELS",
    "AIMClusterProfile",
    "AIMKind",
    "AIMProfile",
    "AIMProfileCache",
    "AIMService",
]
