"""Where each kind aimsync touches lives in the API."""

from __future__ import annotations

from msgspec import Struct

from aimsync.core.objects import ObjectKey


class Resource(Struct, frozen=True):
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    def collection_path(self, namespace: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    def object_path(self, name: str, namespace: str | None = None) -> str:
        return f"{self.collection_path(namespace)}/{name}"


RESOURCES = {
    r.kind: r
    for r in (
        Resource("v1", "ConfigMap", "configmaps"),
        Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
        Resource("batch/v1", "Job", "jobs"),
        Resource("v1", "Pod", "pods"),
        Resource("serving.kserve.io/v1beta1", "InferenceService", "inferenceservices"),
        Resource("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes"),
        Resource("keda.sh/v1alpha1", "ScaledObject", "scaledobjects"),
        Resource("coordination.k8s.io/v1", "Lease", "leases"),
        Resource("v1", "Namespace", "namespaces", namespaced=False),
        Resource("v1", "Node", "nodes", namespaced=False),
    )
}
MANAGED_KINDS = (
    "ConfigMap", "PersistentVolumeClaim", "Job", "InferenceService", "HTTPRoute", "ScaledObject"
)


def resource_for(key: ObjectKey) -> Resource:
    return RESOURCES[key.kind]


def object_path(key: ObjectKey) -> str:
    return resource_for(key).object_path(key.name, key.namespace)
