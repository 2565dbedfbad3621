"""Branch names and remote URLs come from people who can open pull requests: they never
reach git as options, and a URL's credentials never reach a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli
from aimsync.commit.git_ops import GitContext, GitError, GitIdentity, push_status
from aimsync.commit.refs import InvalidBranch, InvalidRemote, checked_branch, checked_remote
from tests.git_support import git

HOSTILE = "--upload-pack=touch {marker}"


pytestmark = pytest.mark.usefixtures("machine_without_git_config")


@pytest.fixture(autouse=True)
def no_ci_branch(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("name", [
    "--upload-pack=x", "-b", "", "a..b", "a b", "x.lock", "a/.hidden", "@", "a@{1}", "a~1",
    "a^", "a:b", "a?", "a*", "a[", "a\\b", "/a", "a/", "a.", "a//b", "tab\there", "x" * 256,
])
def test_a_branch_git_would_refuse_or_read_as_an_option_is_refused(name: str) -> None:
    with pytest.raises(InvalidBranch):
        checked_branch(name)


@pytest.mark.parametrize("name", ["main", "release/1.2", "feature/x-y_z", "v1.0", "a@b"])
def test_an_ordinary_branch_name_is_accepted(name: str) -> None:
    assert checked_branch(name) == name


@pytest.mark.parametrize("url", [
    "--upload-pack=touch /tmp/x", "-q", "ext::sh -c touch% /tmp/x", "fd::17",
    "ftp://example.com/r.git", "git://example.com/r.git", "http://example.com/r.git",
    "https://[::1", "https://example.com:port/r.git", "relative/path", "https:///r.git",
])
def test_a_remote_aimsync_does_not_support_is_refused(url: str) -> None:
    with pytest.raises(InvalidRemote):
        checked_remote(url)


@pytest.mark.parametrize("url", [
    "https://user:secret-pw@example.com/r.git", "https://tok-123@example.com/r.git",
    "ssh://user:secret-pw@example.com/r.git", "user:secret-pw@example.com:r.git",
])
def test_credentials_in_a_url_are_refused_without_being_shown(url: str) -> None:
    with pytest.raises(InvalidRemote) as refused:
        checked_remote(url)
    assert "secret-pw" not in str(refused.value) and "tok-123" not in str(refused.value)
    assert "credentials" in str(refused.value)


@pytest.mark.parametrize("url", [
    "https://example.com/org/r.git", "ssh://git@example.com/org/r.git",
    "git@example.com:org/r.git", "file:///srv/r.git", "http://127.0.0.1:8080/r.git",
])
def test_supported_remotes_are_accepted(url: str) -> None:
    assert checked_remote(url).url == url


def test_a_hostile_repo_url_never_reaches_git(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = CliRunner().invoke(
        cli, ["sync", "--repo", HOSTILE.format(marker=marker), "--branch", "main"]
    )
    assert result.exit_code == 2, result.output
    assert "is not a repository URL" in result.stderr
    assert not marker.exists()


def test_a_hostile_branch_never_reaches_git(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    result = CliRunner().invoke(
        cli, ["sync", "--repo", f"file://{bare}", "--branch", HOSTILE.format(marker=marker)]
    )
    assert result.exit_code == 2, result.output
    assert "is not a branch name git accepts" in result.stderr
    assert not marker.exists()


def test_a_hostile_branch_from_the_ci_environment_is_refused_before_any_cluster_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    git(checkout, "commit", "-q", "--allow-empty", "-m", "empty")
    git(checkout, "checkout", "-q", "--detach")
    monkeypatch.setenv("GITHUB_HEAD_REF", HOSTILE.format(marker=marker))
    result = CliRunner().invoke(
        cli, ["sync", str(checkout), "--commit-status", "--push",
              "--kubeconfig", str(tmp_path / "no-such-kubeconfig")]
    )
    assert result.exit_code == 2, result.output
    assert "GITHUB_HEAD_REF" in result.stderr and "starts with '-'" in result.stderr
    assert not marker.exists()


def test_push_passes_the_branch_after_the_options_end(tmp_path: Path) -> None:
    """Defence in depth: even unchecked, a branch never becomes an option of fetch or push."""
    marker = tmp_path / "marker"
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "commit", "-q", "--allow-empty", "-m", "specs")
    context = GitContext.open(work, GitIdentity("aimsync", "aimsync@localhost"))
    assert context is not None
    with pytest.raises(GitError):
        push_status(context, HOSTILE.format(marker=marker), attempts=2, sleep=lambda _: None)
    assert not marker.exists()


def test_a_token_in_the_path_of_a_url_is_masked_when_the_clone_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "tok-in-path-5a5a5a"
    monkeypatch.setenv("AIMSYNC_GIT_TOKEN", token)
    result = CliRunner().invoke(
        cli, ["sync", "--repo", f"file://{tmp_path}/{token}/missing.git", "--branch", "main"]
    )
    assert result.exit_code == 3
    assert "cannot clone" in result.stderr and token not in result.output
