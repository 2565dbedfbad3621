"""`aimsync validate [PATH]`: check the repository; no cluster needed."""

from __future__ import annotations

from pathlib import Path

import click

from aimsync.cli import log
from aimsync.cli.exit_codes import ExitCode
from aimsync.load.repository import RepositoryNotFound, load_repository
from aimsync.report.findings import format_github, format_json, format_text
from aimsync.validate import validate_repository


@click.command("validate")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: one line per problem, grouped by file; json: a list of findings; github: "
    "GitHub Actions annotations.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Same as --output (e.g. --format github in a workflow).",
)
def validate_command(path: Path, output: str, format_: str | None) -> None:
    """Check the AIM specs of the repository at PATH (default: the current folder).

    Exit 0 when valid (warnings allowed), 2 when not.
    """
    output = format_ or output
    try:
        loaded = load_repository(path)
    except RepositoryNotFound as exc:
        log.error(f"{exc}")
        raise SystemExit(ExitCode.INVALID) from None
    result = validate_repository(loaded)
    if output == "json":
        click.echo(format_json(result.findings))
    elif output == "github":
        text = format_github(result.findings)
        if text:
            click.echo(text)
        click.echo(format_text(result.findings, loaded.files_read).splitlines()[-1], err=True)
    else:
        click.echo(format_text(result.findings, loaded.files_read))
    raise SystemExit(ExitCode.OK if result.ok else ExitCode.INVALID)
