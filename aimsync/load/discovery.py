"""Which files of a repository are AIM specs (DESIGN.md §1)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aimsync.load.files import OUTSIDE, inside, resolved
from aimsync.settings import SETTINGS_FILE

SKIPPED_TOP_FOLDERS = ("status", "policies")
POLICY_FOLDER = "policies"
# Test cases of a policy (`aimsync policy test`) sit beside it; they are no policies.
POLICY_TEST_SUFFIXES = (".test.yaml", ".test.yml")
FOLDER_LINK = (
    "symbolic link to a folder: aimsync does not follow links to folders (the folder would "
    "be read twice, or under another namespace); move or copy the folder instead"
)
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
    the settings file and excluded paths. Links to files are followed only inside the
    repository; links to folders are refused (reported, never followed)."""
    return _discover(root, None, exclude, max_files, lambda name: True)


def discover_policy_files(
    root: Path, exclude: list[str], max_files: int, *, tests: bool = False
) -> tuple[list[DiscoveredFile], list[DiscoveryProblem]]:
    """The *.yaml / *.yml files under policies/ (the same rules as for specs): the policies,
    or with `tests` the policy test files (*.test.yaml) beside them."""
    if not (root / POLICY_FOLDER).is_dir() or (root / POLICY_FOLDER).is_symlink():
        if (root / POLICY_FOLDER).is_symlink():
            return [], [DiscoveryProblem(POLICY_FOLDER, FOLDER_LINK)]
        return [], []
    return _discover(root, POLICY_FOLDER, exclude, max_files,
                     lambda name: name.endswith(POLICY_TEST_SUFFIXES) == tests)


def _discover(
    root: Path, folder: str | None, exclude: list[str], max_files: int,
    wanted: Callable[[str], bool],
) -> tuple[list[DiscoveredFile], list[DiscoveryProblem]]:
    root = root.resolve()
    found: list[DiscoveredFile] = []
    problems: list[DiscoveryProblem] = []

    def walk(directory: Path, relative_dir: PurePosixPath) -> None:
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
            if folder is None and relative_dir == PurePosixPath(".") and (
                entry.name in SKIPPED_TOP_FOLDERS
            ):
                continue
            if rel == SETTINGS_FILE or _excluded(rel, exclude):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = resolved(path)
                if target is None:
                    problems.append(DiscoveryProblem(rel, "symbolic link loops back on itself"))
                    continue
                if not inside(root, target):
                    if entry.name.endswith(SPEC_SUFFIXES) or target.is_dir():
                        problems.append(DiscoveryProblem(rel, OUTSIDE))
                    continue
                if not target.exists():
                    problems.append(DiscoveryProblem(rel, "symbolic link is broken"))
                    continue
                if target.is_dir():
                    # Read under two paths, a folder would be skipped once or give its specs
                    # another folder's namespace: links to folders are refused, never followed.
                    problems.append(DiscoveryProblem(rel, FOLDER_LINK))
                    continue
            if entry.is_dir(follow_symlinks=False):
                walk(path, relative)
            elif entry.name.endswith(SPEC_SUFFIXES) and wanted(entry.name):
                # the reader refuses what is no file
                if len(found) >= max_files:
                    problems.append(
                        DiscoveryProblem(
                            rel, f"more than {max_files} spec files; raise limits.maxFiles"
                        )
                    )
                    return
                found.append(DiscoveredFile(rel, path))

    if folder is None:
        walk(root, PurePosixPath("."))
    else:
        walk(root / folder, PurePosixPath(folder))
    for f in found:
        assert not f.relative.startswith("./")
    return found, problems
