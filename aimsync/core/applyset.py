"""ApplySet (KEP-3659) identity: the labels that tie members to their inventory parent."""

from __future__ import annotations

import base64
import hashlib

PREFIX = "applyset.kubernetes.io/"
ID_LABEL = PREFIX + "id"
PART_OF_LABEL = PREFIX + "part-of"
TOOLING_ANNOTATION = PREFIX + "tooling"
GROUP_KINDS_ANNOTATION = PREFIX + "contains-group-kinds"
NAMESPACES_ANNOTATION = PREFIX + "additional-namespaces"


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    """The parent's id: base64url(sha256(<name>.<namespace>.<kind>.<group>)) (KEP-3659)."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
