"""Deleting objects (prune, and recreating a finished download Job)."""

from __future__ import annotations

from aimsync.kube.client import KubeClient
from aimsync.kube.errors import NotFound
from aimsync.kube.resources import object_path
from aimsync.render.objects import ObjectKey


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
