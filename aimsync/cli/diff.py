"""`aimsync diff [PATH] --base REF`: what a change does to the derived objects, offline."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from aimsync.cli import log
from aimsync.cli.cluster import (
    cluster_options,
    connect_or_exit,
    facts_or_exit,
    valid_specs_or_exit,
)
from aimsync.cli.common import echo_findings, exit_with, repository_or_exit
from aimsync.cli.exit_codes import ExitCode
from aimsync.kube.errors import KubeError
from aimsync.load.git_ref import GitRefError, tree_at_ref
from aimsync.pipeline import RenderOutcome, render_repository
from aimsync.plan.compare import compare_sets
from aimsync.plan.summary import RenderedSide, summarize, summarize_live
from aimsync.render.render import CacheState
from aimsync.report.diff import format_json, format_markdown, format_table, format_unified
from aimsync.resolve.facts import ClusterFacts
from aimsync.sync.engine import SyncOptions, SyncReport, reconcile


def _render_side(root: Path, label: str, facts: ClusterFacts | None) -> RenderOutcome:
    # A review wants to see the InferenceServices, so downloads count as done on both sides.
    outcome = render_repository(root, facts=facts, cache_state=CacheState(assume_ready=True))
    if not outcome.ok:
        log.error(f"the repository at {label} is invalid:")
        echo_findings(outcome.findings, outcome.loaded.files_read)
        exit_with(ExitCode.INVALID)
    return outcome


@click.command("diff")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@cluster_options
@click.option("--base", "base", metavar="REF",
              help="Compare with the repository at this Git ref (no cluster needed).")
@click.option("--head", "head", metavar="REF",
              help="The new side as committed at REF (default: the working tree).")
@click.option("-o", "--output", type=click.Choice(["table", "unified", "json", "markdown"]),
              default="table", show_default=True)
@click.option("--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Nodes to match profiles against: the output of `kubectl get nodes -o yaml`.")
def diff_command(
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    base: str | None,
    head: str | None,
    output: str,
    cluster_facts: Path | None,
) -> None:
    """Show what would change: against the live cluster, or (--base) against a Git ref.

    Exit 0 when nothing changes, 1 when something does, 2 for invalid input (either side),
    3 for a cluster error.
    """
    if base is None:
        if head is not None:
            raise click.UsageError("--head goes with --base")
        _live_diff(path, kubeconfig, context, output, cluster_facts)
        return
    repository_or_exit(path)
    facts = facts_or_exit(cluster_facts)
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
        log.error(f"{exc}")
        exit_with(ExitCode.INVALID)


def _live_diff(
    path: Path, kubeconfig: Path | None, context: str | None, output: str,
    cluster_facts: Path | None,
) -> None:
    """The repository against the live cluster: a plan, with dry-run applies; no writes."""
    specs = valid_specs_or_exit(path)
    facts = facts_or_exit(cluster_facts)
    kube = connect_or_exit(kubeconfig, context, 8)
    try:
        report = reconcile(
            kube, specs, SyncOptions(plan_only=True, facts=facts),
            log.progress,
        )
    except KubeError as exc:
        log.error(f"cluster error: {exc}")
        exit_with(ExitCode.FAILURE)
    finally:
        kube.close()
    print_plan(report, output)


def print_plan(report: SyncReport, output: str) -> NoReturn:
    """A live plan in the chosen format; exits 0 (no change), 1 (changes) or 3 (errors)."""
    changes = report.changes
    summary = summarize_live(changes)
    title = "aimsync diff: repository → cluster"
    if output == "unified":
        click.echo(format_unified(changes), nl=False)
    elif output == "json":
        click.echo(format_json(changes, summary), nl=False)
    elif output == "markdown":
        click.echo(format_markdown(changes, summary, title), nl=False)
    else:
        click.echo(format_table(changes, summary), nl=False)
    for waiting in report.waiting:
        log.note(
            f"AIMService {waiting.service}: InferenceService {waiting.inference_service} "
            f"waits for {len(waiting.jobs)} download Job(s)"
        )
    for obj, message in report.failures:
        log.error(f"{obj}: {message}")
    if report.failures:
        exit_with(ExitCode.FAILURE)
    exit_with(ExitCode.CHANGES if changes.has_changes else ExitCode.OK)


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
