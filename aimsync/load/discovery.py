"""Which files of a repository are AIM specs (DESIGN.md §1)."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aimsync.settings import SETTINGS_FILE

SKIPPED_TOP_FOLDERS = ("status", "policies")
SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class DiscoveredFile:
    relative: str  # POSIX path relative to the repository root
    absolute: Path


@dataclass(frozen=True)
class DiscoveryProblem:
    relative: str
    message: str


def _excluded(relative: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(relative, pattern)
        or fnmatch.fnmatchcase(relative, pattern.rstrip("/") + "/*")
        for pattern in patterns
    )


def discover_spec_files(
    root: Path, exclude: list[str], max_files: int
) -> tuple[list[DiscoveredFile], list[DiscoveryProblem]]:
    """Every *.yaml / *.yml below `root`, sorted, except status/, policies/, dot-folders,
    the settings file and excluded paths. Symlinks are followed only inside the repository."""
    root = root.resolve()
    found: list[DiscoveredFile] = []
    problems: list[DiscoveryProblem] = []
    visited_dirs: set[Path] = set()

    def inside(path: Path) -> bool:
        return path == root or root in path.parents

    def walk(directory: Path, relative_dir: PurePosixPath) -> None:
        real = directory.resolve()
        if real in visited_dirs:
            return  # a symlink loop or a second link to the same folder
        visited_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            problems.append(DiscoveryProblem(str(relative_dir), f"cannot read folder: {exc}"))
            return
        for entry in entries:
            relative = relative_dir / entry.name
            rel = relative.as_posix()
            if entry.name.startswith("."):
                continue
            if relative_dir == PurePosixPath(".") and entry.name in SKIPPED_TOP_FOLDERS:
                continue
            if rel == SETTINGS_FILE or _excluded(rel, exclude):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = path.resolve()
                if not inside(target):
                    if entry.name.endswith(SPEC_SUFFIXES) or target.is_dir():
                        problems.append(
                            DiscoveryProblem(
                                rel,
                                "symbolic link points outside the repository; aimsync only "
                                "reads files inside it",
                            )
                        )
                    continue
                if not target.exists():
                    problems.append(DiscoveryProblem(rel, "symbolic link is broken"))
                    continue
            if entry.is_dir(follow_symlinks=True):
                walk(path, relative)
            elif entry.name.endswith(SPEC_SUFFIXES) and entry.is_file(follow_symlinks=True):
                if len(found) >= max_files:
                    problems.append(
                        DiscoveryProblem(
                            rel, f"more than {max_files} spec files; raise limits.maxFiles"
                        )
                    )
                    return
                found.append(DiscoveredFile(rel, path))

    walk(root, PurePosixPath("."))
    for f in found:
        assert not f.relative.startswith("./")
    return found, problems
