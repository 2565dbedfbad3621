"""`aimsync status`: the reports of the last run (status/), as a table or as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aimsync.load.status_tree import StatusDocument, StatusTree
from aimsync.report.table import columns


def _ordered(tree: StatusTree) -> list[StatusDocument]:
    """By kind, namespace and name."""
    return sorted(tree.documents, key=lambda d: (d.kind, d.namespace or "", d.name))


def documents(tree: StatusTree) -> list[Mapping[str, Any]]:
    return [d.content for d in _ordered(tree)]


def _ready_message(status: Mapping[str, Any]) -> str:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") != "True":
            return str(condition.get("message", ""))
    return ""


def status_table(tree: StatusTree) -> str:
    rows = [["KIND", "NAMESPACE", "NAME", "STATUS", "PROFILE / HARDWARE", "REPLICAS", "MESSAGE"]]
    for document in _ordered(tree):
        status = document.status
        if document.kind == "AIMService":
            detail = (status.get("resolvedProfile") or {}).get("name", "-")
            replicas = (status.get("runtime") or {}).get("replicas", "-")
        else:
            detail = status.get("hardwareSummary", "-")
            replicas = "-"
        rows.append([
            document.kind, document.namespace or "-", document.name,
            str(status.get("status", "-")), str(detail), str(replicas), _ready_message(status),
        ])
    lines = columns(rows)
    last = tree.summary.get("lastRun") or {}
    if last:
        lines += ["", f"Last run: {last.get('result')} at {last.get('startedAt')} for revision "
                  f"{str(last.get('revision', ''))[:12]} ({last.get('durationSeconds')} s)"]
    return "\n".join(lines) + "\n"
