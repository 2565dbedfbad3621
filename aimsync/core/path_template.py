"""The HTTPRoute path of a service: the operator's `pathTemplate` rendering (reference §3.8).

Validation checks that a template renders; render writes the rendered path into the HTTPRoute.
"""

from __future__ import annotations

import re

MAX_PATH_LENGTH = 200
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SEGMENT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class PathTemplateError(ValueError):
    """`PathTemplateInvalid`: the template cannot be rendered into a valid path."""


def _lookup(document: dict[str, object], expression: str) -> str:
    """A JSONPath subset: `.metadata.name`, `.metadata.labels.team`, `.metadata.labels['a/b']`."""
    parts = re.findall(r"\.([A-Za-z0-9_-]+)|\['([^']+)'\]|\[\"([^\"]+)\"\]", expression)
    if not parts or "".join(
        f".{a}" if a else f"['{b}']" if b else f'["{c}"]' for a, b, c in parts
    ) != expression.strip():
        raise PathTemplateError(f"unsupported JSONPath {{{expression}}}")
    value: object = document
    for a, b, c in parts:
        key = a or b or c
        if not isinstance(value, dict) or key not in value:
            raise PathTemplateError(f"{{{expression}}} does not exist on the AIMService")
        value = value[key]
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise PathTemplateError(f"{{{expression}}} is not a string")
    return str(value)


def render_path(template: str | None, document: dict[str, object]) -> str:
    metadata = document.get("metadata")
    assert isinstance(metadata, dict)
    if not template:
        # The operator defaults to /<namespace>/<UID>; a repository has no UID, so the name.
        return f"/{metadata['namespace']}/{metadata['name']}"
    path = _PLACEHOLDER.sub(lambda m: _lookup(document, m.group(1)), template)
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > MAX_PATH_LENGTH:
        raise PathTemplateError(f"rendered path has {len(path)} characters; at most 200")
    for segment in path.strip("/").split("/"):
        if not _SEGMENT.match(segment):
            raise PathTemplateError(
                f"path segment {segment!r} is not a lowercase RFC 1123 label"
            )
    return path
