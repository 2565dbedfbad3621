"""Writing status/: only real files, only inside the repository.

A repository's status/ (or a folder or file in it) may be a symbolic link that someone
committed; aimsync never writes or deletes through one. A link in the way of a status file is
replaced by the file; a linked folder is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from aimsync.core.errors import AimsyncError
from aimsync.load.status_tree import README_PATH, STATUS_DIR, SUMMARY_PATH


class StatusFolderRefused(AimsyncError):
    """status/ cannot be written without leaving the repository (exit 3, nothing written)."""


def status_folder_problem(root: Path) -> str:
    """Why status/ cannot be written ("" when it can)."""
    folder = root / STATUS_DIR
    if folder.is_symlink():
        return (f"{STATUS_DIR}/ is a symbolic link; aimsync writes status reports only as "
                "real files inside the repository: remove the link")
    if folder.exists() and not folder.is_dir():
        return f"{STATUS_DIR} is not a folder; remove it so aimsync can write status reports"
    return ""


def _real_folder(root: Path, parts: tuple[str, ...]) -> Path:
    """root/parts..., each created if missing; refuses a link or a file on the way."""
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            raise StatusFolderRefused(
                f"{current.relative_to(root).as_posix()} is a symbolic link or not a folder; "
                "aimsync writes status reports only as real files inside the repository"
            )
        current.mkdir(exist_ok=True)
    return current


def _write(root: Path, relative: str, text: str) -> None:
    parts = PurePosixPath(relative).parts
    target = _real_folder(root, parts[:-1]) / parts[-1]
    if target.is_symlink():
        target.unlink()  # a link inside status/ is aimsync's to replace, never to follow
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def write_status_tree(
    root: Path, files: Mapping[str, str], existing: Mapping[str, str],
    owned: Callable[[str], bool],
) -> list[str]:
    """Write the files that differ from `existing` (status/ as read at the start of the run);
    remove status files of specs that left the repository (only those this instance owns).
    Returns what changed."""
    problem = status_folder_problem(root)
    if problem:
        raise StatusFolderRefused(problem)
    changed: list[str] = []
    for relative, text in files.items():
        if existing.get(relative) != text:
            _write(root, relative, text)
            changed.append(relative)
    kept = {SUMMARY_PATH, README_PATH}
    for relative in existing:
        if relative not in files and relative not in kept and owned(relative):
            path = root / relative
            if path.is_file() and not path.is_symlink():
                path.unlink()
                changed.append(relative)
    return changed
