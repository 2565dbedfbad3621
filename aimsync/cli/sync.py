"""`aimsync sync [PATH]`: apply the repository to the cluster."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.cluster import (
    cluster_options,
    connect_or_exit,
    parse_duration,
    valid_specs_or_exit,
)
from aimsync.cli.common import exit_with
from aimsync.cli.diff import print_plan
from aimsync.cli.exit_codes import ExitCode
from aimsync.findings import Findings
from aimsync.kube.errors import KubeError
from aimsync.kube.lock import LockHeld
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.report.sync import format_sync
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
              default="table", show_default=True, help="Output of --dry-run.")
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
) -> None:
    """Server-side-apply the objects the repository at PATH derives, in order, with gating.

    Exit 0 success, 2 invalid input, 3 cluster failure (what failed is listed), 4 another run
    holds the lock. With --dry-run: 0 no change, 1 changes.
    """
    specs = valid_specs_or_exit(path)
    facts = None
    if cluster_facts is not None:
        found = Findings()
        facts = load_cluster_facts(cluster_facts, found)
        if found.has_errors:
            for finding in found.errors:
                click.echo(f"{finding.location}: error: {finding.message}", err=True)
            exit_with(ExitCode.INVALID)
    options = SyncOptions(
        plan_only=dry_run,
        prune=prune,
        allow_empty=allow_empty,
        prune_shared_caches=prune_shared_caches,
        force_conflicts=force_conflicts,
        wait_seconds=parse_duration(wait) if wait is not None else None,
        concurrency=concurrency,
        facts=facts,
    )
    kube = connect_or_exit(kubeconfig, context, concurrency)
    try:
        report = reconcile(kube, specs, options, lambda line: click.echo(line, err=True))
    except LockHeld as exc:
        click.echo(f"aimsync: {exc}", err=True)
        exit_with(ExitCode.LOCKED)
    except KubeError as exc:
        click.echo(f"aimsync: cluster error: {exc}", err=True)
        exit_with(ExitCode.FAILURE)
    finally:
        kube.close()
    stats = kube.stats.as_dict()
    if dry_run:
        print_plan(report, output)
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    click.echo(format_sync(report, stats, verbose=verbose), nl=False)
    exit_with(ExitCode.OK if report.ok else ExitCode.FAILURE)
