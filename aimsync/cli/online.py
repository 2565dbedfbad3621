"""What the commands that talk to a cluster share: connecting, and printing a plan."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import log
from aimsync.core.exit_codes import ExitCode
from aimsync.kube.client import KubeClient
from aimsync.pipeline import Connect, SyncRun
from aimsync.plan.changes import ChangeSet
from aimsync.plan.summary import AimSummary, summarize_live
from aimsync.report.diff import format_json, format_markdown, format_table, format_unified

DIFF_OUTPUTS = ["table", "unified", "json", "markdown"]


def connector(kubeconfig: Path | None, context: str | None) -> Connect:
    """How a run connects: the kubeconfig (or in-cluster config), a pool of the run's size."""
    return lambda pool: KubeClient.connect(kubeconfig, context, pool_size=pool)


def print_changes(changes: ChangeSet, summary: AimSummary, output: str, title: str) -> None:
    if output == "unified":
        click.echo(format_unified(changes), nl=False)
    elif output == "json":
        click.echo(format_json(changes, summary), nl=False)
    elif output == "markdown":
        click.echo(format_markdown(changes, summary, title), nl=False)
    else:
        click.echo(format_table(changes, summary), nl=False)


def print_plan(run: SyncRun, output: str) -> ExitCode:
    """A live plan in the chosen format: 0 no change, 1 changes, 3 errors."""
    changes = run.report.changes
    print_changes(changes, summarize_live(changes), output, "aimsync diff: repository → cluster")
    for waiting in run.report.waiting:
        log().note(
            f"AIMService {waiting.service_ref}: InferenceService "
            f"{waiting.inference_service.name} waits for {len(waiting.jobs)} download Job(s)"
        )
    for failure in run.report.failures:
        log().error(str(failure))
    return run.exit_code
