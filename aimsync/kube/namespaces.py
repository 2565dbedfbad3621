"""Namespaces aimsync needs before it can lock and record anything (its own system ones)."""

from __future__ import annotations

import contextlib

from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError, NotFound
from aimsync.kube.resources import RESOURCES


def ensure_namespace(kube: KubeClient, name: str) -> None:
    resource = RESOURCES["Namespace"]
    try:
        kube.request("GET", resource.object_path(name))
    except NotFound:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        # Created meanwhile, or not allowed: the Lease request will say.
        with contextlib.suppress(KubeError):
            kube.request("POST", resource.collection_path(), body=body)
