"""Status reports committed back to Git, against real repositories (a bare one as the remote)
and the real control plane."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from kubernetes import client

from aimsync.cli import cli
from tests.cluster import ClusterAccess
from tests.cluster import request as kube_request
from tests.integration.test_sync import (
    FACTS,
    isvcs,
    mark_inference_services_ready,
    names,
    repo,
    succeed_jobs,
)

pytestmark = pytest.mark.integration
TOKEN = "tok-3f9c2a77e1-do-not-print"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Human", "-c", "user.email=human@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def remote(tmp_path: Path, namespace: str) -> Path:
    """A bare repository holding the test's specs on branch main."""
    source = repo(tmp_path, namespace)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "specs")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    return bare


def remote_sync(access: ClusterAccess, bare: Path, *extra: str) -> Result:
    return CliRunner(env={"AIMSYNC_GIT_TOKEN": TOKEN}).invoke(
        cli,
        ["sync", "--repo", f"file://{bare}", "--branch", "main", "--commit-status", "--push",
         "--cluster-facts", FACTS, "--kubeconfig", str(access.kubeconfig), *extra],
        catch_exceptions=False,
    )


def remote_log(bare: Path) -> list[str]:
    return git(bare, "log", "--format=%an|%s", "main").splitlines()


def remote_file(bare: Path, path: str) -> str:
    return git(bare, "show", f"main:{path}")


def test_first_sync_commits_status_for_every_spec_and_pushes(
    control_plane: ClusterAccess, namespace: str, remote: Path
) -> None:
    result = remote_sync(control_plane, remote)
    assert result.exit_code == 0, result.output
    log = remote_log(remote)
    assert len(log) == 2
    author, subject = log[0].split("|")
    assert author == "aimsync" and "[skip ci]" in subject
    files = git(remote, "ls-tree", "-r", "--name-only", "main").split()
    assert f"status/namespaces/{namespace}/services/chat.yaml" in files
    assert "status/cluster/profiles/qwen.yaml" in files
    assert {"status/summary.yaml", "status/README.md"} <= set(files)
    changed = git(remote, "show", "--name-only", "--format=", "main").split()
    assert all(path.startswith("status/") for path in changed)


def test_a_second_run_without_change_makes_no_commit(
    control_plane: ClusterAccess, namespace: str, remote: Path
) -> None:
    remote_sync(control_plane, remote)
    before = remote_log(remote)
    again = remote_sync(control_plane, remote)
    assert again.exit_code == 0, again.output
    assert "no commit" in again.stdout
    assert remote_log(remote) == before


