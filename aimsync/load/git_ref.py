"""A repository folder as it was at a Git ref, written into a temporary folder (I/O edge).

Read from the Git objects themselves (commit -> tree -> blobs), not with `git archive`: a
commit's `.gitattributes` (export-ignore, export-subst) must not hide or rewrite what is
compared. A committed symbolic link is written as a link, so the loader applies the same rule
as to a working tree (a link that leaves the repository is refused).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from aimsync.core.errors import InvalidInput
from aimsync.load.repository import require_folder

if TYPE_CHECKING:  # GitPython is imported by the commands that use Git, when they do
    import git

LINK_MODE = 0o120000
MAX_TREE_BYTES = 512 * 1024 * 1024  # all files of the folder at the ref, together


class GitRefError(InvalidInput):
    """The path is not in a Git repository, or the ref does not name a commit."""


def _checked_ref(ref: str) -> str:
    if not ref or ref.startswith("-") or not ref.isprintable():
        raise GitRefError(f"{ref[:80]!r} is not a Git ref (a branch, tag or commit)")
    return ref


def _commit(repo: git.Repo, ref: str) -> git.Commit:
    import git

    try:
        commit = repo.commit(_checked_ref(ref))
        _ = commit.tree  # a commit beyond a shallow clone's boundary has a name but no data
    except GitRefError:
        raise
    except Exception:  # GitPython raises many kinds for a ref it cannot resolve
        hint = ""
        if os.path.exists(os.path.join(repo.git_dir, "shallow")):
            hint = (
                "; this is a shallow clone, so older commits are missing: fetch the history "
                "(actions/checkout with fetch-depth: 0, or git fetch --unshallow)"
            )
        raise GitRefError(
            f"{ref!r} does not name a commit in {repo.working_tree_dir}{hint}"
        ) from None
    if not isinstance(commit, git.Commit):
        raise GitRefError(f"{ref!r} does not name a commit")
    return commit


def _safe_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\x00" not in name


def _write_tree(tree: git.Tree, target: Path, budget: list[int]) -> None:
    for item in tree:
        name = item.name
        if not _safe_name(name):
            raise GitRefError(f"the commit has an entry Git itself refuses: {name!r}")
        path = target / name
        if item.type == "tree":
            path.mkdir()
            _write_tree(item, path, budget)
        elif item.type == "blob":
            data = item.data_stream.read()
            budget[0] -= len(data)
            if budget[0] < 0:
                raise GitRefError(
                    f"the files at this ref are larger than {MAX_TREE_BYTES} bytes together"
                )
            if item.mode == LINK_MODE:
                os.symlink(data.decode("utf-8", errors="replace"), path)
            else:
                path.write_bytes(data)
        # submodules (commits) are not part of the specs: left out


@contextmanager
def tree_at_ref(path: Path, ref: str) -> Iterator[Path]:
    """Yields a folder holding `path` as committed at `ref` (empty if it did not exist)."""
    import git

    require_folder(path)
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitRefError(f"{path} is not inside a Git repository") from None
    commit = _commit(repo, ref)
    top = Path(repo.working_tree_dir or ".").resolve()
    relative = path.resolve().relative_to(top).as_posix()
    with tempfile.TemporaryDirectory(prefix="aimsync-ref-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        tree: object = commit.tree
        try:
            if relative not in ("", "."):
                tree = commit.tree / relative
        except KeyError:
            tree = None  # the folder did not exist at that ref: an empty repository
        if isinstance(tree, git.Tree):
            try:
                _write_tree(tree, root, [MAX_TREE_BYTES])
            except (ValueError, OSError, git.GitCommandError) as exc:
                raise GitRefError(f"cannot read {ref!r}: {exc}") from None
        yield root
