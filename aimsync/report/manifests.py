"""Desired objects as manifests `kubectl apply --server-side -f -` accepts: YAML or JSON."""

from __future__ import annotations

import json
from enum import StrEnum

import yaml

from aimsync.core.objects import DesiredObject

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: faster


class _ManifestDumper(_Base):  # type: ignore[valid-type,misc]
    """Block style for multi-line strings (the profile YAML in ConfigMaps stays readable)."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    text = str(value)  # typed values (StrEnum) are written as the strings they are
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(str, _str_representer)
_ManifestDumper.add_multi_representer(StrEnum, _str_representer)


def to_yaml(manifest: object, *, sort_keys: bool = False) -> str:
    return yaml.dump(
        manifest,
        Dumper=_ManifestDumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
    )


def manifests_yaml(objects: list[DesiredObject]) -> str:
    return "".join(f"---\n{to_yaml(o.manifest)}" for o in objects)


def manifests_json(objects: list[DesiredObject]) -> str:
    listing = {"apiVersion": "v1", "kind": "List", "items": [o.manifest for o in objects]}
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"
