"""`aimsync diff [PATH]`: what would change: against the live cluster, or (--base) against
the repository at another Git ref, offline."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
from msgspec import Struct

from aimsync.cli.context import FACTS_HELP, cluster_options, facts_option, facts_or_none, log
from aimsync.cli.log import repository_prefix
from aimsync.cli.online import DIFF_OUTPUTS, RunEvents, print_plan, print_verdicts
from aimsync.core.exit_codes import ExitCode
from aimsync.core.objects import ObjectKey
from aimsync.pipeline.offline_diff import diff_refs
from aimsync.pipeline.online import SyncRequest, connect_with, sync_repository
from aimsync.plan.changes import ChangeSet
from aimsync.plan.summary import AimSummary
from aimsync.policy import BudgetChange
from aimsync.report.budgets import budget_lines, budget_markdown, with_budgets
from aimsync.report.diff import format_json, format_table, format_unified
from aimsync.report.html import format_html
from aimsync.report.markdown import (
    DEFAULT_MAX_BYTES,
    STEP_SUMMARY_LIMIT,
    MarkdownOptions,
    render_markdown,
)

MIN_MAX_BYTES = 2_000


class DiffOutput(Struct, frozen=True):
    """Where a diff goes and how the Markdown comment is kept within its limit."""

    output: str
    max_bytes: int = DEFAULT_MAX_BYTES
    output_file: Path | None = None
    summary_only: bool = False
    report_url: str | None = None
    file_prefix: str = ""

    @property
    def full_report(self) -> tuple[Path, Path] | None:
        """The untruncated Markdown and HTML reports beside a Markdown output file."""
        if self.output_file is None or self.output != "markdown":
            return None
        stem = self.output_file.name.removesuffix(".md")
        return (self.output_file.with_name(f"{stem}.full.md"),
                self.output_file.with_name(f"{stem}.full.html"))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def emit_diff(
    changes: ChangeSet, summary: AimSummary, title: str, out: DiffOutput,
    env: Mapping[str, str], budgets: Sequence[BudgetChange] = (),
) -> None:
    """The diff in the chosen format, on stdout or in --output-file (with the full reports
    beside a Markdown comment), and on the job's page when $GITHUB_STEP_SUMMARY is set. The
    GPU budgets' usage before -> after follows (table, Markdown) or is a `budgets` key (JSON);
    in a Markdown comment it counts against the limit."""
    diffs: dict[ObjectKey, str] = {}  # each object's diff is made once for every report
    prefix = out.file_prefix
    full = out.full_report
    report = out.report_url or (full[0].name if full is not None else None)
    budget_section = "\n".join(["", *budget_markdown(budgets), ""]) if budgets else ""
    options = MarkdownOptions(
        max_bytes=out.max_bytes - len(budget_section.encode()), summary_only=out.summary_only,
        report=report, file_prefix=prefix,
    )
    if out.output == "unified":
        text = format_unified(changes, summary, prefix)
    elif out.output == "json":
        text = with_budgets(format_json(changes, summary, prefix), budgets)
    elif out.output == "markdown":
        text = render_markdown(changes, summary, title, options, diffs).text + budget_section
    else:
        text = format_table(changes, summary, prefix)
        if budgets:
            text += "\n".join(["", *budget_lines(budgets), ""])
    if out.output_file is None:
        click.echo(text, nl=False)
    else:
        _write(out.output_file, text)
    if full is not None:
        unlimited = MarkdownOptions(max_bytes=None, file_prefix=prefix)
        _write(full[0], render_markdown(changes, summary, title, unlimited, diffs).text)
        _write(full[1], format_html(changes, summary, title, prefix, diffs))
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        page = MarkdownOptions(max_bytes=STEP_SUMMARY_LIMIT, report=report, file_prefix=prefix)
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(changes, summary, title, page, diffs).text + "\n")


@click.command("diff")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@cluster_options
@click.option("--base", "base", metavar="REF",
              help="Compare with the repository at this Git ref (no cluster needed).")
@click.option("--head", "head", metavar="REF",
              help="The new side as committed at REF (default: the working tree).")
@click.option("-o", "--output", type=click.Choice(DIFF_OUTPUTS), default="table", show_default=True)
@click.option("--max-chars", "max_chars", type=click.IntRange(min=MIN_MAX_BYTES),
              default=DEFAULT_MAX_BYTES, show_default=True,
              help="-o markdown: the comment's limit, counted in UTF-8 bytes (GitHub refuses "
              "comments over 65,536 characters); objects that do not fit are listed or counted.")
@click.option("--summary-only", is_flag=True,
              help="-o markdown: the spec-level summary and the list of objects, no diffs.")
@click.option("--output-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the output here instead of stdout; with -o markdown also the full, "
              "untruncated report beside it (NAME.full.md and NAME.full.html).")
@click.option("--report-url", metavar="URL",
              help="-o markdown: where the full report is published (the comment links it).")
@click.option("-n", "--namespace", "namespaces", multiple=True, metavar="NAMESPACE",
              help="Only this namespace of the repository (repeatable).")
@facts_option(FACTS_HELP)
def diff_command(
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    base: str | None,
    head: str | None,
    output: str,
    max_chars: int,
    summary_only: bool,
    output_file: Path | None,
    report_url: str | None,
    cluster_facts: Path | None,
    namespaces: tuple[str, ...],
) -> ExitCode:
    """Show what would change: against the live cluster, or (--base) against a Git ref.

    Every output starts with the spec-level summary. When $GITHUB_STEP_SUMMARY is set (a
    GitHub Actions step), the Markdown report is added to the job's summary too.

    Exit 0 when nothing changes, 1 when something does, 2 for invalid input (either side) or
    when a policy of policies/ denies (the diff is shown first), 3 for a cluster error.
    """
    if base is None:
        if head is not None:
            raise click.UsageError("--head goes with --base")
        if output_file is not None or summary_only or report_url is not None or (
            max_chars != DEFAULT_MAX_BYTES
        ):
            raise click.UsageError(
                "--output-file, --max-chars, --summary-only and --report-url go with --base "
                "(the live diff prints to stdout; redirect it)"
            )
        request = SyncRequest(path, plan_only=True, facts_file=cluster_facts,
                              namespaces=namespaces)
        return print_plan(
            sync_repository(request, connect_with(kubeconfig, context), RunEvents(log())), output
        )
    diff = diff_refs(path, base, head, facts=facts_or_none(cluster_facts),
                     namespaces=namespaces)
    out = DiffOutput(output, max_chars, output_file, summary_only, report_url,
                     repository_prefix(path, os.environ))
    emit_diff(diff.changes, diff.summary, f"aimsync diff: {diff.title}", out, os.environ,
              diff.budgets)
    denied = print_verdicts(diff.policy, diff.files_read)
    if denied is not None:  # a policy of the new side denies: as invalid input
        return denied
    return ExitCode.CHANGES if diff.changes.has_changes else ExitCode.OK
