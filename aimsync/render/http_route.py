"""The Gateway API HTTPRoute of a service with routing enabled (reference §3.8)."""

from __future__ import annotations

import re

from aimsync.api.service import AIMService
from aimsync.render.labels import SERVICE_LABEL, base_labels, sanitize_label_value
from aimsync.render.naming import http_route_name
from aimsync.render.objects import DesiredObject, ObjectKey

GATEWAY_API = "gateway.networking.k8s.io/v1"
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


def render_http_route(
    service: AIMService, namespace: str, isvc_name: str, path: str, extra_labels: dict[str, str]
) -> DesiredObject | None:
    routing = service.spec.routing
    if routing is None or not routing.enabled or routing.gateway_ref is None:
        return None
    name = http_route_name(service.metadata.name, namespace)
    labels = base_labels("routing")
    labels[SERVICE_LABEL] = sanitize_label_value(service.metadata.name)
    labels.update(extra_labels)
    rule: dict[str, object] = {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "filters": [
            {
                "type": "URLRewrite",
                "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
            }
        ],
        "backendRefs": [
            {"kind": "Service", "name": f"{isvc_name}-predictor", "namespace": namespace,
             "port": 80}
        ],
    }
    if routing.request_timeout:
        rule["timeouts"] = {"request": routing.request_timeout}
    metadata: dict[str, object] = {"name": name, "namespace": namespace, "labels": labels}
    if routing.annotations:
        metadata["annotations"] = dict(sorted(routing.annotations.items()))
    manifest: dict[str, object] = {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": metadata,
        "spec": {"parentRefs": [routing.gateway_ref.to_api()], "rules": [rule]},
    }
    return DesiredObject(
        ObjectKey(GATEWAY_API, "HTTPRoute", namespace, name),
        manifest,
        origin=f"AIMService {namespace}/{service.metadata.name}",
    )
