"""What the commands say on stderr: errors, notes, progress, findings. `--log-format json`
makes every line a JSON object (for a CronJob's log collector); stdout stays the command's
output. Also: file names as the repository root names them (GitHub annotations)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import click
from msgspec import Struct
from msgspec.structs import replace

from aimsync.findings import Findings
from aimsync.report.findings import format_text


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Log(Struct, frozen=True):
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


# -- paths as the repository names them ----------------------------------------------------


def repository_root(path: Path, env: Mapping[str, str]) -> Path | None:
    """The top of the Git work tree that holds `path` (the nearest folder with a `.git`
    entry: a clone, a worktree or a submodule), else `$GITHUB_WORKSPACE` when it holds
    `path`, else None."""
    folder = path.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    workspace = env.get("GITHUB_WORKSPACE")
    if workspace:
        top = Path(workspace).resolve()
        if folder == top or top in folder.parents:
            return top
    return None


def repository_prefix(path: Path, env: Mapping[str, str]) -> str:
    """What to put before a file name relative to `path` so that it is relative to the
    repository root (`deploy/aim/`; empty at the root or outside any repository)."""
    top = repository_root(path, env)
    if top is None:
        return ""
    relative = path.resolve().relative_to(top).as_posix()
    return "" if relative == "." else f"{relative}/"


def rooted(found: Findings, prefix: str) -> Findings:
    """The findings with their files named from the repository root."""
    if not prefix:
        return found
    return Findings([
        replace(f, location=replace(f.location, path=prefix + f.location.path))
        for f in found.items
    ])
