"""What every command does the same way: repository checks, findings, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from aimsync.cli import log
from aimsync.cli.exit_codes import ExitCode
from aimsync.findings import Findings


def exit_with(code: ExitCode) -> NoReturn:
    raise SystemExit(int(code))


def repository_or_exit(path: Path) -> None:
    if not path.is_dir():
        log.error(f"{path} is not a folder")
        exit_with(ExitCode.INVALID)


def echo_findings(findings: Findings, files_read: int, *, warnings_only: bool = False) -> None:
    """Findings to stderr, so stdout stays machine-readable."""
    log.findings(findings, files_read, warnings_only=warnings_only)
