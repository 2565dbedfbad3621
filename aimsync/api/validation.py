"""Turn pydantic's validation errors into findings a person can act on.

Each message says what is wrong and what is allowed; the location is the offending key, or
the nearest enclosing key for a missing field.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aimsync.api.base import PATTERN_HELP, APIModel
from aimsync.core.fields import FieldPath
from aimsync.core.secrets import MASK, is_secret_name

# Keys that users often get wrong in ways difflib cannot guess.
_KNOWN_MISTAKES = {"sourceURI": "sourceUri", "sourceURL": "sourceUri", "aimID": "aimId"}


def describe_value(value: object) -> str:
    """How a value looks in YAML, for messages: the string "2", the number 2, a list."""
    if isinstance(value, _Hidden):
        return "a value that is not shown (the field holds a credential)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the interesting type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that describes the value at `path`, if there is one."""
    current: Any = model
    for part in path:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_by_alias(current, str(part))
            if field is None:
                return None
            current = field
        elif origin is list and isinstance(part, int):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _field_by_alias(model: type[BaseModel], alias: str) -> Any | None:
    for name, info in model.model_fields.items():
        if (info.alias or name) == alias:
            return info.annotation if not info.metadata else Annotated[
                (info.annotation, *info.metadata)
            ]
    return None


def allowed_fields(model: type[BaseModel]) -> list[str]:
    return sorted(info.alias or name for name, info in model.model_fields.items())


def suggest(word: str, candidates: list[str]) -> str | None:
    if word in _KNOWN_MISTAKES and _KNOWN_MISTAKES[word] in candidates:
        return _KNOWN_MISTAKES[word]
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a name is wrong (start-up)

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _literal_values(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


class _Hidden:
    """Stands for the value of a credential's field in a message: never echoed."""

    def __str__(self) -> str:
        return MASK


def _holds_credential(loc: tuple[Any, ...], data: object) -> bool:
    """A field whose name is a credential's (engineEnv: {HF_TOKEN: ...}), or the value of an
    env entry whose name is (env: [{name: HF_TOKEN, value: ...}])."""
    node = data
    for part in loc:
        if isinstance(part, str) and is_secret_name(part):
            return True
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            item = node[part]
            if isinstance(item, dict) and is_secret_name(str(item.get("name", ""))):
                return True
            node = item
        else:
            return False
    return False


def _message(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    field = str(loc[-1]) if loc else "value"
    if kind == "missing":
        return f"required field {field!r} is missing"
    if kind == "extra_forbidden":
        parent = model_at(root, loc[:-1])
        known = allowed_fields(parent) if parent else []
        hint = suggest(field, known) if known else None
        did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
        allowed = f"; allowed fields here: {', '.join(known)}" if known else ""
        return f"unknown field {field!r}{did_you_mean}{allowed}"
    if kind == "string_type":
        return f"expected a string, got {describe_value(value)} (quote it: \"{value}\")" if (
            isinstance(value, (int, float, bool))
        ) else f"expected a string, got {describe_value(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {describe_value(value)}"
    if kind == "bool_type":
        extra = ""
        if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off", "y", "n"):
            extra = " (aimsync reads YAML 1.2, where yes/no/on/off are strings)"
        return f"expected a boolean (true or false), got {describe_value(value)}{extra}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {describe_value(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value), got {describe_value(value)}"
    if kind == "list_type":
        return f"expected a list, got {describe_value(value)}"
    if kind == "literal_error":
        choices = _literal_values(str(ctx.get("expected", "")))
        shown = describe_value(value)
        hint = suggest(str(value), choices) if isinstance(value, str) else None
        did_you_mean = f" (did you mean {hint!r}?)" if hint and hint != value else ""
        if len(choices) == 1:
            return f"{shown} is not allowed; it must be {choices[0]!r}{did_you_mean}"
        return f"{shown} is not allowed; allowed values: {', '.join(choices)}{did_you_mean}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        help_text = PATTERN_HELP.get(pattern)
        allowed = f"expected {help_text}" if help_text else f"it must match {pattern}"
        return f"{describe_value(value)} is not valid: {allowed}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters long"
    if kind == "string_too_long":
        return f"is {len(str(value))} characters long; at most {ctx.get('max_length')} allowed"
    if kind == "too_long":
        return f"has too many entries; at most {ctx.get('max_length')} allowed"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"{value} is too small; the minimum is {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"{value} is too large; the maximum is {bound}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _clean_loc(loc: tuple[Any, ...], data: object) -> FieldPath:
    """The location as a path into the document.

    pydantic may add union-member tags (e.g. 'int', 'function-plain') to locations. A part is
    kept when the document has it (so a user key named 'str' stays), and the last part is kept
    too (a missing field is not in the document, by definition).
    """
    out: list[str | int] = []
    current: object = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        in_map = isinstance(current, dict) and part in current
        in_list = (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        )
        if in_map or in_list:
            current = current[part]  # type: ignore[index]
        elif not last:
            continue  # a tag pydantic added
        out.append(part)
    return tuple(out)


def validate_model(
    model: type[APIModel], data: object
) -> tuple[APIModel | None, list[tuple[FieldPath, str, str]]]:
    """The validated object, or None and the problems as (field path, message, rule)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = []
        # A misspelt key shows up twice: as unknown, and its real name as missing. The
        # "did you mean" of the unknown key says it all, so the missing one is dropped.
        suggested = set()
        for error in errors:
            if error["type"] == "extra_forbidden" and error["loc"]:
                loc = _clean_loc(tuple(error["loc"]), data)
                parent = model_at(model, loc[:-1])
                hint = suggest(str(loc[-1]), allowed_fields(parent)) if parent else None
                if hint:
                    suggested.add((*loc[:-1], hint))
        for error in errors:
            path = _clean_loc(tuple(error["loc"]), data)
            if error["type"] == "missing" and path in suggested:
                continue
            if _holds_credential(tuple(error["loc"]), data):
                error = {**error, "input": _Hidden()}
            problems.append((path, _message(error, model), f"schema.{error['type']}"))
        return None, problems
