"""Namespaces aimsync needs: its own system ones (before it can lock and record anything),
and with `createNamespaces` those of the repository."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aimsync.kube.client import KubeClient
from aimsync.kube.errors import Conflict, KubeError, NotFound
from aimsync.kube.resources import RESOURCES
from aimsync.render.labels import MANAGED_BY, MANAGED_BY_KEY


def ensure_namespace(kube: KubeClient, name: str) -> None:
    resource = RESOURCES["Namespace"]
    try:
        kube.request("GET", resource.object_path(name))
    except NotFound:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        # Created meanwhile, or not allowed: the Lease request will say.
        with contextlib.suppress(KubeError):
            kube.request("POST", resource.collection_path(), body=body)


def create_missing_namespaces(kube: KubeClient, names: Iterable[str]) -> list[str]:
    """`createNamespaces`: the namespaces of the repository that do not exist yet, created
    and labelled as aimsync's (prune never deletes a namespace). Returns those created; a
    refusal (RBAC) raises."""
    resource = RESOURCES["Namespace"]
    created = []
    for name in sorted(set(names)):
        try:
            kube.request("GET", resource.object_path(name))
            continue
        except NotFound:
            pass
        body = {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {MANAGED_BY_KEY: MANAGED_BY}},
        }
        with contextlib.suppress(Conflict):  # created meanwhile
            kube.request("POST", resource.collection_path(), body=body)
            created.append(name)
    return created
