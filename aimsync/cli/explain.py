"""`aimsync explain [PATH] NAMESPACE/SERVICE`: why this profile was chosen."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import FACTS_HELP, facts_option, facts_or_none
from aimsync.core.errors import InvalidInput
from aimsync.core.exit_codes import ExitCode
from aimsync.pipeline import render_repository
from aimsync.report.explain import explain_text


@click.command("explain")
@click.argument("args", nargs=-1, required=True)
@facts_option(FACTS_HELP)
def explain_command(args: tuple[str, ...], cluster_facts: Path | None) -> ExitCode:
    """Explain the profile choice of NAMESPACE/SERVICE in the repository at PATH (default .).

    Usage: aimsync explain [PATH] NAMESPACE/SERVICE
    """
    if len(args) > 2:
        raise click.UsageError("expected [PATH] NAMESPACE/SERVICE")
    path = Path(args[0]) if len(args) == 2 else Path(".")
    target = args[-1]
    if target.count("/") != 1:
        raise click.UsageError(f"{target!r}: name the service as NAMESPACE/SERVICE")
    derived = render_repository(path, facts=facts_or_none(cluster_facts))
    namespace, name = target.split("/")
    service = derived.specs.services.get((namespace, name))
    if service is None:
        known = ", ".join(f"{ns}/{n}" for ns, n in sorted(derived.specs.services)) or "none"
        raise InvalidInput(f"no AIMService {target} in {path}; services: {known}")
    resolution = derived.resolved.of((namespace, name))
    plan = derived.desired.services.get((namespace, name))
    cache = plan.cache if plan is not None else None
    click.echo(explain_text(service.obj, resolution, cluster_facts is not None, cache), nl=False)
    return ExitCode.OK
