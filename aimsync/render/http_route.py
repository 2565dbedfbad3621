"""The Gateway API HTTPRoute of a service with routing enabled (reference §3.8)."""

from __future__ import annotations

import re

from aimsync.api.service import AIMService
from aimsync.core.naming import http_route_name
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.render.labels import SERVICE_LABEL, base_labels, sanitize_label_value

GATEWAY_API = "gateway.networking.k8s.io/v1"


_DURATION_PART = re.compile(r"([0-9]+)(ms|h|m|s)")
_MILLISECONDS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def go_duration(text: str) -> str:
    """A Gateway API duration as the operator writes it back: Go's `time.Duration.String()`
    of its value (`300s` -> `5m0s`, `1h` -> `1h0m0s`, `500ms` -> `500ms`). Validation makes
    sure `text` is a Gateway API duration."""
    ms = sum(int(n) * _MILLISECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, fraction = divmod(rest, 1000)
    shown = f"{seconds}" + (f".{fraction:03d}".rstrip("0") if fraction else "")
    if hours:
        return f"{hours}h{minutes}m{shown}s"
    if minutes:
        return f"{minutes}m{shown}s"
    return f"{shown}s"


def rewrite_filters() -> list[dict[str, object]]:
    """The route's filters: the same for every route, so a render makes them once and its
    routes share them (a rendered manifest is never changed in place)."""
    return [
        {
            "type": "URLRewrite",
            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
        }
    ]


def render_http_route(
    service: AIMService, namespace: str, isvc_name: str, path: str, extra_labels: dict[str, str],
    filters: list[dict[str, object]] | None = None,
) -> DesiredObject | None:
    """`filters`: the render's shared `rewrite_filters()`."""
    routing = service.spec.routing
    if routing is None or not routing.enabled or routing.gateway_ref is None:
        return None
    name = http_route_name(service.metadata.name, namespace)
    labels = base_labels("routing")
    labels[SERVICE_LABEL] = sanitize_label_value(service.metadata.name)
    labels.update(extra_labels)
    rule: dict[str, object] = {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "filters": filters if filters is not None else rewrite_filters(),
        "backendRefs": [
            {"kind": "Service", "name": f"{isvc_name}-predictor", "namespace": namespace,
             "port": 80}
        ],
    }
    if routing.request_timeout:
        rule["timeouts"] = {"request": go_duration(routing.request_timeout)}
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
