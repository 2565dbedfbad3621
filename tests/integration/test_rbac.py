"""aimsync runs with the least privilege of deploy/base/rbac.yaml, and nothing less suffices.

The roles are bound to a User here (tests/integration/test_deploy.py runs the CronJob as its
ServiceAccount with the whole kustomization). The test's aimsync.yaml keeps the lock and the
inventory in the test's namespace, so the Role the base grants in aimsync-system is granted
there.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from kubernetes import client

from aimsync.cli import cli
from tests.cluster import ClusterAccess
from tests.cluster import request as kube_request
from tests.integration.test_sync import names, repo
from tests.support import document

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
RBAC = "/apis/rbac.authorization.k8s.io/v1"
RBAC_FILE = ROOT / "deploy/base/rbac.yaml"


def identity(unprivileged: client.ApiClient) -> str:
    review = kube_request(
        unprivileged, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    return str(review["status"]["userInfo"]["username"])


def install_roles(api: client.ApiClient, suffix: str, namespace: str) -> dict[str, str]:
    """The ClusterRoles of deploy/base/rbac.yaml under test-unique names, and its Role (the
    Lease and the inventory, by name) in `namespace`; the bindings are the test's."""
    renamed = {}
    for role in yaml.safe_load_all(RBAC_FILE.read_text()):
        if role["kind"] == "ClusterRole":
            name = f"{role['metadata']['name']}-{suffix}"
            renamed[role["metadata"]["name"]] = name
            role["metadata"]["name"] = name
            kube_request(api, "POST", f"{RBAC}/clusterroles", body=role)
        elif role["kind"] == "Role":
            renamed[role["metadata"]["name"]] = role["metadata"]["name"]
            role["metadata"]["namespace"] = namespace
            kube_request(api, "POST", f"{RBAC}/namespaces/{namespace}/roles", body=role)
    return renamed


def bind(api: client.ApiClient, user: str, roles: dict[str, str], namespace: str) -> None:
    subject = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}]
    for kind, role in (("ClusterRole", "aimsync"), ("Role", "aimsync-run")):
        kube_request(api, "POST", f"{RBAC}/namespaces/{namespace}/rolebindings", body={
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": role, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind,
                        "name": roles[role]},
            "subjects": subject,
        })
    kube_request(api, "POST", f"{RBAC}/clusterrolebindings", body={
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{roles['aimsync-cluster-read']}-{namespace}"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": roles["aimsync-cluster-read"]},
        "subjects": subject,
    })


def run_as(access: ClusterAccess, root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["sync", str(root), "--kubeconfig", str(access.unprivileged_kubeconfig)],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_sync_works_with_the_documented_role(
    control_plane: ClusterAccess,
    api_client: client.ApiClient,
    unprivileged_api_client: client.ApiClient,
    namespace: str,
    tmp_path: Path,
) -> None:
    root = repo(tmp_path, namespace)
    # The cluster's nodes are read (no --cluster-facts); whatever they are, a cache spec
    # gives the run objects to apply.
    (root / f"namespaces/{namespace}/caches").mkdir(parents=True)
    (root / f"namespaces/{namespace}/caches/warm.yaml").write_text(document(
        "AIMProfileCache", "warm", f"profileName: qwen-{namespace}\nprofileScope: Cluster"
    ))
    refused, output = run_as(control_plane, root)
    assert refused == 3 and "Forbidden" in output
    roles = install_roles(api_client, secrets.token_hex(3), namespace)
    bind(api_client, identity(unprivileged_api_client), roles, namespace)
    code, output = run_as(control_plane, root)
    assert code == 0, output
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1
    again, output = run_as(control_plane, root)
    assert again == 0, output
