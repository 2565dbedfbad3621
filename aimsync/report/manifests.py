"""Desired objects as manifests `kubectl apply --server-side -f -` accepts: YAML or JSON."""

from __future__ import annotations

import json

from aimsync.core.objects import DesiredObject
from aimsync.report.fast_yaml import block_yaml, to_yaml

__all__ = ["manifests_json", "manifests_yaml", "to_yaml"]

def manifests_yaml(objects: list[DesiredObject]) -> str:
    return "".join(f"---\n{block_yaml(o.manifest)}" for o in objects)


def manifests_json(objects: list[DesiredObject]) -> str:
    listing = {"apiVersion": "v1", "kind": "List", "items": [o.manifest for o in objects]}
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"
