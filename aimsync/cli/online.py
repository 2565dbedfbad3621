"""What the commands that talk to a cluster share: the run's events, and printing a plan."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
from msgspec import Struct

from aimsync.cli.context import log
from aimsync.cli.log import Log
from aimsync.core.exit_codes import ExitCode
from aimsync.findings import Findings
from aimsync.pipeline.online import SyncRun
from aimsync.plan.changes import ChangeSet
from aimsync.plan.summary import AimSummary, summarize_live
from aimsync.policy import BudgetChange, PolicyReport
from aimsync.report.budgets import budget_lines, budget_markdown, with_budgets
from aimsync.report.diff import format_json, format_markdown, format_table, format_unified

DIFF_OUTPUTS = ["table", "unified", "json", "markdown"]


class RunEvents(Struct, frozen=True):
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


def print_changes(
    changes: ChangeSet, summary: AimSummary, output: str, title: str,
    budgets: Sequence[BudgetChange] = (),
) -> None:
    if output == "unified":
        click.echo(format_unified(changes), nl=False)
    elif output == "json":
        click.echo(with_budgets(format_json(changes, summary), budgets), nl=False)
    elif output == "markdown":
        click.echo(format_markdown(changes, summary, title), nl=False)
        if budgets:
            click.echo("\n".join(["", *budget_markdown(budgets)]))
    else:
        click.echo(format_table(changes, summary), nl=False)
        if budgets:
            click.echo("\n".join(["", *budget_lines(budgets)]))


def print_verdicts(policy: PolicyReport, files_read: int) -> ExitCode | None:
    """The policies' findings on stderr; INVALID when one denies (None: none does)."""
    if policy.ok:
        log().warnings(policy.findings, files_read)
        return None
    log().findings(policy.findings, files_read)
    return ExitCode.INVALID


def print_plan(run: SyncRun, output: str) -> ExitCode:
    """A live plan in the chosen format: 0 no change, 1 changes, 2 a policy denies, 3
    errors (the policies' warnings were printed as the run started)."""
    changes = run.report.changes
    print_changes(changes, summarize_live(changes), output, "aimsync diff: repository → cluster",
                  run.budgets)
    if run.denied:
        denials = Findings(run.derived.policy.findings.errors)
        log().findings(denials, run.derived.validated.loaded.files_read)
    for waiting in run.report.waiting:
        log().note(
            f"AIMService {waiting.service_ref}: InferenceService "
            f"{waiting.inference_service.name} waits for {len(waiting.jobs)} download Job(s)"
        )
    for failure in run.report.failures:
        log().error(str(failure))
    if run.denied and run.exit_code is not ExitCode.FAILURE:
        return ExitCode.INVALID
    return run.exit_code
