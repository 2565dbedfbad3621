"""Server-side apply (field manager `aimsync`), for real or as a dry run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aimsync.kube.client import KubeClient
from aimsync.kube.resources import object_path
from aimsync.render.objects import ObjectKey

APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class ApplyResult:
    obj: dict[str, Any]
    created: bool  # the API answered 201


def server_side_apply(
    kube: KubeClient,
    key: ObjectKey,
    manifest: dict[str, object],
    *,
    field_manager: str,
    force: bool = False,
    dry_run: bool = False,
) -> ApplyResult:
    query = [
        ("fieldManager", field_manager),
        ("fieldValidation", "Strict"),
        ("force", "true" if force else "false"),
    ]
    if dry_run:
        query.append(("dryRun", "All"))
    status, obj = kube.request_with_status(
        "PATCH", object_path(key), query=query, body=manifest, content_type=APPLY_PATCH
    )
    return ApplyResult(obj, created=status == 201)
