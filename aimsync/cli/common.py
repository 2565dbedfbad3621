"""What every command does the same way: repository checks, findings, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from aimsync.cli.exit_codes import ExitCode
from aimsync.findings import Findings
from aimsync.report.findings import format_text


def exit_with(code: ExitCode) -> NoReturn:
    raise SystemExit(int(code))


def repository_or_exit(path: Path) -> None:
    if not path.is_dir():
        click.echo(f"aimsync: {path} is not a folder", err=True)
        exit_with(ExitCode.INVALID)


def echo_findings(findings: Findings, files_read: int, *, warnings_only: bool = False) -> None:
    """Findings to stderr, so stdout stays machine-readable."""
    if warnings_only:
        if not findings.warnings:
            return
        kept = Findings(findings.warnings)
        click.echo(format_text(kept, files_read).rsplit("\n", 2)[0], err=True)
        return
    click.echo(format_text(findings, files_read), err=True)
