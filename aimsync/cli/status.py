"""`aimsync status [PATH]`: the status reports committed under status/, as a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from aimsync.cli import log
from aimsync.cli.common import exit_with, repository_or_exit
from aimsync.cli.exit_codes import ExitCode
from aimsync.commit.git_ops import read_status_tree
from aimsync.commit.status_files import README_FILE, STATUS_DIR, SUMMARY_FILE
from aimsync.report.manifests import to_yaml


def read_reports(root: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for relative, text in read_status_tree(root).items():
        if relative == f"{STATUS_DIR}/{README_FILE}":
            continue
        try:
            loaded = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            log.error(f"{relative}: not valid YAML; skipped")
            continue
        if relative == f"{STATUS_DIR}/{SUMMARY_FILE}":
            summary = loaded[0] if loaded and isinstance(loaded[0], dict) else {}
            continue
        documents += [d for d in loaded if isinstance(d, dict)]
    documents.sort(key=lambda d: (
        str(d.get("kind")), str((d.get("metadata") or {}).get("namespace", "")),
        str((d.get("metadata") or {}).get("name")),
    ))
    return documents, summary


def _ready_message(status: dict[str, Any]) -> str:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") != "True":
            return str(condition.get("message", ""))
    return ""


def table(documents: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    rows = [["KIND", "NAMESPACE", "NAME", "STATUS", "PROFILE / HARDWARE", "REPLICAS", "MESSAGE"]]
    for doc in documents:
        metadata = doc.get("metadata") or {}
        status = doc.get("status") or {}
        if doc.get("kind") == "AIMService":
            detail = (status.get("resolvedProfile") or {}).get("name", "-")
            replicas = (status.get("runtime") or {}).get("replicas", "-")
        else:
            detail = status.get("hardwareSummary", "-")
            replicas = "-"
        rows.append([
            str(doc.get("kind")), str(metadata.get("namespace", "-")), str(metadata.get("name")),
            str(status.get("status", "-")), str(detail), str(replicas), _ready_message(status),
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    last = summary.get("lastRun") or {}
    if last:
        lines += ["", f"Last run: {last.get('result')} at {last.get('startedAt')} for revision "
                  f"{str(last.get('revision', ''))[:12]} ({last.get('durationSeconds')} s)"]
    return "\n".join(lines) + "\n"


@click.command("status")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table",
              show_default=True)
def status_command(path: Path, output: str) -> None:
    """Show the status reports under PATH/status (no cluster needed)."""
    repository_or_exit(path)
    documents, summary = read_reports(path)
    if not documents:
        log.error(f"no status reports under {path / STATUS_DIR}; run `aimsync sync "
                  "--commit-status` (or --write-status) first")
        exit_with(ExitCode.INVALID)
    if output == "json":
        click.echo(json.dumps({"items": documents, "summary": summary}, indent=2))
    elif output == "yaml":
        click.echo(to_yaml({"items": documents, "summary": summary}), nl=False)
    else:
        click.echo(table(documents, summary), nl=False)
