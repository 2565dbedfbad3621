"""Git operations for status reports: revision, write, commit, push (the Git edge).

Status commits touch nothing outside status/, use a fixed author, say `[skip ci]`, happen only
when content changed, and are pushed with fetch-rebase-retry. Never a force-push; a human
commit that landed meanwhile stays exactly as it is (aimsync's commit is replayed on top).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from aimsync.commit.refs import checked_branch
from aimsync.core.errors import AimsyncError, InvalidInput
from aimsync.load.status_tree import STATUS_DIR

if TYPE_CHECKING:  # GitPython is imported by the commands that use Git, when they do
    import git

PUSH_ATTEMPTS = 4


class GitError(AimsyncError):
    """A Git operation failed (exit 3; the message is safe to print: no credentials in it)."""


class DetachedHead(InvalidInput):
    """--push on a detached HEAD without --branch: aimsync cannot tell where to push."""


class PushFailed(GitError):
    def __init__(self, message: str, local_commit: str) -> None:
        self.local_commit = local_commit
        super().__init__(message)


class GitIdentity(Struct, frozen=True):
    """Who aimsync's commits are by: author and committer alike (the `git` settings)."""

    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name, "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name, "GIT_COMMITTER_EMAIL": self.email,
        }


class GitContext(Struct, frozen=True):
    """The repository a run works in, and the environment git commands run with.

    Every command carries aimsync's identity: a rebase writes commits too, and the machine
    (a CronJob's container: HOME=/tmp, no git config) may have no identity of its own.
    """

    repo: git.Repo
    root: Path  # the folder aimsync reads (may be below the repository's top)
    env: Mapping[str, str]  # the run's (credentials) and aimsync's identity
    mask: tuple[str, ...] = ()  # secrets to scrub from any message

    @staticmethod
    def open(root: Path, identity: GitIdentity, env: Mapping[str, str] | None = None,
             mask: tuple[str, ...] = ()) -> GitContext | None:
        import git

        try:
            repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None
        return GitContext(repo, root.resolve(), {**(env or {}), **identity.env()}, mask)

    @property
    def top(self) -> Path:
        return Path(self.repo.working_tree_dir or ".").resolve()

    @property
    def status_pathspec(self) -> str:
        relative = self.root.relative_to(self.top).as_posix()
        return STATUS_DIR if relative in ("", ".") else f"{relative}/{STATUS_DIR}"

    def safe(self, text: str) -> str:
        for secret in self.mask:
            if secret:
                text = text.replace(secret, "***")
        return text

    def run(self, *args: str) -> str:
        import git

        try:
            with self.repo.git.custom_environment(**self.env):
                return str(self.repo.git.execute(
                    ["git", *args], kill_after_timeout=GIT_TIMEOUT_SECONDS
                ))
        except git.GitCommandError as exc:
            detail = (exc.stderr or exc.stdout or str(exc)).strip()
            command = next(a for a in args if not a.startswith("-") and "=" not in a)
            raise GitError(self.safe(f"git {command} failed: {detail}")) from None


GIT_TIMEOUT_SECONDS = 300.0  # any one git command (a fetch or push over a slow network)


def spec_revision(context: GitContext | None) -> str:
    """The last commit that changed anything of the repository but its status/ folder."""
    if context is None:
        return "unknown"
    relative = context.root.relative_to(context.top).as_posix() or "."
    try:
        found = context.run("log", "-1", "--format=%H", "--", relative,
                            f":(exclude){context.status_pathspec}")
    except GitError:
        return "unknown"
    return found.strip() or "unknown"


def commit_status(context: GitContext, revision: str) -> str | None:
    """Commit the status folder alone, as aimsync; None when it did not change."""
    spec = context.status_pathspec
    context.run("add", "-A", "--", spec)
    if not context.run("diff", "--cached", "--name-only", "--", spec).strip():
        return None
    context.run("-c", "commit.gpgSign=false", "commit", "--no-verify", "-m",
                f"aimsync: status for {revision[:12]} [skip ci]", "--", spec)
    return context.run("rev-parse", "HEAD").strip()


def current_branch(context: GitContext, explicit: str | None, environ: Mapping[str, str]) -> str:
    """The branch to push to: --branch, the checked-out branch, or the CI's variables (from a
    pull request's branch name: checked like any untrusted value)."""
    if explicit:
        return checked_branch(explicit)
    if not context.repo.head.is_detached:
        return checked_branch(context.repo.active_branch.name, "the checked-out branch")
    for variable in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"):
        if environ.get(variable):
            return checked_branch(environ[variable], variable)
    raise DetachedHead(
        "HEAD is detached (a CI checkout?): pass --branch NAME so aimsync knows which branch "
        "to push the status commit to"
    )


def push_status(
    context: GitContext,
    branch: str,
    *,
    remote: str = "origin",
    attempts: int = PUSH_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Push HEAD to `branch`; when the remote moved, fetch, replay our commit on top, retry.

    The replay autostashes: a working tree with edits outside status/ (a person's laptop)
    must not block it, and the edits stay as they were."""
    push_error = rebase_error = ""
    for attempt in range(1, attempts + 1):
        try:
            context.run("push", "--", remote, f"HEAD:refs/heads/{branch}")
            return
        except GitError as exc:
            push_error = str(exc)
        if attempt == attempts:
            break
        try:
            context.run("fetch", "--", remote, branch)
            # Only our status commits are replayed; on a clash in status/ ours is newer.
            context.run("-c", "commit.gpgSign=false", "rebase", "--no-verify", "--autostash",
                        "-X", "theirs", "FETCH_HEAD")
            rebase_error = ""
        except GitError as exc:
            with contextlib.suppress(GitError):
                context.run("rebase", "--abort")
            rebase_error = str(exc)
        sleep(min(2.0 ** (attempt - 1), 10.0))
    local = context.run("rev-parse", "HEAD").strip()
    last = push_error + (f"; before that, {rebase_error}" if rebase_error else "")
    raise PushFailed(
        f"the status commit {local[:12]} is committed locally, but pushing it to {branch} "
        f"failed {attempts} times; last error: {last}",
        local,
    )

