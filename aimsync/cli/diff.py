"""`aimsync diff [PATH]`: what would change: against the live cluster, or (--base) against
the repository at another Git ref, offline."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import FACTS_HELP, cluster_options, facts_option, facts_or_none, log
from aimsync.cli.online import DIFF_OUTPUTS, connector, print_changes, print_plan
from aimsync.core.exit_codes import ExitCode
from aimsync.load.git_ref import tree_at_ref
from aimsync.pipeline import Derived, SyncRequest, render_repository, sync_repository
from aimsync.plan.compare import compare_sets
from aimsync.plan.summary import RenderedSide, summarize
from aimsync.render.gating import CacheState

# A review wants to see the InferenceServices, so downloads count as done on both sides.
REVIEW = CacheState(assume_ready=True)


def _side(derived: Derived) -> RenderedSide:
    return RenderedSide(derived.specs, list(derived.resolved.resolutions))


def _offline(before: Derived, after: Derived, output: str, title: str) -> ExitCode:
    changes = compare_sets(before.gated(REVIEW).objects, after.gated(REVIEW).objects)
    summary = summarize(_side(before), _side(after), changes)
    print_changes(changes, summary, output, f"aimsync diff: {title}")
    return ExitCode.CHANGES if changes.has_changes else ExitCode.OK


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

    Exit 0 when nothing changes, 1 when something does, 2 for invalid input (either side),
    3 for a cluster error.
    """
    if base is None:
        if head is not None:
            raise click.UsageError("--head goes with --base")
        request = SyncRequest(path, plan_only=True, facts_file=cluster_facts)
        return print_plan(
            sync_repository(request, connector(kubeconfig, context), log()), output
        )
    facts = facts_or_none(cluster_facts)
    with tree_at_ref(path, base) as base_root:
        before = render_repository(base_root, facts=facts, label=base)
        if head is None:
            after = render_repository(path, facts=facts, label="the working tree")
            return _offline(before, after, output, f"{base} → working tree")
        with tree_at_ref(path, head) as head_root:
            after = render_repository(head_root, facts=facts, label=head)
            return _offline(before, after, output, f"{base} → {head}")
