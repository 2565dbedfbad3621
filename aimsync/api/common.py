"""Kubernetes types the AIM kinds embed: env vars, resources, object references, conditions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from aimsync.api.base import (
    DNS1123_LABEL,
    APIModel,
    Int64,
    Quantity,
)


class ConfigMapKeySelector(APIModel):
    key: str
    name: str = ""
    optional: bool | None = None


class SecretKeySelector(APIModel):
    key: str
    name: str = ""
    optional: bool | None = None


class ObjectFieldSelector(APIModel):
    field_path: str
    api_version: str | None = None


class ResourceFieldSelector(APIModel):
    resource: str
    container_name: str | None = None
    divisor: Quantity | None = None


class FileKeySelector(APIModel):
    key: str
    path: str
    volume_name: str
    optional: bool = False


class EnvVarSource(APIModel):
    config_map_key_ref: ConfigMapKeySelector | None = None
    field_ref: ObjectFieldSelector | None = None
    file_key_ref: FileKeySelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    secret_key_ref: SecretKeySelector | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> EnvVarSource:
        chosen = [
            name
            for name in ("config_map_key_ref", "field_ref", "file_key_ref", "resource_field_ref",
                         "secret_key_ref")
            if getattr(self, name) is not None
        ]
        if len(chosen) != 1:
            raise ValueError(
                "valueFrom must set exactly one of configMapKeyRef, fieldRef, fileKeyRef, "
                f"resourceFieldRef, secretKeyRef (found {len(chosen)})"
            )
        return self


ENV_VAR_NAME = r"^[^=]+$"


class EnvVar(APIModel):
    name: Annotated[str, Field(min_length=1, pattern=ENV_VAR_NAME)]
    value: str | None = None
    value_from: EnvVarSource | None = None

    @model_validator(mode="after")
    def _value_xor_value_from(self) -> EnvVar:
        if self.value is not None and self.value != "" and self.value_from is not None:
            raise ValueError("set either value or valueFrom, not both")
        return self

    def to_api(self, only: tuple[tuple[str, ...], ...] | None = None) -> dict[str, Any]:
        # A variable with a value (most of them, a few per object rendered): the dump
        # without the serializer's cost.
        if self.value_from is None and only is None:
            return {"name": self.name} if self.value is None else {
                "name": self.name, "value": self.value}
        return super().to_api(only)


def unique_env_names(env: list[EnvVar] | None) -> list[EnvVar] | None:
    """listType=map keyed by name: the API server refuses duplicate names."""
    if env:
        seen: set[str] = set()
        for var in env:
            if var.name in seen:
                raise ValueError(f"duplicate env var name {var.name!r}")
            seen.add(var.name)
    return env


class ResourceClaim(APIModel):
    name: str
    request: str | None = None


def _unique_claims(claims: list[ResourceClaim]) -> list[ResourceClaim]:
    """listType=map keyed by name, as the API server checks it."""
    names = [claim.name for claim in claims]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate resource claim name {duplicates[0]!r}")
    return claims


class ResourceRequirements(APIModel):
    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None
    claims: Annotated[list[ResourceClaim], AfterValidator(_unique_claims)] | None = None


class LocalObjectReference(APIModel):
    name: str = ""


ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(APIModel):
    """metav1.Condition."""

    type: str
    status: ConditionStatus
    reason: str
    message: str
    last_transition_time: str
    observed_generation: Int64 | None = None


ScopeName = Literal["Namespace", "Cluster", "Merged", "Unknown"]


class ResolvedReference(APIModel):
    """AIMResolvedReference: {name, namespace, scope, kind, uid}."""

    name: str | None = None
    namespace: str | None = None
    scope: ScopeName | None = None
    kind: str | None = None
    uid: str | None = None


# Name of an object in the repository: what Kubernetes allows for AIM kinds, narrowed to a
# DNS-1123 label (names become label values and parts of derived names).
ObjectName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]
NamespaceName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]
