"""`aimsync diff [PATH] --base REF`: what a change does to the derived objects, offline."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.common import echo_findings, exit_with, repository_or_exit
from aimsync.cli.exit_codes import ExitCode
from aimsync.load.git_ref import GitRefError, tree_at_ref
from aimsync.pipeline import RenderOutcome, render_repository
from aimsync.plan.compare import compare_sets
from aimsync.plan.summary import RenderedSide, summarize
from aimsync.render.render import CacheState
from aimsync.report.diff import format_json, format_markdown, format_table, format_unified
from aimsync.resolve.facts import ClusterFacts


def _render_side(root: Path, label: str, facts: ClusterFacts | None) -> RenderOutcome:
    # A review wants to see the InferenceServices, so downloads count as done on both sides.
    outcome = render_repository(root, facts=facts, cache_state=CacheState(assume_ready=True))
    if not outcome.ok:
        click.echo(f"aimsync: the repository at {label} is invalid:", err=True)
        echo_findings(outcome.findings, outcome.loaded.files_read)
        exit_with(ExitCode.INVALID)
    return outcome


@click.command("diff")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--base", "base", metavar="REF",
              help="Compare with the repository at this Git ref (no cluster needed).")
@click.option("--head", "head", metavar="REF",
              help="The new side as committed at REF (default: the working tree).")
@click.option("-o", "--output", type=click.Choice(["table", "unified", "json", "markdown"]),
              default="table", show_default=True)
@click.option("--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Nodes to match profiles against: the output of `kubectl get nodes -o yaml`.")
def diff_command(
    path: Path, base: str | None, head: str | None, output: str, cluster_facts: Path | None
) -> None:
    """Show what would change in the derived Kubernetes objects.

    Exit 0 when nothing changes, 1 when something does, 2 for invalid input on either side.
    """
    if base is None:
        raise click.UsageError(
            "--base REF is required: this version compares two Git revisions offline; "
            "comparing with the live cluster is not available yet"
        )
    repository_or_exit(path)
    facts = None
    if cluster_facts is not None:
        from aimsync.findings import Findings
        from aimsync.load.cluster_facts import load_cluster_facts

        found = Findings()
        facts = load_cluster_facts(cluster_facts, found)
        if found.has_errors:
            echo_findings(found, 0)
            exit_with(ExitCode.INVALID)
    try:
        with tree_at_ref(path, base) as base_root:
            before = _render_side(base_root, base, facts)
            if head is None:
                after = _render_side(path, "the working tree", facts)
                _report(before, after, output, f"{base} → working tree")
            else:
                with tree_at_ref(path, head) as head_root:
                    after = _render_side(head_root, head, facts)
                    _report(before, after, output, f"{base} → {head}")
    except GitRefError as exc:
        click.echo(f"aimsync: {exc}", err=True)
        exit_with(ExitCode.INVALID)


def _report(before: RenderOutcome, after: RenderOutcome, output: str, title: str) -> None:
    assert before.desired is not None and after.desired is not None
    assert before.specs is not None and after.specs is not None
    changes = compare_sets(before.desired.objects, after.desired.objects)
    summary = summarize(
        RenderedSide(before.specs, before.resolutions or []),
        RenderedSide(after.specs, after.resolutions or []),
        changes,
    )
    if output == "unified":
        click.echo(format_unified(changes), nl=False)
    elif output == "json":
        click.echo(format_json(changes, summary), nl=False)
    elif output == "markdown":
        click.echo(format_markdown(changes, summary, f"aimsync diff: {title}"), nl=False)
    else:
        click.echo(format_table(changes, summary), nl=False)
    exit_with(ExitCode.CHANGES if changes.has_changes else ExitCode.OK)
