"""`aimsync render [PATH]`: print the derived objects; no cluster needed."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import FACTS_HELP, facts_option, facts_or_none, log
from aimsync.core.exit_codes import ExitCode
from aimsync.pipeline import render_repository
from aimsync.render.gating import CacheState
from aimsync.report.manifests import manifests_json, manifests_yaml_pieces


@click.command("render")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.option("-n", "--namespace", "namespaces", multiple=True,
              help="Only objects of this namespace (repeatable).")
@facts_option(FACTS_HELP)
@click.option("--assume-caches-ready", is_flag=True,
              help="Render InferenceServices as if every model download had finished.")
def render_command(
    path: Path,
    output: str,
    namespaces: tuple[str, ...],
    cluster_facts: Path | None,
    assume_caches_ready: bool,
) -> ExitCode:
    """Print the Kubernetes objects the repository at PATH derives, sorted in apply order.

    The output is accepted by `kubectl apply --server-side -f -` and is byte-identical
    across runs. Notes (services waiting for caches, unresolved profiles) go to stderr.
    """
    derived = render_repository(path, facts=facts_or_none(cluster_facts))
    gated = derived.gated(CacheState(assume_ready=assume_caches_ready))

    def shown(namespace: str) -> bool:
        return not namespaces or namespace in namespaces

    log().warnings(derived.validated.warnings, derived.validated.loaded.files_read)
    objects = [o for o in gated.objects if shown(o.key.namespace)]
    # YAML piece by piece: the output of thousands of objects is never held whole.
    for piece in [manifests_json(objects)] if output == "json" else manifests_yaml_pieces(objects):
        click.echo(piece, nl=False)
    for note in derived.notes:
        log().note(note)
    for resolution in derived.resolved.resolutions:
        if not resolution.resolved and shown(resolution.service[0]):
            namespace, name = resolution.service
            log().note(
                f"AIMService {namespace}/{name}: {resolution.reason}: {resolution.message}"
            )
    for check in derived.desired.size_checks:
        if shown(check.job.namespace):
            log().note(
                f"{check.source_uri} in {check.job.namespace}: the repository gives no size: "
                f"Job {check.job.name} measures it at sync, the PVC {check.pvc.name} and the "
                "download Job follow (modelSources[].size or defaultCacheSize skips this step)"
            )
    for waiting in gated.waiting:
        if shown(waiting.service[0]):
            log().note(
                f"AIMService {waiting.service_ref}: InferenceService "
                f"{waiting.inference_service.name} waits for caches ({len(waiting.jobs)} "
                "download Job(s)); --assume-caches-ready shows it"
            )
    return ExitCode.OK