def test_a_human_commit_in_between_is_kept_and_the_status_rebased_on_it(
    control_plane: ClusterAccess, namespace: str, remote: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(work))
    human = tmp_path / "human"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(human))
    (human / "NOTES.md").write_text("a human was here\n")
    git(human, "add", "NOTES.md")
    git(human, "commit", "-qm", "human change")
    git(human, "push", "-q", "origin", "main")
    human_commit = git(human, "rev-parse", "HEAD").strip()
    result = CliRunner().invoke(
        cli,
        ["sync", str(work), "--commit-status", "--push", "--cluster-facts", FACTS,
         "--kubeconfig", str(control_plane.kubeconfig)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "pushed to main" in result.stdout
    log = git(remote, "log", "--format=%H|%an|%s", "main").splitlines()
    assert log[1] == f"{human_commit}|Human|human change"  # intact, below aimsync's commit
    assert log[0].split("|")[1] == "aimsync"
    assert remote_file(remote, "NOTES.md") == "a human was here\n"


def test_a_push_that_keeps_failing_exits_3_with_the_cluster_applied(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, remote: Path
) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'rejected by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = remote_sync(control_plane, remote)
    assert result.exit_code == 3
    assert "is committed locally, but pushing it to main failed 4 times" in result.stderr
    assert "rejected by policy" in result.stderr
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1  # the cluster is applied
    assert len(remote_log(remote)) == 1


def status_of(root: Path, relative: str) -> dict[str, object]:
    documents = list(yaml.safe_load_all((root / "status" / relative).read_text()))
    status = documents[0]["status"]
    assert isinstance(status, dict)
    return status


def write_status(access: ClusterAccess, root: Path, *extra: str) -> Result:
    result = CliRunner().invoke(
        cli, ["sync", str(root), "--write-status", "--kubeconfig", str(access.kubeconfig), *extra],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result


def conditions(status: dict[str, object]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in status["conditions"]}  # type: ignore[attr-defined, index]


def test_status_follows_the_live_states(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    svc = f"namespaces/{namespace}/services/chat.yaml"
    write_status(control_plane, root, "--cluster-facts", FACTS)
    running = status_of(root, svc)  # download Job running
    assert running["status"] == "Starting"
    assert conditions(running)["ProfileCacheReady"] == "Unknown"  # Progressing, as the operator
    assert conditions(running)["ProfileReady"] == "True"
    succeed_jobs(api_client, namespace)
    write_status(control_plane, root, "--cluster-facts", FACTS)
    created = status_of(root, svc)  # Job succeeded, InferenceService created, not Ready
    assert conditions(created)["ProfileCacheReady"] == "True"
    assert conditions(created)["InferenceServiceReady"] == "Unknown"
    assert created["status"] == "Starting"
    first_ready_time = {c["type"]: c["lastTransitionTime"] for c in created["conditions"]}
    mark_inference_services_ready(api_client, namespace)
    write_status(control_plane, root, "--cluster-facts", FACTS)
    ready = status_of(root, svc)
    assert ready["status"] == "Running"
    assert conditions(ready)["Ready"] == "True"
    assert ready["runtime"]["replicas"] == "1/1"  # type: ignore[index]
    unchanged = {c["type"]: c["lastTransitionTime"] for c in ready["conditions"]}
    assert unchanged["ProfileReady"] == first_ready_time["ProfileReady"]
    profile = status_of(root, "cluster/profiles/qwen.yaml")
    assert profile["status"] == "Ready" and profile["matchingNodes"] == 2


def test_a_failed_download_fails_the_service(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    write_status(control_plane, root, "--cluster-facts", FACTS)
    (job,) = names(api_client, namespace, "jobs", "batch/v1")
    moment = "2026-11-27T00:00:00Z"
    kube_request(
        api_client, "PATCH", f"/apis/batch/v1/namespaces/{namespace}/jobs/{job}/status",
        body={"status": {"startTime": moment, "failed": 3, "conditions": [
            {"type": "FailureTarget", "status": "True", "lastTransitionTime": moment},
            {"type": "Failed", "status": "True", "lastTransitionTime": moment}]}},
        content_type="application/merge-patch+json",
    )
    write_status(control_plane, root, "--cluster-facts", FACTS)
    status = status_of(root, f"namespaces/{namespace}/services/chat.yaml")
    assert status["status"] == "Failed"
    assert conditions(status)["ProfileCacheReady"] == "False"


def test_no_matching_node_makes_the_profile_not_available_and_the_service_pending(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    empty = tmp_path / "no-nodes.yaml"
    empty.write_text("apiVersion: v1\nkind: List\nitems: []\n")
    write_status(control_plane, root, "--cluster-facts", str(empty))
    profile = status_of(root, "cluster/profiles/qwen.yaml")
    assert profile["status"] == "NotAvailable" and profile["matchingNodes"] == 0
    service_status = status_of(root, f"namespaces/{namespace}/services/chat.yaml")
    assert service_status["status"] == "Pending"
    assert conditions(service_status)["ProfileReady"] == "False"
    assert isvcs(api_client, namespace) == []


def test_status_of_a_removed_spec_is_removed(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    spec = f"profile: {{name: qwen-{namespace}}}"
    root = repo(tmp_path, namespace, {"chat": spec, "batch": spec})
    write_status(control_plane, root, "--cluster-facts", FACTS)
    gone = root / f"status/namespaces/{namespace}/services/batch.yaml"
    assert gone.exists()
    (root / f"namespaces/{namespace}/services/batch.yaml").unlink()
    write_status(control_plane, root, "--cluster-facts", FACTS)
    assert not gone.exists()


def test_the_token_never_appears_anywhere(
    control_plane: ClusterAccess, namespace: str, remote: Path, tmp_path: Path
) -> None:
    outputs = [remote_sync(control_plane, remote) for _ in range(2)]
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    outputs.append(remote_sync(control_plane, remote, "--prune"))
    for result in outputs:
        assert TOKEN not in result.stdout and TOKEN not in result.stderr
    history = git(remote, "log", "-p", "--all", "--format=%H %an %s%n%b")
    assert TOKEN not in history
    for path in remote.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("aimsync-remote-*")]
    assert leftovers == []  # the clone is removed


def test_aimsync_status_prints_the_committed_reports(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path
) -> None:
    root = repo(tmp_path, namespace)
    write_status(control_plane, root, "--cluster-facts", FACTS)
    result = CliRunner().invoke(cli, ["status", str(root)], catch_exceptions=False)
    assert result.exit_code == 0
    rows = [line.split()[:4] for line in result.stdout.splitlines()]
    assert ["AIMService", namespace, "chat", "Starting"] in rows
    assert "Last run: Succeeded" in result.stdout
    as_json = CliRunner().invoke(cli, ["status", str(root), "-o", "json"])
    reports = json.loads(as_json.stdout)
    (chat,) = [d for d in reports["items"] if d["kind"] == "AIMService"]
    assert (chat["metadata"]["name"], chat["status"]["status"]) == ("chat", "Starting")
    assert reports["summary"]["lastRun"]["result"] == "Succeeded"


def test_a_detached_head_needs_the_branch_name(
    control_plane: ClusterAccess, namespace: str, remote: Path, tmp_path: Path
) -> None:
    checkout = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{remote}", str(checkout))
    git(checkout, "checkout", "-q", "--detach")

    def push(*extra: str) -> Result:
        return CliRunner().invoke(
            cli,
            ["sync", str(checkout), "--commit-status", "--push", "--cluster-facts", FACTS,
             "--kubeconfig", str(control_plane.kubeconfig), *extra],
            catch_exceptions=False,
        )

    refused = push()
    assert refused.exit_code == 2
    assert "HEAD is detached (a CI checkout?): pass --branch NAME" in refused.stderr
    pushed = push("--branch", "main")
    assert pushed.exit_code == 0, pushed.output
    assert remote_log(remote)[0].startswith("aimsync|")
