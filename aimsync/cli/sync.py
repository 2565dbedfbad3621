"""`aimsync sync [PATH]`: apply the repository to the cluster."""

from __future__ import annotations

import re
from pathlib import Path

import click

from aimsync.cli.context import cluster_options, facts_option, log, state
from aimsync.cli.online import DIFF_OUTPUTS, RunEvents, print_plan
from aimsync.cli.signals import stop_on_signals
from aimsync.core.errors import AimsyncError
from aimsync.core.exit_codes import ExitCode
from aimsync.core.results import PublishResult, PublishStep
from aimsync.pipeline.online import SyncRequest, SyncRun, connect_with, sync_repository
from aimsync.report.json_text import indented_json
from aimsync.report.sync import failed_run_json, format_sync, sync_json

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> float:
    """'90s', '10m', '1h30m' or plain seconds."""
    if text.isdigit():
        return float(text)
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 10m or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def _status_line(published: PublishResult) -> str:
    line = f"Status: {len(published.changed_files)} file(s) changed"
    failure = published.failure
    if failure is not None and failure.step is not PublishStep.PUSH:
        return line + f", {failure.step.value} failed"
    line += f", committed {published.commit[:12]}" if published.commit else ", no commit"
    if failure is not None:
        return line + ", push failed"
    return line + (f", pushed to {published.pushed_to}" if published.pushed_to else "")


@click.command("sync")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@cluster_options
@click.option("--dry-run", is_flag=True, help="Plan only (the same as `aimsync diff`).")
@click.option("--prune", is_flag=True, help="Delete objects whose specs left the repository.")
@click.option("--allow-empty/--no-allow-empty", default=None,
              help="Let --prune delete everything when the repository renders nothing "
              "(default: prune.allowEmpty in aimsync.yaml, else no).")
@click.option("--prune-shared-caches/--no-prune-shared-caches", default=None,
              help="Let --prune delete the PVCs of Shared model caches (default: "
              "prune.sharedCaches in aimsync.yaml, else no).")
@click.option("--force-conflicts", is_flag=True,
              help="Take over fields that other field managers own.")
@click.option("--wait", "wait", is_flag=False, flag_value="10m", default=None,
              metavar="[=DURATION]",
              help="Wait for downloads and InferenceServices (default 10m), with progress.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests in flight within one apply stage.")
@click.option("--timeout", "timeout", default="30m", show_default=True, metavar="DURATION",
              help="Deadline of the whole run (clone, waits included): then it stops before "
              "the next request, releases the lock and exits 3.")
@click.option("--lock-wait", default="0s", show_default=True, metavar="DURATION",
              help="Wait this long for a lock another run holds (until it is released or "
              "expires) before exiting 4.")
@click.option("--create-namespaces/--no-create-namespaces", default=None,
              help="Create the repository's namespaces this instance owns when missing "
              "(default: createNamespaces in aimsync.yaml, else no). Never deleted.")
@facts_option("Match profiles against these nodes instead of the cluster's.")
@click.option("-o", "--output", type=click.Choice(DIFF_OUTPUTS),
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
@click.option("-n", "--namespace", "namespaces", multiple=True, metavar="NAMESPACE",
              help="Act on this namespace of the repository only (repeatable): nothing is "
              "read, applied or pruned elsewhere.")
@click.option("--repo", "repo_url", metavar="URL",
              help="Clone this repository into a temporary folder and work there (credentials "
              "from AIMSYNC_GIT_TOKEN, or AIMSYNC_GIT_SSH_KEY_FILE + AIMSYNC_GIT_KNOWN_HOSTS).")
def sync_command(
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    dry_run: bool,
    prune: bool,
    allow_empty: bool | None,
    prune_shared_caches: bool | None,
    force_conflicts: bool,
    wait: str | None,
    concurrency: int,
    timeout: str,
    lock_wait: str,
    create_namespaces: bool | None,
    cluster_facts: Path | None,
    output: str,
    write_status: bool,
    commit_status: bool,
    push: bool,
    branch: str | None,
    repo_url: str | None,
    namespaces: tuple[str, ...],
) -> ExitCode:
    """Server-side-apply the objects the repository at PATH derives, in order, with gating.

    Exit 0 success, 2 invalid input, 3 cluster failure (what failed is listed), 4 another run
    holds the lock, 143/130 stopped by SIGTERM/SIGINT. With --dry-run: 0 no change, 1 changes.
    """
    if push and not commit_status:
        raise click.UsageError("--push pushes the status commit: add --commit-status")
    if namespaces and (write_status or commit_status):
        raise click.UsageError("the status reports cover the whole repository: "
                               "--write-status and --commit-status cannot take -n")
    request = SyncRequest(
        root=path,
        plan_only=dry_run,
        prune=prune,
        allow_empty=allow_empty,
        prune_shared_caches=prune_shared_caches,
        force_conflicts=force_conflicts,
        wait_seconds=parse_duration(wait) if wait is not None else None,
        concurrency=concurrency,
        facts_file=cluster_facts,
        write_status=write_status,
        commit_status=commit_status,
        push=push,
        branch=branch,
        repo_url=repo_url,
        timeout_seconds=parse_duration(timeout) or None,
        lock_wait_seconds=parse_duration(lock_wait),
        create_namespaces=create_namespaces,
        namespaces=namespaces,
    )
    verbose = state().verbose

    def print_table(run: SyncRun) -> None:
        resolutions = run.derived.resolved.resolutions
        click.echo(format_sync(run.report, resolutions, run.requests, verbose=verbose), nl=False)

    table = output != "json" and not dry_run
    events = RunEvents(log(), print_table if table else None)
    try:
        with stop_on_signals():
            run = sync_repository(request, connect_with(kubeconfig, context), events)
    except AimsyncError as exc:
        if output == "json" and not dry_run:  # a report also when the run ends early
            click.echo(indented_json(failed_run_json(exc)))
        raise
    if dry_run:
        return print_plan(run, output)
    if output == "json":
        resolutions = run.derived.resolved.resolutions
        report = sync_json(run.report, resolutions, run.requests, run.published)
        click.echo(indented_json(report))
    if run.published is not None:
        if table:
            click.echo(_status_line(run.published))
        if run.published.failure is not None:
            log().error(run.published.failure.message)
    return run.exit_code
