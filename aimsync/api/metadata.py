"""metadata of an object in the repository: name, namespace, labels, annotations."""

from __future__ import annotations

import re

from aimsync.api.base import APIModel
from aimsync.api.common import NamespaceName, ObjectName
from aimsync.core.text import shown

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ANNOTATIONS_MAX_BYTES = 256 * 1024


def check_qualified_key(key: str) -> str | None:
    """Why `key` is not a valid label/annotation key, or None (k8s IsQualifiedName)."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return f"key {shown(key)} has more than one '/'"
    if key.startswith("/") or (prefix == "" and key.count("/") == 1):
        return f"key {shown(key)} has an empty prefix before '/'"
    if prefix and (len(prefix) > 253 or not _PREFIX.match(prefix)):
        return (
            f"key prefix {shown(prefix)} must be a DNS subdomain (lowercase letters, digits, '-' "
            "and '.', at most 253 characters)"
        )
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            f"key name {shown(name)} must be 1-63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def check_label_value(value: str) -> str | None:
    if len(value) > 63 or not LABEL_VALUE.match(value):
        return (
            f"label value {shown(value)} must be at most 63 characters of letters, digits, '-', "
            "'_' and '.', starting and ending with a letter or digit (or empty)"
        )
    return None


class ObjectMeta(APIModel):
    name: ObjectName
    namespace: NamespaceName | None = None
    # Keys and values are checked by the validation stage, which can point at each key.
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


# Fields the API server sets. A manifest exported with `kubectl get -o yaml` carries them;
# they are reported (as warnings) and not applied.
SERVER_SET_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
)
