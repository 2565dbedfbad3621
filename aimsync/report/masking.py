"""Credentials never reach a diff, in any format (aimsync.core.secrets says what they are).

Masked: the literal value of every env entry (`env: [{name, value}]`) and of every mapping
entry of the profile file's `env_vars` (inside the profile ConfigMap's YAML text) whose name
looks like a credential's, and the userinfo of every URL in any string. A value is `***`
when both sides agree, `*** (before)` / `*** (after)` when it changed, so a reviewer sees that
it changed without seeing it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import yaml

from aimsync.core.secrets import MASK, is_secret_name, mask_userinfo

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
EMBEDDED_ENV_KEYS = ("env_vars",)  # the profile file (render/profile_configmap.py)

Slot = tuple[Any, Any]  # (container, key): container[key] is a credential's value
Path_ = tuple[object, ...]


def _slots(node: object, path: Path_ = ()) -> Iterator[tuple[Path_, Slot]]:
    """Every credential value below `node`, keyed by a path that is stable across sides."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                for entry in value:
                    if (
                        isinstance(entry, dict)
                        and isinstance(entry.get("name"), str)
                        and "value" in entry
                        and is_secret_name(entry["name"])
                    ):
                        yield (*path, key, entry["name"]), (entry, "value")
            elif key in EMBEDDED_ENV_KEYS and isinstance(value, dict):
                for name in value:
                    if isinstance(name, str) and is_secret_name(name):
                        yield (*path, key, name), (value, name)
            else:
                yield from _slots(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _slots(item, (*path, index))


def _unpack_embedded(manifest: dict[str, Any]) -> list[str]:
    """ConfigMap data holding a profile file, parsed in place (so its env is masked as data);
    returns the keys to write back as text."""
    data = manifest.get("data") if manifest.get("kind") == "ConfigMap" else None
    if not isinstance(data, dict):
        return []
    unpacked = []
    for key, text in data.items():
        if not isinstance(text, str) or not any(k in text for k in EMBEDDED_ENV_KEYS):
            continue
        try:
            document = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict):
            data[key] = document
            unpacked.append(key)
    return unpacked


def _repack_embedded(manifest: dict[str, Any], keys: list[str]) -> None:
    if not keys:
        return
    data = manifest["data"]
    for key in keys:
        data[key] = yaml.dump(data[key], Dumper=_Dumper, sort_keys=True,
                              default_flow_style=False)


def _mask_strings(node: object) -> object:
    if isinstance(node, str):
        return mask_userinfo(node)
    if isinstance(node, dict):
        return {key: _mask_strings(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_mask_strings(item) for item in node]
    return node


def mask_pair(
    before: dict[str, object] | None, after: dict[str, object] | None,
    *, embedded_as_data: bool = False,
) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """Copies of both manifests with credential values masked consistently; with
    `embedded_as_data` the profile file of a ConfigMap is left parsed (a diff compares it as
    data) instead of written back as text."""
    sides: list[dict[str, Any] | None] = [copy.deepcopy(before), copy.deepcopy(after)]
    embedded = [_unpack_embedded(side) if side is not None else [] for side in sides]
    old, new = (dict(_slots(side)) if side is not None else {} for side in sides)
    old_values = {path: container[key] for path, (container, key) in old.items()}
    for path, (container, key) in old.items():
        other = new.get(path)
        same = other is not None and other[0][other[1]] == container[key]
        container[key] = MASK if same else f"{MASK} (before)"
    for path, (container, key) in new.items():
        same = path in old_values and old_values[path] == container[key]
        container[key] = MASK if same else f"{MASK} (after)"
    for side, keys in zip(sides, embedded, strict=True):
        if side is not None and not embedded_as_data:
            _repack_embedded(side, keys)
    first, second = (_masked_strings(side) for side in sides)
    return first, second


def _masked_strings(manifest: dict[str, Any] | None) -> dict[str, object] | None:
    if manifest is None:
        return None
    masked = _mask_strings(manifest)
    assert isinstance(masked, dict)
    return masked


def mask(manifest: dict[str, object]) -> dict[str, object]:
    masked, _ = mask_pair(manifest, manifest)
    assert masked is not None
    return masked
