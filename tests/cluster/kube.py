"""Small helpers on top of the official ``kubernetes`` client for raw API calls.

Server-side apply, dry-run and field validation are plain query parameters and content types, so
they are issued through ``ApiClient`` directly; the returned objects are plain dicts as the
API server sent them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kubernetes import client, config

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
CRD_FIELD_MANAGER = "aimsync-test-setup"
REQUEST_TIMEOUT_SECONDS = 30.0


class KubeApiError(Exception):
    """A non-2xx answer from the API server, with the decoded Status object if there was one."""

    def __init__(self, method: str, path: str, status: int, body: dict[str, Any] | str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""
        self.message = str(body.get("message", "")) if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: HTTP {status} {self.reason}: {self.message}")


def new_api_client(kubeconfig: Path) -> client.ApiClient:
    """An ``ApiClient`` for the current context of ``kubeconfig``."""
    api_client: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig)
    )
    return api_client


def request(
    api_client: client.ApiClient,
    method: str,
    path: str,
    *,
    query: Iterable[tuple[str, str]] = (),
    body: Any = None,
    content_type: str = "application/json",
    timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Send one request; return the decoded JSON body or raise ``KubeApiError``."""
    query_params = list(query)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    _method, url, header_params, serialized_body, _post = api_client.param_serialize(
        method=method,
        resource_path=path,
        query_params=query_params or None,
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api_client.call_api(
        method,
        url,
        header_params=header_params,
        body=serialized_body,
        _request_timeout=timeout,
    )
    response.read()  # type: ignore[no-untyped-call]
    raw = response.data.decode() if response.data else ""
    try:
        decoded: Any = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        decoded = raw
    if not 200 <= response.status < 300:
        raise KubeApiError(method, path, response.status, decoded)
    if not isinstance(decoded, dict):
        raise KubeApiError(method, path, response.status, f"unexpected body: {raw[:200]}")
    return decoded


def resource_path(
    api_version: str, plural: str, name: str | None = None, namespace: str | None = None
) -> str:
    """REST path of a collection or object, e.g. ('batch/v1', 'jobs', 'x', 'ns')."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace is not None:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name is not None else base


def server_side_apply(
    api_client: client.ApiClient,
    obj: dict[str, Any],
    *,
    plural: str,
    field_manager: str,
    force: bool = False,
    dry_run: bool = False,
    field_validation: str = "Strict",
) -> dict[str, Any]:
    """Server-side apply ``obj`` (apiVersion, kind, metadata.name[, namespace]) and return it."""
    metadata = obj["metadata"]
    path = resource_path(obj["apiVersion"], plural, metadata["name"], metadata.get("namespace"))
    query = [("fieldManager", field_manager), ("fieldValidation", field_validation)]
    if force:
        query.append(("force", "true"))
    if dry_run:
        query.append(("dryRun", "All"))
    return request(
        api_client, "PATCH", path, query=query, body=obj, content_type=APPLY_CONTENT_TYPE
    )


def crd_is_established(crd: dict[str, Any]) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def crd_is_discoverable(api_client: client.ApiClient, crd: dict[str, Any]) -> bool:
    """True when every served version of the CRD lists its plural in discovery."""
    group = crd["spec"]["group"]
    plural = crd["spec"]["names"]["plural"]
    for version in crd["spec"]["versions"]:
        if not version.get("served", False):
            continue
        try:
            resources = request(api_client, "GET", f"/apis/{group}/{version['name']}")
        except KubeApiError as exc:
            if exc.status == 404:
                return False
            raise
        if plural not in {r.get("name") for r in resources.get("resources") or []}:
            return False
    return True


def install_crds(
    api_client: client.ApiClient,
    crds: list[dict[str, Any]],
    *,
    only_missing: bool = False,
    timeout: float = 120.0,
) -> list[str]:
    """Server-side apply the CRDs (forced) and wait until each is Established and discoverable.

    With ``only_missing`` CRDs that already exist are left untouched (for shared clusters).
    Returns the names of the CRDs that were applied.
    """
    applied: list[str] = []
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    for crd in crds:
        name = crd["metadata"]["name"]
        if only_missing:
            try:
                request(api_client, "GET", f"{crd_path}/{name}")
                continue
            except KubeApiError as exc:
                if exc.status != 404:
                    raise
        server_side_apply(
            api_client,
            crd,
            plural="customresourcedefinitions",
            field_manager=CRD_FIELD_MANAGER,
            force=True,
        )
        applied.append(name)
    wait_for_crds(api_client, crds, timeout=timeout)
    return applied


def wait_for_crds(
    api_client: client.ApiClient, crds: list[dict[str, Any]], *, timeout: float
) -> None:
    """Wait (with a deadline) for every CRD to be Established and served in discovery."""
    deadline = time.monotonic() + timeout
    pending = {crd["metadata"]["name"]: crd for crd in crds}
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    while pending:
        for name in list(pending):
            live = request(api_client, "GET", f"{crd_path}/{name}")
            if crd_is_established(live) and crd_is_discoverable(api_client, live):
                del pending[name]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"CRDs not Established+discoverable after {timeout:.0f} s: {sorted(pending)}"
            )
        time.sleep(0.2)
