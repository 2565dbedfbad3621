"""Which files of a repository are AIM specs (DESIGN.md §1)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from msgspec import Struct

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


class DiscoveredFile(Struct, frozen=True):
    relative: str  # POSIX path relative to the repository root
    path: str  # where it is read (below the resolved root): no Path made per file

    @property
    def absolute(self) -> Path:
        return Path(self.path)


class DiscoveryProblem(Struct, frozen=True):
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

    def walk(directory: Path, relative_dir: str) -> None:
        """`relative_dir`: POSIX, relative to the root ("" for the root itself); strings, not
        paths, as this runs once per file."""
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            problems.append(DiscoveryProblem(relative_dir or ".", f"cannot read folder: {exc}"))
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if folder is None and not relative_dir and name in SKIPPED_TOP_FOLDERS:
                continue
            rel = f"{relative_dir}/{name}" if relative_dir else name
            if rel == SETTINGS_FILE or _excluded(rel, exclude):
                continue
            if entry.is_symlink():
                target = resolved(Path(entry.path))
                if target is None:
                    problems.append(DiscoveryProblem(rel, "symbolic link loops back on itself"))
                    continue
                if not inside(root, target):
                    if name.endswith(SPEC_SUFFIXES) or target.is_dir():
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
                walk(Path(entry.path), rel)
            elif name.endswith(SPEC_SUFFIXES) and wanted(name):
                # the reader refuses what is no file
                if len(found) >= max_files:
                    problems.append(
                        DiscoveryProblem(
                            rel, f"more than {max_files} spec files; raise limits.maxFiles"
                        )
                    )
                    return
                found.append(DiscoveredFile(rel, entry.path))

    if folder is None:
        walk(root, "")
    else:
        walk(root / folder, PurePosixPath(folder).as_posix())
    for f in found:
        assert not f.relative.startswith("./")
    return found, problems
