"""After a sync: write the status files, and commit and push them when asked (the Git edge).

The status reports come in computed (aimsync.observe); status/ as the run read it at the start
comes in too, so that this step reads nothing twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from msgspec import Struct, field

from aimsync.commit.git_ops import (
    GitContext,
    GitError,
    commit_status,
    push_status,
    spec_revision,
)
from aimsync.commit.status_files import (
    RunRecord,
    readme_text,
    status_documents,
    summary_text,
)
from aimsync.commit.status_writer import write_status_tree
from aimsync.core.results import PublishFailure, PublishResult, PublishStep
from aimsync.load.status_tree import README_PATH, SUMMARY_PATH, StatusTree
from aimsync.observe.observe import StatusReport
from aimsync.settings import Settings


class RunSummary(Struct, frozen=True):
    """What the summary records of a run (the revision is added from Git)."""

    started: dt.datetime
    duration_seconds: float
    succeeded: bool
    counts: Mapping[str, int] = field(default_factory=dict)
    wrote_objects: bool = False


def owned_status_file(settings: Settings, relative: str) -> bool:
    """A status file this instance may remove: its spec would be in an owned namespace."""
    parts = PurePosixPath(relative).parts
    if len(parts) >= 3 and parts[1] == "namespaces":
        return settings.owns_namespace(parts[2])
    return not settings.namespaces  # cluster-wide files: only an instance owning all


def status_files(
    reports: list[StatusReport], tree: StatusTree, run: RunSummary, revision: str,
    settings: Settings,
) -> dict[str, str]:
    """Every file status/ should hold after this run (pure)."""
    now = run.started.strftime("%Y-%m-%dT%H:%M:%SZ")
    files = status_documents(reports, revision)
    files[README_PATH] = readme_text(reports, revision)
    existing = tree.files
    changed = any(existing.get(path) != text for path, text in files.items()) or any(
        path not in files and owned_status_file(settings, path)
        for path in existing
        if path not in (SUMMARY_PATH, README_PATH)
    )
    record = RunRecord(
        revision=revision,
        started_at=now,
        duration_seconds=run.duration_seconds,
        result="Succeeded" if run.succeeded else "Failed",
        counts=dict(run.counts),
    )
    summary = summary_text(record, tree.summary, changed or run.wrote_objects)
    files[SUMMARY_PATH] = summary if summary is not None else existing[SUMMARY_PATH]
    return files


def publish_status(
    root: Path,
    tree: StatusTree,
    reports: list[StatusReport],
    run: RunSummary,
    settings: Settings,
    *,
    git: GitContext | None,
    commit: bool,
    push_branch: str | None,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishResult:
    revision = spec_revision(git)
    files = status_files(reports, tree, run, revision, settings)
    changed = tuple(write_status_tree(
        root, files, tree.files, lambda path: owned_status_file(settings, path)
    ))
    if not commit or git is None:
        return PublishResult(changed)
    try:
        made = commit_status(git, revision)
    except GitError as exc:
        return PublishResult(changed, failure=PublishFailure(PublishStep.COMMIT, str(exc)))
    if push_branch is None or made is None:
        return PublishResult(changed, made)
    try:
        push_status(git, push_branch, sleep=sleep)
    except GitError as exc:
        return PublishResult(changed, made, failure=PublishFailure(PublishStep.PUSH, str(exc)))
    return PublishResult(changed, made, push_branch)
