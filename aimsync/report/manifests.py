"""Desired objects as manifests `kubectl apply --server-side -f -` accepts: YAML or JSON."""

from __future__ import annotations

from collections.abc import Iterator

from aimsync.core.objects import DesiredObject
from aimsync.report.fast_yaml import to_yaml, yaml_stream
from aimsync.report.json_text import indented_json

__all__ = ["manifests_json", "manifests_yaml", "manifests_yaml_pieces", "to_yaml"]


def manifests_yaml_pieces(objects: list[DesiredObject]) -> Iterator[str]:
    """`manifests_yaml`, piece by piece: written as it comes, the output of thousands of
    objects is never held whole."""
    return yaml_stream(objects)


def manifests_yaml(objects: list[DesiredObject]) -> str:
    return "".join(yaml_stream(objects))


def manifests_json(objects: list[DesiredObject]) -> str:
    listing = {"apiVersion": "v1", "kind": "List", "items": [o.manifest for o in objects]}
    return indented_json(listing) + "\n"
