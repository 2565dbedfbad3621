"""Desired against live (pure): is an object unchanged, and is a dry-run result a change?

Going beyond Flux: when aimsync's own managedFields entry and the live values already prove an
object unchanged, no dry-run request is sent at all. Whenever the proof fails (another manager
touched a field, the server normalised a value, a field was added or removed), the caller
falls back to a server-side dry-run and `differs` decides.
"""

from __future__ import annotations

import functools
import json
from typing import Any

SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "uid",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


def normalize(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without status and server-owned metadata (what a diff should compare)."""
    out = {k: v for k, v in obj.items() if k != "status"}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    out["metadata"] = metadata
    return out


def differs(dry_run_result: dict[str, Any], live: dict[str, Any]) -> bool:
    return normalize(dry_run_result) != normalize(live)


def _is_subset(desired: object, live: object) -> bool:
    # Written out (no generators, leaves compared in place): a no-op run asks this of every
    # field of every object, about 50 calls per object.
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        for key, value in desired.items():
            if key not in live:
                return False
            other = live[key]
            if isinstance(value, (dict, list)):
                if not _is_subset(value, other):
                    return False
            elif value != other or type(value) is not type(other):
                return False
        return True
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return False
        for value, other in zip(desired, live, strict=True):
            if isinstance(value, (dict, list)):
                if not _is_subset(value, other):
                    return False
            elif value != other or type(value) is not type(other):
                return False
        return True
    return desired == live and type(desired) is type(live)


@functools.lru_cache(maxsize=4096)
def _token_value(value: str) -> Any:
    """The JSON of a `k:`/`v:` token (the same tokens recur in every object of a kind)."""
    return json.loads(value)


def _matches_keys(item: object, keys: dict[str, Any]) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items())


def _owned_paths_exist(fields: dict[str, Any], desired: object) -> bool:
    """Every field in a managedFields `fieldsV1` set exists in `desired`."""
    for token, child in fields.items():
        if token == ".":
            continue
        kind, _, value = token.partition(":")
        if kind == "f":
            if not isinstance(desired, dict) or value not in desired:
                return False
            target: object = desired[value]
        elif kind == "k":
            keys = _token_value(value)
            if not isinstance(desired, list):
                return False
            found = [item for item in desired if _matches_keys(item, keys)]
            if len(found) != 1:
                return False
            target = found[0]
        elif kind == "v":
            if not isinstance(desired, list) or _token_value(value) not in desired:
                return False
            continue
        elif kind == "i":
            if not isinstance(desired, list) or int(value) >= len(desired):
                return False
            target = desired[int(value)]
        else:
            return False
        if isinstance(child, dict) and child and not _owned_paths_exist(child, target):
            return False
    return True


def _touches(fields: dict[str, Any], desired: object) -> bool:
    """Whether `desired` sets any leaf of a managedFields `fieldsV1` set (where a second
    manager of that field could make an apply conflict)."""
    for token, child in fields.items():
        if token == ".":
            continue
        kind, _, value = token.partition(":")
        targets: list[object]
        if kind == "f":
            if not isinstance(desired, dict) or value not in desired:
                continue
            targets = [desired[value]]
        elif kind == "k":
            keys = _token_value(value)
            targets = [i for i in desired if _matches_keys(i, keys)] if isinstance(
                desired, list) else []
        elif kind == "v":
            if isinstance(desired, list) and _token_value(value) in desired:
                return True
            continue
        else:  # "i:" and anything unknown: in doubt
            return True
        for target in targets:
            if not (isinstance(child, dict) and child) or _touches(child, target):
                return True
    return False


def changed_by_aimsync_alone(desired: dict[str, Any], live: dict[str, Any], manager: str) -> bool:
    """True when applying `desired` cannot conflict and needs no dry-run to be planned:
    aimsync has applied this object (its entry for this apiVersion is there) and no other
    manager of the object (status subresources aside) owns a field `desired` sets. The
    apply's answer then says what changed."""
    if applied_fields(live, manager, str(desired.get("apiVersion", ""))) is None:
        return False
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if entry.get("subresource"):
            continue  # status: written by controllers, never by an apply of aimsync
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            continue
        fields = entry.get("fieldsV1")
        if not isinstance(fields, dict) or _touches(fields, desired):
            return False
    return True


def applied_fields(live: dict[str, Any], manager: str, api_version: str) -> dict[str, Any] | None:
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if (
            entry.get("manager") == manager
            and entry.get("operation") == "Apply"
            and entry.get("apiVersion") == api_version
        ):
            fields = entry.get("fieldsV1")
            return fields if isinstance(fields, dict) else None
    return None


def proven_unchanged(desired: dict[str, Any], live: dict[str, Any], manager: str) -> bool:
    """True only when applying `desired` certainly changes nothing in `live`:
    every desired value is already live, and aimsync owns no field that desired drops."""
    fields = applied_fields(live, manager, str(desired.get("apiVersion", "")))
    if fields is None:
        return False
    return _is_subset(desired, live) and _owned_paths_exist(fields, desired)
