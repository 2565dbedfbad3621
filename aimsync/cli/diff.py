"""`aimsync diff [PATH]`: what would change: against the live cluster, or (--base) against
the repository at another Git ref, offline."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import FACTS_HELP, cluster_options, facts_option, facts_or_none, log
from aimsync.cli.online import (
    DIFF_OUTPUTS,
    RunEvents,
    print_changes,
    print_plan,
    print_verdicts,
)
from aimsync.core.exit_codes import ExitCode
from aimsync.pipeline import SyncRequest, connect_with, diff_refs, sync_repository


@click.command("diff")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@cluster_options
@click.option("--base", "base", metavar="REF",
              help="Compare with the repository at this Git ref (no cluster needed).")
@click.option("--head", "head", metavar="REF",
              help="The new side as committed at REF (default: the working tree).")
@click.option("-o", "--output", type=click.Choice(DIFF_OUTPUTS), default="table", show_default=True)
@facts_option(FACTS_HELP)
def diff_command(
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    base: str | None,
    head: str | None,
    output: str,
    cluster_facts: Path | None,
) -> ExitCode:
    """Show what would change: against the live cluster, or (--base) against a Git ref.

    Exit 0 when nothing changes, 1 when something does, 2 for invalid input (either side) or
    when a policy of policies/ denies (the diff is shown first), 3 for a cluster error.
    """
    if base is None:
        if head is not None:
            raise click.UsageError("--head goes with --base")
        request = SyncRequest(path, plan_only=True, facts_file=cluster_facts)
        return print_plan(
            sync_repository(request, connect_with(kubeconfig, context), RunEvents(log())), output
        )
    diff = diff_refs(path, base, head, facts=facts_or_none(cluster_facts))
    print_changes(diff.changes, diff.summary, output, f"aimsync diff: {diff.title}",
                  diff.budgets)
    denied = print_verdicts(diff.policy, diff.files_read)
    if denied is not None:  # a policy of the new side denies: as invalid input
        return denied
    return ExitCode.CHANGES if diff.changes.has_changes else ExitCode.OK
