"""The inventory: an ApplySet (KEP-3659) parent recording what aimsync applied.

The parent is a ConfigMap labelled `applyset.kubernetes.io/id`; members carry
`applyset.kubernetes.io/part-of: <id>`. Before applying, the parent is widened to the superset
of the old and new kinds and namespaces, so a run that dies half-way never loses track of
what it created; after pruning it is narrowed to what is applied now.
"""

from __future__ import annotations

from msgspec import Struct

from aimsync import __version__
from aimsync.core.applyset import (
    GROUP_KINDS_ANNOTATION,
    ID_LABEL,
    NAMESPACES_ANNOTATION,
    TOOLING_ANNOTATION,
    InventoryState,
    applyset_id,
)
from aimsync.core.objects import ObjectKey
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError
from aimsync.kube.read import get_object
from aimsync.kube.ssa.apply import server_side_apply

TOOL = "aimsync"
INVENTORY_MANAGER = "aimsync-applyset"


class InventoryError(KubeError):
    pass


class Inventory(Struct):
    kube: KubeClient
    namespace: str
    name: str

    @property
    def key(self) -> ObjectKey:
        return ObjectKey("v1", "ConfigMap", self.namespace, self.name)

    @property
    def id(self) -> str:
        return applyset_id(self.name, self.namespace, "ConfigMap", "")

    def read(self) -> InventoryState:
        parent = get_object(self.kube, self.key)
        if parent is None:
            return InventoryState(frozenset(), frozenset())
        metadata = parent.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        tooling = annotations.get(TOOLING_ANNOTATION, "")
        if tooling and not tooling.startswith(TOOL + "/"):
            raise InventoryError(
                f"ConfigMap {self.namespace}/{self.name} is the ApplySet of another tool "
                f"({tooling}); choose another inventory name in aimsync.yaml"
            )
        if (metadata.get("labels") or {}).get(ID_LABEL) not in (None, self.id):
            raise InventoryError(f"ConfigMap {self.namespace}/{self.name} has a foreign id")

        def split(value: str) -> frozenset[str]:
            return frozenset(v for v in value.split(",") if v)

        namespaces = split(annotations.get(NAMESPACES_ANNOTATION, "")) | {self.namespace}
        return InventoryState(split(annotations.get(GROUP_KINDS_ANNOTATION, "")), namespaces)

    def write(self, state: InventoryState) -> None:
        others = sorted(n for n in state.namespaces if n != self.namespace)
        manifest: dict[str, object] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {ID_LABEL: self.id},
                "annotations": {
                    TOOLING_ANNOTATION: f"{TOOL}/v{__version__}",
                    GROUP_KINDS_ANNOTATION: ",".join(sorted(state.group_kinds)),
                    NAMESPACES_ANNOTATION: ",".join(others),
                },
            },
        }
        server_side_apply(
            self.kube, self.key, manifest, field_manager=INVENTORY_MANAGER, force=True
        )
