"""`aimsync sync [PATH]`: apply the repository to the cluster."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from aimsync.cli import log
from aimsync.cli.cluster import (
    cluster_options,
    connect_or_exit,
    facts_or_exit,
    parse_duration,
    valid_specs_or_exit,
)
from aimsync.cli.common import exit_with
from aimsync.cli.diff import print_plan
from aimsync.cli.exit_codes import ExitCode
from aimsync.commit.git_ops import (
    GitContext,
    GitError,
    GitIdentity,
    PushFailed,
    current_branch,
)
from aimsync.commit.publish import publish_status
from aimsync.commit.remote import cloned
from aimsync.kube.errors import KubeError
from aimsync.kube.lock import LockHeld
from aimsync.report.sync import format_sync, sync_json
from aimsync.sync.engine import SyncOptions, reconcile


@click.command("sync")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@cluster_options
@click.option("--dry-run", is_flag=True, help="Plan only (the same as `aimsync diff`).")
@click.option("--prune", is_flag=True, help="Delete objects whose specs left the repository.")
@click.option("--allow-empty", is_flag=True, help="Let --prune delete everything when the "
              "repository renders nothing.")
@click.option("--prune-shared-caches", is_flag=True,
              help="Let --prune delete the PVCs of Shared model caches.")
@click.option("--force-conflicts", is_flag=True,
              help="Take over fields that other field managers own.")
@click.option("--wait", "wait", is_flag=False, flag_value="10m", default=None,
              metavar="[=DURATION]",
              help="Wait for downloads and InferenceServices (default 10m), with progress.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests in flight within one apply stage.")
@click.option("--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Match profiles against these nodes instead of the cluster's.")
@click.option("-o", "--output", type=click.Choice(["table", "unified", "json", "markdown"]),
              default="table", show_default=True,
              help="With --dry-run: the plan in this format. Otherwise table or json (the "
              "run's report).")
@click.option("--write-status", is_flag=True,
              help="Write status reports under status/ (without committing them).")
@click.option("--commit-status", is_flag=True,
              help="Write status reports and commit them (only status/, only when changed).")
@click.option("--push", is_flag=True, help="Push the status commit (fetch, rebase, retry).")
@click.option("--branch", help="The branch to clone (--repo) and push to (default: the "
              "checked-out branch; needed on a detached HEAD).")
@click.option("--repo", "repo_url", metavar="URL",
              help="Clone this repository into a temporary folder and work there (credentials "
              "from AIMSYNC_GIT_TOKEN, or AIMSYNC_GIT_SSH_KEY_FILE + AIMSYNC_GIT_KNOWN_HOSTS).")
@click.pass_context
def sync_command(
    ctx: click.Context,
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    dry_run: bool,
    prune: bool,
    allow_empty: bool,
    prune_shared_caches: bool,
    force_conflicts: bool,
    wait: str | None,
    concurrency: int,
    cluster_facts: Path | None,
    output: str,
    write_status: bool,
    commit_status: bool,
    push: bool,
    branch: str | None,
    repo_url: str | None,
) -> None:
    """Server-side-apply the objects the repository at PATH derives, in order, with gating.

    Exit 0 success, 2 invalid input, 3 cluster failure (what failed is listed), 4 another run
    holds the lock. With --dry-run: 0 no change, 1 changes.
    """
    if push and not commit_status:
        raise click.UsageError("--push pushes the status commit: add --commit-status")
    if repo_url is None:
        _sync_folder(ctx, path, SyncRun(
            kubeconfig, context, dry_run, prune, allow_empty, prune_shared_caches,
            force_conflicts, wait, concurrency, cluster_facts, output,
            write_status or commit_status, commit_status, push, branch, None, ()))
        return
    if branch is None:
        raise click.UsageError("--repo needs --branch")
    try:
        with cloned(repo_url, branch) as clone:
            _sync_folder(ctx, clone.path / path, SyncRun(
                kubeconfig, context, dry_run, prune, allow_empty, prune_shared_caches,
                force_conflicts, wait, concurrency, cluster_facts, output,
                write_status or commit_status, commit_status, push, branch, clone.env,
                clone.secrets))
    except GitError as exc:
        log.error(f"{exc}")
        exit_with(ExitCode.FAILURE)


@dataclass(frozen=True)
class SyncRun:
    kubeconfig: Path | None
    context: str | None
    dry_run: bool
    prune: bool
    allow_empty: bool
    prune_shared_caches: bool
    force_conflicts: bool
    wait: str | None
    concurrency: int
    cluster_facts: Path | None
    output: str
    write_status: bool
    commit_status: bool
    push: bool
    branch: str | None
    git_env: Mapping[str, str] | None
    secrets: tuple[str, ...]


def _sync_folder(ctx: click.Context, path: Path, run: SyncRun) -> None:
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    specs = valid_specs_or_exit(path)
    facts = facts_or_exit(run.cluster_facts)
    author = specs.settings.git
    git_context = GitContext.open(
        path, GitIdentity(author.author_name, author.author_email), run.git_env, run.secrets
    )
    push_branch = None
    if run.commit_status and git_context is None:
        log.error(f"--commit-status: {path} is not inside a Git repository")
        exit_with(ExitCode.INVALID)
    if run.push and git_context is not None:
        try:
            push_branch = current_branch(git_context, run.branch, os.environ)
        except GitError as exc:
            log.error(f"{exc}")
            exit_with(ExitCode.INVALID)
    options = SyncOptions(
        plan_only=run.dry_run,
        prune=run.prune,
        allow_empty=run.allow_empty,
        prune_shared_caches=run.prune_shared_caches,
        force_conflicts=run.force_conflicts,
        wait_seconds=parse_duration(run.wait) if run.wait is not None else None,
        concurrency=run.concurrency,
        facts=facts,
        observe=run.write_status and not run.dry_run,
    )
    kube = connect_or_exit(run.kubeconfig, run.context, run.concurrency)
    try:
        report = reconcile(kube, specs, options, log.progress)
    except LockHeld as exc:
        log.error(f"{exc}")
        exit_with(ExitCode.LOCKED)
    except KubeError as exc:
        log.error(f"cluster error: {exc}")
        exit_with(ExitCode.FAILURE)
    finally:
        kube.close()
    if run.dry_run:
        print_plan(report, run.output)
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    if run.output == "json":
        click.echo(json.dumps(sync_json(report, kube.stats.as_dict()), indent=2))
    else:
        click.echo(format_sync(report, kube.stats.as_dict(), verbose=verbose), nl=False)
    code = ExitCode.OK if report.ok else ExitCode.FAILURE
    if run.write_status:
        try:
            published = publish_status(
                path, specs, report, git=git_context, started=started,
                duration=time.monotonic() - clock, commit=run.commit_status,
                push_branch=push_branch,
            )
        except PushFailed as exc:
            log.error(f"{exc}")
            exit_with(ExitCode.FAILURE)
        except GitError as exc:
            log.error(f"{exc}")
            exit_with(ExitCode.FAILURE)
        line = (
            f"Status: {len(published.changed_files)} file(s) changed"
            + (f", committed {published.commit[:12]}" if published.commit else ", no commit")
            + (f", pushed to {published.pushed_to}" if published.pushed_to else "")
        )
        if run.output == "json":
            log.note(line)  # stdout holds the JSON report alone
        else:
            click.echo(line)
    exit_with(code)
