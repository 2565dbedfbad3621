"""Settings of one aimsync instance (`aimsync.yaml` at the repository root, all optional).

DESIGN.md §6. Every setting has a default; the command line can override those a run needs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from aimsync.api.base import DNS1123_LABEL, APIModel, NonNegInt32, Quantity
from aimsync.core.quantity import parse_quantity

SETTINGS_FILE = "aimsync.yaml"
# A file of the same schema whose keys replace the repository's (a cluster's overrides: the
# CronJob mounts its aimsync-settings ConfigMap there, deploy/base/cronjob.yaml).
SETTINGS_OVERRIDES_VARIABLE = "AIMSYNC_SETTINGS_FILE"
# What the operator's public release of e837778 (0.2.5) compiles in as DefaultDownloadImage
# (its Makefile: docker.io/amdenterpriseai/aim-artifact-downloader:$(TAG); the images moved
# there in 0.2.4). Set `downloaderImage` to the one your AIM Engine release uses.
DEFAULT_DOWNLOADER_IMAGE = "docker.io/amdenterpriseai/aim-artifact-downloader:v0.2.5"

Namespace = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]


def _above_zero(value: int | str) -> int | str:
    if parse_quantity(value) <= 0:
        raise ValueError(f"{value} is not above zero; give a size such as 70Gi")
    return value


PositiveQuantity = Annotated[Quantity, AfterValidator(_above_zero)]


class ObjectLocation(APIModel):
    namespace: Namespace = "aimsync-system"
    name: Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]


class LockSettings(ObjectLocation):
    # A run that cannot renew its Lease for this long (paused, cut off) is taken over; it
    # stops writing a quarter of it before.
    lease_duration_seconds: Annotated[int, Field(ge=4, le=3600)] = 60


class PruneSettings(APIModel):
    allow_empty: bool = False  # refuse to prune everything when the render is empty
    shared_caches: bool = False  # never delete a Shared cache PVC unless told


class AutoscalingSettings(APIModel):
    """What the operator reads from its own environment (AIM_KEDA_OTEL_SCALER_ADDRESS,
    AIM_COOLDOWN_SECONDS_PER_GI_MEMORY), with its defaults (constants.go at e837778)."""

    scaler_address: Annotated[str, Field(min_length=1)] = "keda-otel-scaler.keda.svc:4318"
    cooldown_seconds_per_gi_memory: NonNegInt32 = 5  # scale-to-zero cooldown per GiB


class GitSettings(APIModel):
    author_name: str = "aimsync"
    author_email: str = "aimsync@localhost"


class LimitSettings(APIModel):
    max_file_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    max_files: Annotated[int, Field(ge=1, le=1_000_000)] = 20_000


class Settings(APIModel):
    field_manager: Annotated[str, Field(min_length=1, max_length=128)] = "aimsync"
    # Fields taken by imperative edits of these managers (prefixes; Update operations only)
    # are drift: aimsync takes them back. Conflicts with anything else are reported.
    reclaim_from_managers: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["kubectl", "before-first-apply"]
    )  # an empty prefix would match every manager
    downloader_image: Annotated[str, Field(min_length=1)] = DEFAULT_DOWNLOADER_IMAGE
    default_storage_class: str | None = None
    # Size of a model source that gives none (the PVC of a cache must be sized); above zero.
    default_cache_size: PositiveQuantity | None = None
    pvc_headroom_percent: NonNegInt32 = 10
    lock: LockSettings = LockSettings(name="aimsync-lock")
    inventory: ObjectLocation = ObjectLocation(name="aimsync-inventory")
    prune: PruneSettings = PruneSettings()
    # Create the namespaces of the repository this instance owns (labelled as aimsync's;
    # never deleted by prune), as Argo CD's CreateNamespace=true does.
    create_namespaces: bool = False
    autoscaling: AutoscalingSettings = AutoscalingSettings()
    # Namespaces this instance owns; empty means every namespace in the repository.
    namespaces: list[Namespace] = Field(default_factory=list)
    # Paths (globs, relative to the repository root) that are not read.
    exclude: list[str] = Field(default_factory=list)
    git: GitSettings = GitSettings()
    limits: LimitSettings = LimitSettings()

    def owns_namespace(self, namespace: str) -> bool:
        return not self.namespaces or namespace in self.namespaces
