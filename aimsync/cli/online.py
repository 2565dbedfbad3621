"""What the commands that talk to a cluster share: the run's events, and printing a plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click

from aimsync.cli.context import log
from aimsync.cli.log import Log
from aimsync.core.exit_codes import ExitCode
from aimsync.findings import Findings
from aimsync.pipeline import SyncRun
from aimsync.plan.changes import ChangeSet
from aimsync.plan.summary import AimSummary, summarize_live
from aimsync.report.diff import format_json, format_markdown, format_table, format_unified

DIFF_OUTPUTS = ["table", "unified", "json", "markdown"]


@dataclass(frozen=True)
class RunEvents:
    """What a run says while it runs: warnings and progress on stderr, and (`on_finished`)
    its report as soon as the cluster part is done, before status is published."""

    log: Log
    on_finished: Callable[[SyncRun], None] | None = None

    def warnings(self, found: Findings, files_read: int) -> None:
        self.log.warnings(found, files_read)

    def progress(self, message: str) -> None:
        self.log.progress(message)

    def finished(self, run: SyncRun) -> None:
        if self.on_finished is not None:
            self.on_finished(run)


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
