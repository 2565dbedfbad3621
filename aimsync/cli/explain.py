"""`aimsync explain [PATH] NAMESPACE/SERVICE`: why this profile was chosen."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli import log
from aimsync.cli.common import echo_findings, exit_with, repository_or_exit
from aimsync.cli.exit_codes import ExitCode
from aimsync.pipeline import render_repository
from aimsync.report.explain import explain_text


@click.command("explain")
@click.argument("args", nargs=-1, required=True)
@click.option("--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Nodes to match profiles against: the output of `kubectl get nodes -o yaml`.")
def explain_command(args: tuple[str, ...], cluster_facts: Path | None) -> None:
    """Explain the profile choice of NAMESPACE/SERVICE in the repository at PATH (default .).

    Usage: aimsync explain [PATH] NAMESPACE/SERVICE
    """
    if len(args) > 2:
        raise click.UsageError("expected [PATH] NAMESPACE/SERVICE")
    path = Path(args[0]) if len(args) == 2 else Path(".")
    target = args[-1]
    if target.count("/") != 1:
        raise click.UsageError(f"{target!r}: name the service as NAMESPACE/SERVICE")
    repository_or_exit(path)
    outcome = render_repository(path, facts_file=cluster_facts)
    if not outcome.ok:
        echo_findings(outcome.findings, outcome.loaded.files_read)
        exit_with(ExitCode.INVALID)
    assert outcome.specs is not None and outcome.resolutions is not None
    namespace, name = target.split("/")
    service = outcome.specs.services.get((namespace, name))
    if service is None:
        known = ", ".join(f"{ns}/{n}" for ns, n in sorted(outcome.specs.services)) or "none"
        log.error(f"no AIMService {target} in {path}; services: {known}")
        exit_with(ExitCode.INVALID)
    resolution = next(r for r in outcome.resolutions if r.service == (namespace, name))
    click.echo(explain_text(service.obj, resolution, cluster_facts is not None), nl=False)
