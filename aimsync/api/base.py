"""The model base class and the scalar types shared by all AIM kinds."""

from __future__ import annotations

import re
import types
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from aimsync.core.quantity import QuantityError, parse_quantity


class APIModel(BaseModel):
    """Strict, closed, immutable: unknown fields are errors, values are never coerced."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        validate_default=False,
        # Built on first use: a nested model's validator is part of its parent's, so only
        # the kinds a run validates build one of their own (start-up; issue 16 item 2).
        defer_build=True,
    )

    def to_api(self, only: tuple[tuple[str, ...], ...] | None = None) -> dict[str, Any]:
        """The object as the Kubernetes API writes it (camelCase, unset fields left out).
        `only`: paths of API names; the fields off them are not dumped (a value that is no
        model, a list say, comes whole)."""
        if only is None:
            return self.model_dump(by_alias=True, exclude_none=True, mode="json")
        return self.model_dump(by_alias=True, exclude_none=True, mode="json",
                               include=_include(type(self), only))

    def api_json(self, only: tuple[tuple[str, ...], ...]) -> bytes | None:
        """to_api(only) as JSON, a key that tells the dumps apart (built in one call); None
        for a model with a float field (JSON writes NaN and the infinities alike, null)."""
        if _has_floats(type(self)):
            return None
        return self.__pydantic_serializer__.to_json(
            self, by_alias=True, exclude_none=True, include=_include(type(self), only))


@cache
def _include(model: type[APIModel], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """pydantic's `include` for the paths (once per model and paths)."""
    out: dict[str, Any] = {}
    for path in paths:
        node, kind = out, model
        for depth, key in enumerate(path):
            name = _field_names(kind).get(key)
            if name is None or node.get(name) is True:
                break
            inner = _model_of(kind.model_fields[name].annotation)
            if depth == len(path) - 1 or inner is None:
                node[name] = True
                break
            node, kind = node.setdefault(name, {}), inner
    return out


@cache
def _field_names(model: type[APIModel]) -> dict[str, str]:
    """The fields of a model by the names to_api writes."""
    return {info.serialization_alias or info.alias or name: name
            for name, info in model.model_fields.items()}


@cache
def _has_floats(model: type[APIModel]) -> bool:
    """Whether a field of the model, or of a model in it, is typed float."""
    seen: set[object] = set()
    todo: list[object] = [info.annotation for info in model.model_fields.values()]
    while todo:
        annotation = todo.pop()
        if annotation is float:
            return True
        if isinstance(annotation, type) and issubclass(annotation, APIModel):
            if annotation not in seen:
                seen.add(annotation)
                todo += [info.annotation for info in annotation.model_fields.values()]
            continue
        todo += [a for a in get_args(annotation) if not isinstance(a, (str, int))]
    return False


def _model_of(annotation: object) -> type[APIModel] | None:
    """The one model a field holds (`X`, `X | None`, `Annotated[X, ...]`), else None."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if a is not type(None)]
        annotation = models[0] if len(models) == 1 else None
        while get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, APIModel):
        return annotation
    return None


INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
NonNegInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]

# The regular expression the CRDs use for resource.Quantity (int-or-string).
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_QUANTITY = re.compile(QUANTITY_PATTERN)


def _validate_quantity(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        got = "a boolean" if isinstance(value, bool) else f"a {type(value).__name__}"
        if isinstance(value, (list, dict)):
            got = "a list" if isinstance(value, list) else "a mapping"
        raise PydanticCustomError(
            "quantity_type",
            f"expected a Kubernetes quantity (a number or a string such as 10Gi, 500m), got {got}",
        )
    if isinstance(value, str) and not _QUANTITY.match(value):
        raise PydanticCustomError(
            "quantity_format",
            f"{value!r} is not a Kubernetes quantity; write a number with an optional suffix "
            "(Ki Mi Gi Ti Pi Ei, k M G T P E, m, or an exponent such as 1e3), e.g. 10Gi",
        )
    try:
        # The CRDs' pattern lets some through that Kubernetes cannot parse (1e1.5) or hold:
        # refuse them here, as everything after validation computes with the value.
        parse_quantity(value)
    except QuantityError as exc:
        raise PydanticCustomError(
            "quantity_value", f"{exc}; write e.g. 10Gi, 500m or 1e3"
        ) from None
    return value


Quantity = Annotated[
    int | str,
    PlainValidator(_validate_quantity, json_schema_input_type=int | str),
    PlainSerializer(lambda v: v, return_type=int | str),
]

# Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation).
DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# acceleratorModel / acceleratorPartitioningMode
ACCELERATOR_NAME = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
MODEL_ID = r"^[a-zA-Z0-9_-]+/[a-zA-Z0-9._-]+$"
SOURCE_URI = r"^(hf|s3)://[^ \t\r\n]+$"

# Human explanations for the patterns above, used in error messages.
PATTERN_HELP: dict[str, str] = {
    DNS1123_LABEL: "lowercase letters, digits and '-', starting and ending with a letter or digit",
    DNS1123_SUBDOMAIN: "lowercase letters, digits, '-' and '.', starting and ending with a "
    "letter or digit",
    ACCELERATOR_NAME: "letters, digits, '.', '_' and '-', starting and ending with a letter or "
    "digit (e.g. MI300X, CPX-NPS4)",
    MODEL_ID: "an {org}/{name} identifier such as qwen/qwen3-32b-fp8",
    SOURCE_URI: "an hf:// or s3:// URI without spaces, e.g. hf://Qwen/Qwen3-32B-FP8",
}
