"""Every rendered object is accepted by the real control plane (issue: render fidelity).

Server-side dry-run apply with strict field validation against the real KServe, Gateway API
and core schemas: zero schema rejections for repo-layout and for a generated repository.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from kubernetes import client

from aimsync.core.objects import DesiredObject
from aimsync.pipeline import facts_from_file, render_repository
from tests.cluster import KubeApiError
from tests.cluster import request as kube_request

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PLURALS = {
    "ConfigMap": "configmaps",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Job": "jobs",
    "InferenceService": "inferenceservices",
    "HTTPRoute": "httproutes",
    "ScaledObject": "scaledobjects",
}


def _path(obj: DesiredObject, namespace: str) -> str:
    api = obj.key.api_version
    base = "/api/v1" if api == "v1" else f"/apis/{api}"
    return f"{base}/namespaces/{namespace}/{PLURALS[obj.key.kind]}/{obj.key.name}"


def _dry_run_apply(api_client: client.ApiClient, obj: DesiredObject, namespace: str) -> None:
    manifest = dict(obj.manifest)
    manifest["metadata"] = {**obj.manifest["metadata"], "namespace": namespace}  # type: ignore[dict-item]
    kube_request(
        api_client,
        "PATCH",
        _path(obj, namespace),
        query=[
            ("fieldManager", "aimsync"),
            ("dryRun", "All"),
            ("fieldValidation", "Strict"),
            ("force", "true"),
        ],
        body=manifest,
        content_type="application/apply-patch+yaml",
    )


def _rejections(
    api_client: client.ApiClient, objects: Sequence[DesiredObject], namespace: str
) -> list[str]:
    problems = []
    for obj in objects:
        try:
            _dry_run_apply(api_client, obj, namespace)
        except KubeApiError as exc:
            problems.append(f"{obj.key}: HTTP {exc.status}: {exc.message}")
    return problems


def test_repo_layout_objects_are_accepted(api_client: client.ApiClient, namespace: str) -> None:
    facts = facts_from_file(ROOT / "tests/fixtures/nodes.yaml")
    objects = render_repository(ROOT / "repo-layout", facts=facts).desired.objects
    assert {o.key.kind for o in objects} == set(PLURALS)
    assert _rejections(api_client, objects, namespace) == []


def test_generated_repository_of_200_services_is_accepted(
    api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate  # the benchmark generator: 200 services, 60 profiles

    generate(tmp_path, 200, 60)
    objects = render_repository(tmp_path).desired.objects
    assert sum(o.key.kind == "InferenceService" for o in objects) == 200
    assert _rejections(api_client, objects, namespace) == []
