"""`aimsync validate [PATH]`: check the repository; no cluster needed."""

from __future__ import annotations

import os
from pathlib import Path

import click

from aimsync.cli.context import facts_option, facts_or_none
from aimsync.cli.log import repository_prefix, rooted
from aimsync.core.exit_codes import ExitCode
from aimsync.pipeline import check_repository
from aimsync.report.findings import format_github, format_json, format_text


@click.command("validate")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: one line per problem, grouped by file; json: a list of findings; github: "
    "GitHub Actions annotations (files named from the repository root: the Git work tree "
    "holding PATH, else $GITHUB_WORKSPACE).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Same as --output (e.g. --format github in a workflow).",
)
@facts_option("Nodes to match profiles against for the GPU budgets (the output of "
              "`kubectl get nodes -o yaml`); without it every profile counts as available.")
def validate_command(
    path: Path, output: str, format_: str | None, cluster_facts: Path | None
) -> ExitCode:
    """Check the AIM specs of the repository at PATH (default: the current folder), and
    the policies of its policies/ folder (ValidatingAdmissionPolicies, GPU budgets).

    Exit 0 when valid (warnings allowed), 2 when not or when a policy denies.
    """
    output = format_ or output
    checked = check_repository(path, facts_or_none(cluster_facts))
    if output == "json":
        click.echo(format_json(checked.findings))
    elif output == "github":
        # GitHub places an annotation by its path from the repository root, whatever PATH is.
        text = format_github(rooted(checked.findings, repository_prefix(path, os.environ)))
        if text:
            click.echo(text)
        summary = format_text(checked.findings, checked.files_read).splitlines()[-1]
        click.echo(summary, err=True)
    else:
        click.echo(format_text(checked.findings, checked.files_read))
    return ExitCode.OK if checked.ok else ExitCode.INVALID
