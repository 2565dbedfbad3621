"""Fixtures for integration tests against a real kube-apiserver.

By default a control plane (kube-apiserver + embedded etcd, tests/cluster) is built if needed,
started once per session with the pinned CRDs installed, and stopped at the end.
``AIMSYNC_TEST_KUBECONFIG=/path/to/kubeconfig`` uses that existing cluster instead (only missing
CRDs are installed; nothing is built or started).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from aimsync.kube.client import KubeClient
from tests.cluster import (
    BuildError,
    ClusterAccess,
    KubeApiError,
    connect_existing,
    ensure_built,
    local_cluster,
    new_api_client,
)
from tests.cluster import request as kube_request

EXTERNAL_KUBECONFIG_ENV = "AIMSYNC_TEST_KUBECONFIG"
TEST_NAMESPACE_LABEL = "aimsync.test/ephemeral"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the control plane binaries before any test runs.

    A cold build takes about 6-9 minutes on 2 cores; done here it is not charged to the first
    test's pytest-timeout budget. The ``control_plane`` fixture then finds the binaries cached.
    """
    if session.config.option.collectonly or os.environ.get(EXTERNAL_KUBECONFIG_ENV):
        return
    if any("control_plane" in getattr(item, "fixturenames", ()) for item in session.items):
        with contextlib.suppress(BuildError):  # reported by the control_plane fixture instead
            ensure_built()


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterAccess]:
    """The cluster under test: ``.kubeconfig``, ``.unprivileged_kubeconfig``, ``.kubectl``."""
    external = os.environ.get(EXTERNAL_KUBECONFIG_ENV)
    if external:
        yield connect_existing(
            Path(external).expanduser(), tmp_path_factory.mktemp("external-cluster")
        )
        return
    with local_cluster() as access:
        yield access


@pytest.fixture(scope="session")
def api_client(control_plane: ClusterAccess) -> Iterator[client.ApiClient]:
    """An admin ``kubernetes.client.ApiClient`` for the cluster under test."""
    with new_api_client(control_plane.kubeconfig) as api:
        yield api


@pytest.fixture(scope="session")
def unprivileged_api_client(control_plane: ClusterAccess) -> Iterator[client.ApiClient]:
    """An ``ApiClient`` for an authenticated identity without any RBAC grants."""
    with new_api_client(control_plane.unprivileged_kubeconfig) as api:
        yield api


@pytest.fixture
def kube(control_plane: ClusterAccess) -> Iterator[KubeClient]:
    """aimsync's own client of the cluster under test, as a run connects it."""
    connected = KubeClient.connect(control_plane.kubeconfig)
    try:
        yield connected
    finally:
        connected.close()


def _namespace_name(test_name: str) -> str:
    # Short enough for AIMService names to fit (KServe: namespaces of at most 42 characters).
    stem = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")[:28].rstrip("-")
    return f"t-{stem}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(api_client: client.ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, uniquely named namespace for one test.

    Deletion is requested afterwards but not awaited: without kube-controller-manager the
    namespace stays Terminating forever.
    """
    name = _namespace_name(request.node.name)
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {TEST_NAMESPACE_LABEL: "true"}},
    }
    kube_request(api_client, "POST", "/api/v1/namespaces", body=body)
    yield name
    try:
        kube_request(api_client, "DELETE", f"/api/v1/namespaces/{name}")
    except KubeApiError as exc:
        if exc.status != 404:
            raise
