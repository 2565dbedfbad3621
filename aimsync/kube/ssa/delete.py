"""Deleting one object (prune, and recreating a download Job): only the incarnation that
was read (a uid precondition), in the background."""

from __future__ import annotations

import time

from aimsync.core.objects import ObjectKey
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import NotFound
from aimsync.kube.read import get_object
from aimsync.kube.resources import object_path

GONE_TIMEOUT_SECONDS = 30.0


def delete_object(kube: KubeClient, key: ObjectKey, *, uid: str | None = None) -> bool:
    """Background propagation; with `uid`, only that incarnation. False if already gone."""
    body: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "propagationPolicy": "Background",
    }
    if uid:
        body["preconditions"] = {"uid": uid}
    try:
        kube.request("DELETE", object_path(key), body=body)
        return True
    except NotFound:
        return False


def wait_gone(
    kube: KubeClient, key: ObjectKey, uid: str | None, timeout: float = GONE_TIMEOUT_SECONDS
) -> bool:
    """Until that incarnation is gone (a finalizer may hold it a moment); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = get_object(kube, key)
        if current is None or (current.get("metadata") or {}).get("uid") != uid:
            return True
        time.sleep(0.2)
    return False
