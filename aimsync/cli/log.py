"""What the commands say on stderr: errors, notes, progress. `--log-format json` makes every
line a JSON object (for a CronJob's log collector); stdout stays the command's output."""

from __future__ import annotations

import datetime as dt
import json

import click

from aimsync.findings import Findings
from aimsync.report.findings import format_text

_format = "text"


def set_format(name: str) -> None:
    global _format
    _format = name


def _emit(level: str, text: str, message: str, fields: dict[str, object]) -> None:
    if _format == "json":
        record = {
            "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": level,
            "message": message,
            **fields,
        }
        click.echo(json.dumps(record, default=str), err=True)
    else:
        click.echo(text, err=True)


def error(message: str, **fields: object) -> None:
    _emit("error", f"aimsync: {message}", message, fields)


def note(message: str, **fields: object) -> None:
    _emit("info", f"note: {message}", message, fields)


def progress(message: str, **fields: object) -> None:
    _emit("info", message, message, fields)


def findings(found: Findings, files_read: int, *, warnings_only: bool = False) -> None:
    """Findings on stderr (stdout stays machine-readable)."""
    kept = Findings(found.warnings) if warnings_only else found
    if not kept.items:
        return
    if _format == "json":
        for finding in kept.sorted():
            _emit(finding.severity.value, "", finding.message, {
                k: v for k, v in finding.to_dict().items() if k not in ("severity", "message")
            })
        return
    text = format_text(kept, files_read)
    click.echo(text.rsplit("\n", 2)[0] if warnings_only else text, err=True)
