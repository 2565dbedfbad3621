"""Reading the cluster: LIST by label (few calls, not one GET per object), GET, nodes."""

from __future__ import annotations

from typing import Any

from aimsync.core.facts import ClusterFacts, Node
from aimsync.core.objects import ObjectKey
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import NotFound
from aimsync.kube.resources import RESOURCES, Resource, object_path

PAGE_SIZE = 500


def list_objects(
    kube: KubeClient, resource: Resource, namespace: str | None, label_selector: str = ""
) -> list[dict[str, Any]]:
    """Every object of a kind (paged), with apiVersion and kind filled in on each item."""
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        query = [("limit", str(PAGE_SIZE))]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if token:
            query.append(("continue", token))
        page = kube.request("GET", resource.collection_path(namespace), query=query)
        for item in page.get("items") or []:
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
            items.append(item)
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def get_object(kube: KubeClient, key: ObjectKey) -> dict[str, Any] | None:
    try:
        return kube.request("GET", object_path(key))
    except NotFound:
        return None


def read_cluster_facts(kube: KubeClient) -> ClusterFacts:
    nodes = list_objects(kube, RESOURCES["Node"], None)
    return ClusterFacts(tuple(sorted((Node.from_api(n) for n in nodes), key=lambda n: n.name)))
