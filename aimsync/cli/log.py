"""What the commands say on stderr: errors, notes, progress, findings. `--log-format json`
makes every line a JSON object (for a CronJob's log collector); stdout stays the command's
output."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum

import click

from aimsync.findings import Findings
from aimsync.report.findings import format_text


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True)
class Log:
    format: LogFormat = LogFormat.TEXT

    def _emit(self, level: str, text: str, message: str, fields: dict[str, object]) -> None:
        if self.format is LogFormat.JSON:
            record = {
                "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "level": level,
                "message": message,
                **fields,
            }
            click.echo(json.dumps(record, default=str), err=True)
        else:
            click.echo(text, err=True)

    def error(self, message: str, **fields: object) -> None:
        self._emit("error", f"aimsync: {message}", message, fields)

    def note(self, message: str, **fields: object) -> None:
        self._emit("info", f"note: {message}", message, fields)

    def progress(self, message: str) -> None:
        self._emit("info", message, message, {})

    def findings(self, found: Findings, files_read: int) -> None:
        """Every finding, with the summary line (an invalid repository)."""
        self._findings(found, files_read, warnings_only=False)

    def warnings(self, found: Findings, files_read: int) -> None:
        """The warnings of a valid repository, without a summary line."""
        self._findings(Findings(found.warnings), files_read, warnings_only=True)

    def _findings(self, found: Findings, files_read: int, *, warnings_only: bool) -> None:
        if not found.items:
            return
        if self.format is LogFormat.JSON:
            for finding in found.sorted():
                self._emit(finding.severity.value, "", finding.message, {
                    k: v for k, v in finding.to_dict().items() if k not in ("severity", "message")
                })
            return
        text = format_text(found, files_read)
        click.echo(text.rsplit("\n", 2)[0] if warnings_only else text, err=True)
