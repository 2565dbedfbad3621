"""`aimsync diff --base REF`: two Git revisions rendered and compared, no cluster."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aimsync.cli import cli
from tests.support import CLUSTER_PROFILE, service

ROOT = Path(__file__).resolve().parents[2]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, check=True, capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """repo-layout committed as the base revision of a fresh Git repository (without its
    policies/: what they do to a diff is tested in test_policy_budget.py)."""
    shutil.copytree(ROOT / "repo-layout", tmp_path / "repo-layout")
    shutil.rmtree(tmp_path / "repo-layout" / "policies")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path / "repo-layout"


def commit_change(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    path.write_text(path.read_text().replace(old, new))
    git(repo.parent, "commit", "-qam", "change")


def diff(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", str(repo), *args], catch_exceptions=False)


def test_no_change_exits_zero(repo: Path) -> None:
    result = diff(repo, "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("no changes")


def test_profile_switch_and_gpu_delta_in_markdown(repo: Path) -> None:
    commit_change(
        repo, "namespaces/ml-team/services/qwen-batch.yaml", "metric: throughput",
        "metric: latency",
    )
    result = diff(repo, "--base", "HEAD~1", "-o", "markdown")
    assert result.exit_code == 1
    out = result.stdout
    assert (
        "| ~ | `ml-team/qwen-batch` | profile.selector.metric `throughput` → `latency`; profile "
        "`qwen3-32b-fp8-mi300x-throughput` → `qwen3-32b-fp8-mi300x-latency` (" in out
    )
    assert "| `ml-team` | MI300X | 11 | 7 |" in out
    assert (
        "<details><summary><code>update</code> InferenceService "
        "<code>ml-team/qwen-batch-269e3ddf</code> · AIMService ml-team/qwen-batch</summary>" in out
    )
    assert out.count("```diff") == out.count("```\n\n</details>")  # every fence closed


def test_working_tree_is_the_default_head(repo: Path) -> None:
    path = repo / "namespaces/ml-team/services/qwen-chat.yaml"
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 4"))
    result = diff(repo, "--base", "HEAD")
    assert result.exit_code == 1
    assert "~ GPU demand MI300X: 11 -> 13" in result.stdout


def test_head_ref_compares_two_commits(repo: Path) -> None:
    commit_change(
        repo, "namespaces/ml-team/services/qwen-chat.yaml", "replicas: 2", "replicas: 1"
    )
    result = diff(repo, "--base", "HEAD~1", "--head", "HEAD", "-o", "json")
    assert result.exit_code == 1
    import json

    document = json.loads(result.stdout)
    updates = [c for c in document["changes"] if c["action"] == "update"]
    assert [c["name"] for c in updates] == ["qwen-chat-faa5534a"]
    assert {"op": "replace", "path": "/spec/predictor/minReplicas", "value": 1} in (
        updates[0]["patch"]
    )


def test_new_service_and_cache_are_summarised(repo: Path) -> None:
    (repo / "namespaces/research/profiles").mkdir(parents=True)
    (repo / "cluster/profiles/extra.yaml").write_text(
        CLUSTER_PROFILE.replace("name: qwen", "name: extra")
        .replace("hf://Qwen/Qwen3-32B-FP8", "hf://Other/Model")
    )
    (repo / "namespaces/research/services/new.yaml").write_text(
        service("profile: {name: extra}", name="new-svc")
    )
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-qm", "add")
    result = diff(repo, "--base", "HEAD~1")
    assert result.exit_code == 1
    assert "+ service research/new-svc" in result.stdout
    assert "+ cache research/hf---other-model" in result.stdout
    assert "~ GPU demand MI300X: 11 -> 12" in result.stdout


def test_unified_output_is_kubectl_diff_style(repo: Path) -> None:
    commit_change(
        repo, "namespaces/ml-team/services/qwen-chat.yaml", "replicas: 2", "replicas: 3"
    )
    out = diff(repo, "--base", "HEAD~1", "-o", "unified").stdout
    assert "--- a/InferenceService/ml-team/qwen-chat-faa5534a\n" in out
    assert "+++ b/InferenceService/ml-team/qwen-chat-faa5534a\n" in out
    expected = (
        "-    maxReplicas: 2\n-    minReplicas: 2\n+    maxReplicas: 3\n+    minReplicas: 3\n"
    )
    assert expected in out


def test_secret_values_are_masked(repo: Path) -> None:
    path = repo / "namespaces/ml-team/services/llama-assistant.yaml"
    path.write_text(path.read_text() + "    - name: API_TOKEN\n      value: hunter2\n")
    git(repo.parent, "commit", "-qam", "token")
    path.write_text(path.read_text().replace("hunter2", "correct-horse"))
    result = diff(repo, "--base", "HEAD", "-o", "unified")
    assert result.exit_code == 1
    assert "hunter2" not in result.stdout and "correct-horse" not in result.stdout
    assert "-        value: '*** (before)'" in result.stdout
    assert "+        value: '*** (after)'" in result.stdout


def test_invalid_base_exits_two(repo: Path) -> None:
    commit_change(repo, "namespaces/ml-team/services/qwen-chat.yaml", "replicas: 2",
                  "replicas: two")
    result = diff(repo, "--head", "HEAD", "--base", "HEAD~1")
    assert result.exit_code == 2
    assert "the repository at HEAD is invalid" in result.stderr
    assert "spec.replicas" in result.stderr


def test_unknown_ref_exits_two(repo: Path) -> None:
    result = diff(repo, "--base", "no-such-branch")
    assert result.exit_code == 2
    assert "'no-such-branch' does not name a commit" in result.stderr


def test_folder_missing_at_base_means_everything_is_new(repo: Path, tmp_path: Path) -> None:
    other = repo.parent / "second"
    shutil.copytree(repo, other)
    result = diff(other, "--base", "HEAD")
    assert result.exit_code == 1
    assert "0 to update, 0 to delete, 0 unchanged" in result.stdout


def test_base_requires_a_git_repository(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "repo-layout", tmp_path / "plain")
    result = diff(tmp_path / "plain", "--base", "HEAD")
    assert result.exit_code == 2
    assert "not inside a Git repository" in result.stderr


def test_export_attributes_of_a_commit_do_not_change_what_is_compared(repo: Path) -> None:
    """`git archive` would drop export-ignore files and rewrite export-subst ones: the base
    is read from the Git objects instead."""
    (repo.parent / ".gitattributes").write_text("repo-layout/namespaces/** export-ignore\n")
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-qm", "attributes")
    result = diff(repo, "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("no changes")


def test_a_base_commit_missing_from_a_shallow_clone_names_the_fix(
    repo: Path, tmp_path: Path
) -> None:
    commit_change(repo, "namespaces/ml-team/services/qwen-batch.yaml", "metric: throughput",
                  "metric: latency")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.parent}", str(shallow))
    result = diff(shallow / "repo-layout", "--base", "HEAD~1")
    assert result.exit_code == 2
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "@{-1}", "HEAD@{yesterday}", "no-such-ref",
                                 "HEAD~999", "\x1b[31m"])
def test_a_ref_that_names_no_commit_is_an_input_error(repo: Path, ref: str) -> None:
    result = diff(repo, "--base", ref)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.stderr


def test_a_committed_link_leaving_the_repository_is_refused(repo: Path) -> None:
    (repo / "namespaces/ml-team/services/leak.yaml").symlink_to("/etc/passwd")
    git(repo.parent, "add", "-A")
    git(repo.parent, "commit", "-qm", "a link")
    result = diff(repo, "--base", "HEAD")
    assert result.exit_code == 2
    assert "leak.yaml:1:1: error: symbolic link points outside the repository" in result.stderr
    assert "root:" not in result.output
