"""`aimsync render [PATH]`: print the derived objects; no cluster needed."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli import log
from aimsync.cli.common import echo_findings, exit_with, repository_or_exit
from aimsync.cli.exit_codes import ExitCode
from aimsync.pipeline import render_repository
from aimsync.render.render import CacheState
from aimsync.report.manifests import manifests_json, manifests_yaml


@click.command("render")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.option("-n", "--namespace", "namespaces", multiple=True,
              help="Only objects of this namespace (repeatable).")
@click.option("--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Nodes to match profiles against: the output of `kubectl get nodes -o yaml`.")
@click.option("--assume-caches-ready", is_flag=True,
              help="Render InferenceServices as if every model download had finished.")
def render_command(
    path: Path,
    output: str,
    namespaces: tuple[str, ...],
    cluster_facts: Path | None,
    assume_caches_ready: bool,
) -> None:
    """Print the Kubernetes objects the repository at PATH derives, sorted in apply order.

    The output is accepted by `kubectl apply --server-side -f -` and is byte-identical
    across runs. Notes (services waiting for caches, unresolved profiles) go to stderr.
    """
    repository_or_exit(path)
    outcome = render_repository(
        path, facts_file=cluster_facts, cache_state=CacheState(assume_ready=assume_caches_ready)
    )
    if not outcome.ok:
        echo_findings(outcome.findings, outcome.loaded.files_read)
        exit_with(ExitCode.INVALID)
    assert outcome.desired is not None and outcome.resolutions is not None
    echo_findings(outcome.findings, outcome.loaded.files_read, warnings_only=True)
    objects = [
        o for o in outcome.desired.sorted_objects()
        if not namespaces or o.key.namespace in namespaces
    ]
    click.echo(manifests_json(objects) if output == "json" else manifests_yaml(objects), nl=False)
    for note in outcome.desired.notes:
        log.note(note)
    for resolution in outcome.resolutions:
        if not resolution.resolved and (not namespaces or resolution.service[0] in namespaces):
            namespace, name = resolution.service
            log.note(
                f"AIMService {namespace}/{name}: {resolution.reason}: {resolution.message}"
            )
    for waiting in outcome.desired.waiting:
        if not namespaces or waiting.service.split("/")[0] in namespaces:
            log.note(
                f"AIMService {waiting.service}: InferenceService {waiting.inference_service}"
                f" waits for caches ({len(waiting.jobs)} download Job(s)); "
                "--assume-caches-ready shows it"
            )
