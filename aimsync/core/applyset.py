"""ApplySet (KEP-3659) identity: the labels that tie members to their inventory parent."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from msgspec import Struct

from aimsync.core.objects import ObjectKey

PREFIX = "applyset.kubernetes.io/"
ID_LABEL = PREFIX + "id"
PART_OF_LABEL = PREFIX + "part-of"
TOOLING_ANNOTATION = PREFIX + "tooling"
GROUP_KINDS_ANNOTATION = PREFIX + "contains-group-kinds"
NAMESPACES_ANNOTATION = PREFIX + "additional-namespaces"


def member_selector(applyset: str) -> str:
    """The label selector of the members of an ApplySet."""
    return f"{PART_OF_LABEL}={applyset}"


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    """The parent's id: base64url(sha256(<name>.<namespace>.<kind>.<group>)) (KEP-3659)."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"


class InventoryState(Struct, frozen=True):
    """What an ApplySet parent records: the group kinds and namespaces of its members."""

    group_kinds: frozenset[str]
    namespaces: frozenset[str]

    @staticmethod
    def of(keys: Iterable[ObjectKey], home: str) -> InventoryState:
        """What `keys` need recorded; `home` is the parent's own namespace."""
        keys = list(keys)
        return InventoryState(
            frozenset(k.group_kind for k in keys), frozenset({k.namespace for k in keys} | {home})
        )

    def __or__(self, other: InventoryState) -> InventoryState:
        return InventoryState(
            self.group_kinds | other.group_kinds, self.namespaces | other.namespaces
        )
