"""Publishing status (DESIGN.md §5): the files under status/, and their commit and push.

Git is real (a temporary repository, a bare remote); the machine's git configuration is not
used (an empty HOME, no global or system config), as in the CronJob's container.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from aimsync.commit.git_ops import GitContext, GitIdentity
from aimsync.commit.publish import (
    RunSummary,
    owned_status_file,
    publish_status,
    status_files,
)
from aimsync.core.live import LiveObjects
from aimsync.core.results import PublishResult, PublishStep
from aimsync.load.status_tree import README_PATH, SUMMARY_PATH, StatusTree, read_status_tree
from aimsync.observe.observe import StatusReport, observe
from aimsync.pipeline import Derived, render_repository
from aimsync.settings import Settings
from tests.git_support import clone_of_a_remote as clone_of
from tests.git_support import git, human_pushes
from tests.support import CLUSTER_PROFILE, document, service, write_repo

AIMSYNC = GitIdentity("aimsync-bot", "aimsync-bot@example.com")
QWEN = "cluster/profiles/qwen.yaml"
CHAT = "namespaces/team/services/chat.yaml"
OLD = "namespaces/team/services/old.yaml"
WARM = "namespaces/team/caches/warm.yaml"
FIRST_RUN = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
SECOND_RUN = dt.datetime(2026, 1, 1, 12, 10, tzinfo=dt.UTC)
SPECS: dict[str, str | bytes] = {
    QWEN: CLUSTER_PROFILE,
    CHAT: service("profile: {name: qwen}"),
}


pytestmark = pytest.mark.usefixtures("machine_without_git_config")


def committed_repo(root: Path, files: dict[str, str | bytes] = SPECS) -> Path:
    """A Git repository (branch main) whose one commit holds the specs."""
    write_repo(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "specs")
    return root


def reports(derived: Derived, now: dt.datetime = FIRST_RUN) -> list[StatusReport]:
    """The statuses of a run that found nothing in the cluster (nothing applied yet)."""
    tree = derived.validated.loaded.status
    return observe(
        derived.specs, derived.resolved, derived.desired, LiveObjects({}), tree.statuses(),
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def run(started: dt.datetime = FIRST_RUN) -> RunSummary:
    return RunSummary(started, 1.5, succeeded=True, counts={"unchanged": 3})


def publish(
    root: Path,
    started: dt.datetime = FIRST_RUN,
    *,
    commit: bool = False,
    push_branch: str | None = None,
) -> PublishResult:
    """One run's publish step, as the pipeline does it: status/ as the run read it, the
    reports observed, the settings of the repository."""
    derived = render_repository(root)
    context = GitContext.open(root, AIMSYNC) if commit else None
    return publish_status(
        root, derived.validated.loaded.status, reports(derived, started), run(started),
        derived.specs.settings, git=context, commit=commit, push_branch=push_branch,
        sleep=lambda _seconds: None,  # no backoff between push attempts
    )


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def status_doc(name: str, namespace: str) -> str:
    return yaml.safe_dump({
        "apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMService",
        "metadata": {"name": name, "namespace": namespace}, "status": {"status": "Running"},
    })


# -- the files -------------------------------------------------------------------------------


def test_a_first_run_gives_a_status_file_per_spec_file_a_readme_and_a_summary(
    tmp_path: Path,
) -> None:
    files: dict[str, str | bytes] = {
        QWEN: CLUSTER_PROFILE,
        CHAT: service("profile: {name: qwen}") + "---\n" + service(
            "profile: {name: qwen}", name="batch"
        ),
        WARM: document("AIMProfileCache", "warm", "profileName: qwen\nprofileScope: Cluster"),
    }
    write_repo(tmp_path, files)
    derived = render_repository(tmp_path)
    written = status_files(reports(derived), StatusTree(), run(), "abc", Settings())
    assert set(written) == {
        f"status/{QWEN}", f"status/{CHAT}", f"status/{WARM}", README_PATH, SUMMARY_PATH,
    }
    chat_docs = list(yaml.safe_load_all(written[f"status/{CHAT}"]))
    assert [(d["kind"], d["metadata"]["name"]) for d in chat_docs] == [
        ("AIMService", "chat"), ("AIMService", "batch"),  # in the order of the spec file
    ]
    summary = yaml.safe_load(written[SUMMARY_PATH])
    assert summary["revision"] == "abc"
    assert summary["lastRun"]["startedAt"] == "2026-01-01T12:00:00Z"


def test_a_second_run_with_the_same_state_changes_no_file_and_makes_no_commit(
    tmp_path: Path,
) -> None:
    root = committed_repo(tmp_path / "repo")
    first = publish(root, FIRST_RUN, commit=True)
    assert first.ok and first.commit == head(root)
    assert SUMMARY_PATH in first.changed_files
    before = read_status_tree(root).files
    second = publish(root, SECOND_RUN, commit=True)  # ten minutes later, nothing changed
    assert second == PublishResult()
    assert head(root) == first.commit
    assert read_status_tree(root).files == before


def test_the_status_of_a_spec_that_left_an_owned_namespace_is_removed(tmp_path: Path) -> None:
    write_repo(tmp_path, {**SPECS, OLD: service("profile: {name: qwen}", name="old")})
    publish(tmp_path)
    assert (tmp_path / "status" / OLD).is_file()
    (tmp_path / OLD).unlink()
    result = publish(tmp_path, SECOND_RUN)
    assert f"status/{OLD}" in result.changed_files
    assert not (tmp_path / "status" / OLD).exists()
    assert (tmp_path / "status" / CHAT).is_file()


def test_the_status_of_a_spec_in_a_namespace_not_owned_is_kept(tmp_path: Path) -> None:
    theirs = "status/namespaces/other/services/theirs.yaml"  # another instance wrote it
    write_repo(tmp_path, {
        **SPECS, "aimsync.yaml": "namespaces: [team]\n", theirs: status_doc("theirs", "other"),
    })
    result = publish(tmp_path)
    assert theirs not in result.changed_files
    assert (tmp_path / theirs).read_text() == status_doc("theirs", "other")
    assert (tmp_path / "status" / CHAT).is_file()


def test_a_status_file_is_owned_when_its_namespace_is() -> None:
    some = Settings(namespaces=["team"])
    every = Settings()
    assert owned_status_file(some, f"status/{CHAT}")
    assert not owned_status_file(some, "status/namespaces/other/services/chat.yaml")
    assert not owned_status_file(some, f"status/{QWEN}")  # cluster-wide: not this one's alone
    assert owned_status_file(every, "status/namespaces/other/services/chat.yaml")
    assert owned_status_file(every, f"status/{QWEN}")


# -- commit and push -------------------------------------------------------------------------


def test_a_status_commit_touches_only_the_status_folder(tmp_path: Path) -> None:
    root = committed_repo(tmp_path / "repo", {**SPECS, "NOTES.md": "notes\n"})
    (root / "NOTES.md").write_text("edited, not staged\n")
    (root / QWEN).write_text(CLUSTER_PROFILE + "# staged, not committed\n")
    git(root, "add", QWEN)
    result = publish(root, commit=True)
    assert result.ok and result.commit is not None
    committed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert committed and all(path.startswith("status/") for path in committed)
    assert git(root, "status", "--porcelain", "--", ":!status").splitlines() == [
        " M NOTES.md", f"M  {QWEN}",
    ]


def clone_of_a_remote(tmp_path: Path) -> tuple[Path, Path]:
    """(a bare remote whose main holds the specs, a working clone of it)."""
    return clone_of(tmp_path, {k: v for k, v in SPECS.items() if isinstance(v, str)})


def test_a_pushed_status_commit_reaches_the_remote_branch(tmp_path: Path) -> None:
    remote, work = clone_of_a_remote(tmp_path)
    result = publish(work, commit=True, push_branch="main")
    assert result.ok and result.pushed_to == "main"
    assert git(remote, "rev-parse", "main").strip() == result.commit


def test_a_push_that_fails_is_reported_with_the_files_written(tmp_path: Path) -> None:
    remote, work = clone_of_a_remote(tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    remote_main = git(remote, "rev-parse", "main").strip()
    result = publish(work, commit=True, push_branch="main")
    assert result.failure is not None and result.failure.step is PublishStep.PUSH
    assert "failed 4 times" in result.failure.message
    assert "refused by policy" in result.failure.message
    assert result.pushed_to is None
    assert result.commit == head(work)  # committed locally, and named
    assert result.changed_files and all((work / f).is_file() for f in result.changed_files)
    assert git(remote, "rev-parse", "main").strip() == remote_main


def test_a_status_commit_is_replayed_on_a_moved_remote_despite_local_edits(
    tmp_path: Path,
) -> None:
    remote, work = clone_of_a_remote(tmp_path)
    human_pushes(remote, tmp_path)
    (work / QWEN).write_text(CLUSTER_PROFILE + "# a local edit, not committed\n")
    result = publish(work, commit=True, push_branch="main")
    assert result.ok, result.failure
    subjects = git(remote, "log", "--format=%s", "main").splitlines()
    assert subjects[1] == "human change"
    assert git(work, "status", "--porcelain", "--", ":!status").splitlines() == [f" M {QWEN}"]
