"""The status commit is aimsync's own, whatever git configuration the machine has (none, here:
an empty HOME and no global or system config, as in the CronJob's container)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aimsync.commit.git_ops import GitContext, GitIdentity, commit_status, push_status

AIMSYNC = GitIdentity("aimsync-bot", "aimsync-bot@example.com")


def git(cwd: Path, *args: str) -> str:
    """The test's own git commands, as a person with an identity would run them."""
    return subprocess.run(
        ["git", "-c", "user.name=Human", "-c", "user.email=human@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture(autouse=True)
def machine_without_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                     "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)


def clone_of_a_remote(tmp_path: Path) -> tuple[Path, Path]:
    """(bare remote with one commit on main, a working clone of it)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "spec.yaml").write_text("kind: AIMService\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "specs")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(work))
    return remote, work


def identities(repo: Path, ref: str) -> str:
    return git(repo, "log", "-1", "--format=%an <%ae> / %cn <%ce>", ref).strip()


def test_the_status_commit_is_authored_and_committed_by_aimsync(tmp_path: Path) -> None:
    _, work = clone_of_a_remote(tmp_path)
    (work / "status").mkdir()
    (work / "status" / "summary.yaml").write_text("revision: x\n")
    context = GitContext.open(work, AIMSYNC)
    assert context is not None
    assert commit_status(context, "0123456789abcdef") is not None
    expected = "aimsync-bot <aimsync-bot@example.com> / aimsync-bot <aimsync-bot@example.com>"
    assert identities(work, "HEAD") == expected


def test_the_rebased_status_commit_keeps_aimsyncs_identity(tmp_path: Path) -> None:
    remote, work = clone_of_a_remote(tmp_path)
    human = tmp_path / "human"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(human))
    (human / "NOTES.md").write_text("a human was here\n")
    git(human, "add", "NOTES.md")
    git(human, "commit", "-qm", "human change")
    git(human, "push", "-q", "origin", "main")
    (work / "status").mkdir()
    (work / "status" / "summary.yaml").write_text("revision: x\n")
    context = GitContext.open(work, AIMSYNC)
    assert context is not None
    commit_status(context, "0123456789abcdef")
    push_status(context, "main", sleep=lambda _seconds: None)
    subjects = git(remote, "log", "--format=%s", "main").splitlines()
    assert subjects[:2] == ["aimsync: status for 0123456789ab [skip ci]", "human change"]
    expected = "aimsync-bot <aimsync-bot@example.com> / aimsync-bot <aimsync-bot@example.com>"
    assert identities(remote, "main") == expected
