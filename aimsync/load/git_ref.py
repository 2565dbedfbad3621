"""A repository folder as it was at a Git ref, extracted into a temporary folder (I/O edge)."""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from aimsync.core.errors import InvalidInput
from aimsync.load.repository import require_folder


class GitRefError(InvalidInput):
    """The path is not in a Git repository, or the ref does not name a commit."""


@contextmanager
def tree_at_ref(path: Path, ref: str) -> Iterator[Path]:
    """Yields a folder holding `path` as committed at `ref` (empty if it did not exist)."""
    require_folder(path)
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitRefError(f"{path} is not inside a Git repository") from None
    try:
        commit = repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise GitRefError(f"{ref!r} does not name a commit in {repo.working_tree_dir}") from None
    top = Path(repo.working_tree_dir or ".").resolve()
    relative = path.resolve().relative_to(top).as_posix()
    with tempfile.TemporaryDirectory(prefix="aimsync-ref-") as tmp:
        root = Path(tmp)
        archive = io.BytesIO()
        try:
            if relative in ("", "."):
                repo.archive(archive, commit.hexsha, format="tar")
            else:
                repo.archive(archive, commit.hexsha, format="tar", path=relative)
        except git.GitCommandError:
            archive = io.BytesIO()  # the folder did not exist at that ref: an empty repository
        if archive.getbuffer().nbytes:
            archive.seek(0)
            with tarfile.open(fileobj=archive, mode="r:") as tar:
                tar.extractall(root, filter="data")
        target = root / relative if relative not in ("", ".") else root
        target.mkdir(parents=True, exist_ok=True)
        yield target
