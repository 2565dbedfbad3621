"""`aimsync status [PATH]`: the status reports committed under status/, as a table."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli.context import log
from aimsync.core.errors import InvalidInput
from aimsync.core.exit_codes import ExitCode
from aimsync.load.status_tree import STATUS_DIR
from aimsync.pipeline import status_reports
from aimsync.report.json_text import indented_json
from aimsync.report.manifests import to_yaml
from aimsync.report.status import documents, status_table


@click.command("status")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table",
              show_default=True)
def status_command(path: Path, output: str) -> ExitCode:
    """Show the status reports under PATH/status (no cluster needed)."""
    tree = status_reports(path)
    for unreadable in tree.unreadable:
        log().error(f"{unreadable}: not valid YAML; skipped")
    if not tree.documents:
        raise InvalidInput(
            f"no status reports under {path / STATUS_DIR}; run `aimsync sync --commit-status` "
            "(or --write-status) first"
        )
    data = {"items": documents(tree), "summary": dict(tree.summary)}
    if output == "json":
        click.echo(indented_json(data))
    elif output == "yaml":
        click.echo(to_yaml(data), nl=False)
    else:
        click.echo(status_table(tree), nl=False)
    return ExitCode.OK
