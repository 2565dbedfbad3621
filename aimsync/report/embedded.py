"""YAML inside a ConfigMap (the profile file) compared as data, not as one string.

A ConfigMap's `data` values are strings; the profile ConfigMap holds a YAML document. Diffed
as a string, a change of one field replaces one long block of text; parsed, the diff names
the field (`metadata.precision: fp8 -> bf16`). A data key renamed together with its content
(the key of the profile file carries the precision) is one move plus the changes inside.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parsed(text: str) -> dict[str, Any] | None:
    if "\n" not in text.strip():
        return None
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    return document if isinstance(document, dict) else None


def as_data(manifest: dict[str, object] | None) -> dict[str, object] | None:
    """A copy of the manifest with every YAML mapping in a ConfigMap's data parsed."""
    if manifest is None or manifest.get("kind") != "ConfigMap":
        return manifest
    data = manifest.get("data")
    if not isinstance(data, dict):
        return manifest
    parsed = {k: _parsed(v) if isinstance(v, str) else None for k, v in data.items()}
    if not any(v is not None for v in parsed.values()):
        return manifest
    out = dict(manifest)
    out["data"] = {k: parsed[k] if parsed[k] is not None else v for k, v in data.items()}
    return out


def _embedded_keys(manifest: dict[str, object]) -> set[str]:
    data = manifest.get("data")
    if manifest.get("kind") != "ConfigMap" or not isinstance(data, dict):
        return set()
    return {k for k, v in data.items() if isinstance(v, dict)}


def _pointer(key: str) -> str:
    return "/data/" + key.replace("~", "~0").replace("/", "~1")


def data_patch(
    before: dict[str, object], after: dict[str, object]
) -> list[dict[str, object]]:
    """RFC 6902 from `before` to `after` (both `as_data`): a data document whose key alone
    was renamed is moved, then patched inside."""
    old, new = _embedded_keys(before), _embedded_keys(after)
    gone, added = sorted(old - new), sorted(new - old)
    if len(gone) == 1 and len(added) == 1:
        moved = copy.deepcopy(before)
        data = moved["data"]
        assert isinstance(data, dict)
        data[added[0]] = data.pop(gone[0])
        head: list[dict[str, object]] = [
            {"op": "move", "from": _pointer(gone[0]), "path": _pointer(added[0])}
        ]
        return head + list(jsonpatch.make_patch(moved, after).patch)
    return list(jsonpatch.make_patch(before, after).patch)
