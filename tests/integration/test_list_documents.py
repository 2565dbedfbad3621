"""A repository made from a cluster's export (`kubectl get ... -o yaml`: `kind: List`; the
API's typed AIM*List) syncs like one written as separate files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes import client

from aimsync.core.naming import inference_service_name
from tests.cluster import ClusterAccess
from tests.integration.test_sync import (
    PROFILE,
    isvcs,
    names,
    settings,
    succeed_jobs,
    sync,
    sync_report,
)
from tests.support import service, write_repo

pytestmark = pytest.mark.integration


def exported_repo(tmp_path: Path, namespace: str) -> Path:
    profile = yaml.safe_load(PROFILE.format(ns=namespace))
    typed_profiles = {
        "apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMClusterProfileList",
        "metadata": {"resourceVersion": "812"},
        "items": [{k: v for k, v in profile.items() if k not in ("apiVersion", "kind")}],
    }
    services = {
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [
            yaml.safe_load(service(f"profile: {{name: qwen-{namespace}}}", name=name))
            for name in ("chat", "batch")
        ],
    }
    return write_repo(tmp_path / "repo", {
        "aimsync.yaml": settings(namespace),
        "cluster/profiles/export.yaml": yaml.safe_dump(typed_profiles),
        f"namespaces/{namespace}/services/export.yaml": yaml.safe_dump(services),
    })


def test_list_documents_sync_like_separate_files(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = exported_repo(tmp_path, namespace)
    assert sync(control_plane, root).exit_code == 0
    succeed_jobs(api_client, namespace)

    assert sync(control_plane, root).exit_code == 0

    assert isvcs(api_client, namespace) == sorted(
        inference_service_name(name, namespace) for name in ("chat", "batch")
    )
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1  # one shared cache
    again = sync_report(control_plane, root)
    assert again["exitCode"] == 0, again
    assert {c["op"] for c in again["changes"]} == {"unchanged"}, again["changes"]
