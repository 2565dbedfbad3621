"""Labels and annotations on every derived object (DESIGN.md §3.5), defined in one place."""

from __future__ import annotations

import re
from functools import lru_cache

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "aimsync"
COMPONENT_KEY = "app.kubernetes.io/component"

AIM = "aim.eai.amd.com/"
SERVICE_LABEL = AIM + "service"
SERVICE_NAME_LABEL = AIM + "service.name"
PROFILE_LABEL = AIM + "profile"
METRIC_LABEL = AIM + "metric"
PRECISION_LABEL = AIM + "precision"
CACHE_NAME_LABEL = AIM + "cache.name"
CACHE_TYPE_LABEL = AIM + "cache.type"
AIM_COMPONENT_LABEL = AIM + "component"
SOURCE_MODEL_LABEL = AIM + "source-model"
PROFILE_CACHE_LABEL = AIM + "profile-cache.name"

# aimsync's own tracking keys, all under one prefix.
TRACKING_PREFIX = "aimsync.io/"
SPEC_KIND_LABEL = TRACKING_PREFIX + "spec-kind"
SPEC_NAME_LABEL = TRACKING_PREFIX + "spec-name"
SOURCE_ANNOTATION = TRACKING_PREFIX + "source"
CACHES_ANNOTATION = TRACKING_PREFIX + "caches"
MODEL_SIZE_ANNOTATION = TRACKING_PREFIX + "model-size-bytes"  # measured by a check-size Job
CACHE_MODE_LABEL = TRACKING_PREFIX + "cache-mode"  # Shared | Dedicated: prune guards read it
OPT_OUT_ANNOTATION = TRACKING_PREFIX + "ignore"

_LABEL_JUNK = re.compile(r"[^a-z0-9._-]+")


@lru_cache(maxsize=65_536)  # pure, and asked for the same few values per service
def sanitize_label_value(value: str) -> str:
    """`SanitizeLabelValue`: lowercase; runs of other characters become '_'; trimmed; ≤63."""
    cleaned = _LABEL_JUNK.sub("_", value.lower()).strip("_.-")
    return cleaned[:63].rstrip("_.-")


def base_labels(component: str) -> dict[str, str]:
    return {COMPONENT_KEY: component, MANAGED_BY_KEY: MANAGED_BY}


def spec_tracking(kind: str, name: str) -> dict[str, str]:
    return {SPEC_KIND_LABEL: kind, SPEC_NAME_LABEL: sanitize_label_value(name)}
