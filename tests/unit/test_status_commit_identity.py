"""The status commit is aimsync's own, whatever git configuration the machine has (none, here:
an empty HOME and no global or system config, as in the CronJob's container)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimsync.commit.git_ops import GitContext, GitIdentity, commit_status, push_status
from tests.git_support import (
    clone_of_a_remote,
    git,
    human_pushes,
)

AIMSYNC = GitIdentity("aimsync-bot", "aimsync-bot@example.com")


pytestmark = pytest.mark.usefixtures("machine_without_git_config")


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
    human_pushes(remote, tmp_path)
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
