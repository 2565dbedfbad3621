"""A service's `profileOverrides` applied to the profile it resolved (reference §3.7).

modelSources replace (and the first source's modelId becomes the profile's modelId),
accelerator fields replace, containerEnv merges by name, engineEnv by key, engineArgs shallowly.
The result is the effective profile the service runs; no overlay object is created.
"""

from __future__ import annotations

from typing import Any

from aimsync.api.common import EnvVar
from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.service import AIMServiceProfileOverrides


def merge_env(base: list[EnvVar] | None, override: list[EnvVar] | None) -> list[EnvVar] | None:
    """Upsert by name: an override replaces the variable in place, new ones are appended."""
    if not override:
        return base
    merged = {var.name: var for var in base or []}
    for var in override:
        merged[var.name] = var
    return list(merged.values())


def apply_overrides(
    spec: AIMProfileSpecCommon, overrides: AIMServiceProfileOverrides | None
) -> AIMProfileSpecCommon:
    if overrides is None:
        return spec
    update: dict[str, Any] = {}
    if overrides.model_sources:
        update["model_sources"] = overrides.model_sources
        update["model_id"] = overrides.model_sources[0].model_id
    for field in ("accelerator_model", "accelerator_count", "accelerator_partitioning_mode"):
        value = getattr(overrides, field)
        if value is not None and value != "":
            update[field] = value
    if overrides.container_env:
        update["container_env"] = merge_env(spec.container_env, overrides.container_env)
    if overrides.engine_env:
        update["engine_env"] = {**(spec.engine_env or {}), **overrides.engine_env}
    if overrides.engine_args:
        update["engine_args"] = {**(spec.engine_args or {}), **overrides.engine_args}
    return spec.model_copy(update=update) if update else spec
