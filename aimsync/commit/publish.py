"""After a sync: observe, write the status files, commit and push them when asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aimsync.commit.git_ops import (
    GitContext,
    commit_status,
    push_status,
    read_status_tree,
    spec_revision,
    write_status_tree,
)
from aimsync.commit.status_files import (
    README_FILE,
    STATUS_DIR,
    SUMMARY_FILE,
    RunRecord,
    previous_statuses,
    readme_text,
    status_documents,
    summary_text,
)
from aimsync.observe.observe import observe
from aimsync.plan.changes import Action
from aimsync.specs import Specs
from aimsync.sync.engine import SyncReport


@dataclass
class PublishResult:
    changed_files: list[str] = field(default_factory=list)
    commit: str | None = None
    pushed_to: str | None = None


def _owned_status_file(specs: Specs, relative: str) -> bool:
    """A status file this instance may remove: its spec would be in an owned namespace."""
    parts = PurePosixPath(relative).parts
    if len(parts) >= 3 and parts[1] == "namespaces":
        return specs.settings.owns_namespace(parts[2])
    return not specs.settings.namespaces  # cluster-wide files: only an instance owning all


def counts(report: SyncReport) -> dict[str, int]:
    results = [o.action for o in report.outcomes]
    return {
        "created": results.count("created"),
        "updated": results.count("configured") + results.count("recreated"),
        "pruned": results.count("deleted"),
        "unchanged": report.changes.count(Action.UNCHANGED),
        "failed": len(report.failures),
    }


def publish_status(
    root: Path,
    specs: Specs,
    report: SyncReport,
    *,
    git: GitContext | None,
    started: dt.datetime,
    duration: float,
    commit: bool,
    push_branch: str | None,
) -> PublishResult:
    assert report.statuses is not None and report.live_after is not None
    now = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    existing = read_status_tree(root)
    revision = spec_revision(git)
    reports = observe(
        specs, report.statuses, report.resolutions, report.live_after,
        previous_statuses(existing), now,
    )
    files = status_documents(reports, revision)
    files[f"{STATUS_DIR}/{README_FILE}"] = readme_text(reports, revision)
    changed = any(existing.get(path) != text for path, text in files.items()) or any(
        path not in files and _owned_status_file(specs, path)
        for path in existing
        if path not in (f"{STATUS_DIR}/{SUMMARY_FILE}", f"{STATUS_DIR}/{README_FILE}")
    )
    record = RunRecord(
        revision=revision,
        started_at=now,
        duration_seconds=duration,
        result="Failed" if report.failures else "Succeeded",
        counts=counts(report),
    )
    wrote_objects = report.object_writes > 0
    summary = summary_text(
        record, existing.get(f"{STATUS_DIR}/{SUMMARY_FILE}"), changed or wrote_objects
    )
    if summary is not None:
        files[f"{STATUS_DIR}/{SUMMARY_FILE}"] = summary
    else:
        files[f"{STATUS_DIR}/{SUMMARY_FILE}"] = existing[f"{STATUS_DIR}/{SUMMARY_FILE}"]
    result = PublishResult(
        write_status_tree(root, files, lambda path: _owned_status_file(specs, path))
    )
    if commit and git is not None:
        result.commit = commit_status(git, revision)
        if push_branch is not None and result.commit is not None:
            push_status(git, push_branch)
            result.pushed_to = push_branch
    return result
