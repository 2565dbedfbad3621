"""Desired against live (pure): is an object unchanged, and is a dry-run result a change?

Going beyond Flux: when aimsync's own managedFields entry and the live values already prove an
object unchanged, no dry-run request is sent at all. Whenever the proof fails (another manager
touched a field, the server normalised a value, a field was added or removed), the caller
falls back to a server-side dry-run and `differs` decides.
"""

from __future__ import annotations

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


_MISSING = object()  # a key `live` does not have (None is a value)


def _is_subset(desired: object, live: object) -> bool:
    # Written out (no generators, leaves compared in place, exact types by `type() is`): a
    # no-op run asks this of every field of every object, about 20 calls per object.
    if type(desired) is dict:
        if type(live) is not dict:
            return False
        for key, value in desired.items():
            other = live.get(key, _MISSING)
            value_kind = type(value)
            if value_kind is dict or value_kind is list:
                if not _is_subset(value, other):
                    return False
            elif value_kind is not type(other) or value != other:
                return False
        return True
    if type(desired) is list:
        if type(live) is not list or len(desired) != len(live):
            return False
        for value, other in zip(desired, live, strict=True):
            value_kind = type(value)
            if value_kind is dict or value_kind is list:
                if not _is_subset(value, other):
                    return False
            elif value_kind is not type(other) or value != other:
                return False
        return True
    return type(desired) is type(live) and desired == live


# The parsed managedFields tokens (`f:name`, `k:{...}`, `v:...`, `i:3`): the same tokens recur
# in every object of a kind. Bounded: emptied when it grows past _TOKENS_KEPT.
_TOKENS: dict[str, tuple[str, Any]] = {}
_TOKENS_KEPT = 4096


def _token(token: str) -> tuple[str, Any]:
    parsed = _TOKENS.get(token)
    if parsed is not None:
        return parsed
    kind, _, value = token.partition(":")
    if kind in ("k", "v"):
        parsed = (kind, json.loads(value))
    elif kind == "i":
        parsed = (kind, int(value)) if value.isdigit() else ("?", value)
    else:
        parsed = (kind, value)
    if len(_TOKENS) >= _TOKENS_KEPT:
        _TOKENS.clear()
    _TOKENS[token] = parsed
    return parsed


def _matches_keys(item: object, keys: dict[str, Any]) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items())


def _owned_paths_exist(fields: dict[str, Any], desired: object) -> bool:
    """Every field in a managedFields `fieldsV1` set exists in `desired`."""
    for token, child in fields.items():
        if token == ".":
            continue
        kind, value = _token(token)
        target: object
        if kind == "f":
            if type(desired) is not dict:
                return False
            target = desired.get(value, _MISSING)
            if target is _MISSING:
                return False
        elif kind == "k":
            if type(desired) is not list:
                return False
            found = [item for item in desired if _matches_keys(item, value)]
            if len(found) != 1:
                return False
            target = found[0]
        elif kind == "v":
            if type(desired) is not list or value not in desired:
                return False
            continue
        elif kind == "i":
            if type(desired) is not list or value >= len(desired):
                return False
            target = desired[value]
        else:
            return False
        if child and type(child) is dict and not _owned_paths_exist(child, target):
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
            keys = _token(token)[1]
            targets = [i for i in desired if _matches_keys(i, keys)] if isinstance(
                desired, list) else []
        elif kind == "v":
            if isinstance(desired, list) and _token(token)[1] in desired:
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
