"""Status reports as files: one per spec file under status/, a run summary, a README table.

Pure and deterministic: the same state gives the same bytes, so a run that changes nothing
writes nothing new and makes no commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from msgspec import Struct, field

from aimsync.api.kinds import AIM_API_VERSION
from aimsync.load.status_tree import STATUS_DIR
from aimsync.observe.observe import StatusReport
from aimsync.report.fast_yaml import block_yaml

REVISION_ANNOTATION = "aimsync.io/revision"
HISTORY_LENGTH = 5


def status_path(spec_file: str) -> str:
    """namespaces/ml-team/services/chat.yaml -> status/namespaces/ml-team/services/chat.yaml"""
    return str(PurePosixPath(STATUS_DIR) / spec_file)


def status_documents(reports: list[StatusReport], revision: str) -> dict[str, str]:
    """File path (relative to the repository root) -> YAML text, for every spec file."""
    by_file: dict[str, list[StatusReport]] = defaultdict(list)
    for report in reports:
        by_file[report.file].append(report)
    files: dict[str, str] = {}
    for spec_file, entries in sorted(by_file.items()):
        docs = []
        for report in sorted(entries, key=lambda r: r.index):
            metadata: dict[str, Any] = {"name": report.name}
            if report.namespace:
                metadata["namespace"] = report.namespace
            metadata["annotations"] = {REVISION_ANNOTATION: revision}
            docs.append(
                {"apiVersion": AIM_API_VERSION, "kind": report.kind, "metadata": metadata,
                 "status": report.status}
            )
        header = "# Written by aimsync: the status of the specs in " + spec_file + "\n"
        # The block writer: PyYAML's bytes, without a Python node per value (5,000 files).
        files[status_path(spec_file)] = header + "".join(f"---\n{block_yaml(d)}" for d in docs)
    return files


class RunRecord(Struct, frozen=True):
    revision: str
    started_at: str
    duration_seconds: float
    result: str  # Succeeded | Failed
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "startedAt": self.started_at,
            "durationSeconds": round(self.duration_seconds, 1),
            "result": self.result,
            "counts": dict(sorted(self.counts.items())),
        }


def summary_text(
    record: RunRecord, previous: Mapping[str, Any], changed: bool
) -> str | None:
    """The new summary, or None when this run changes nothing worth recording: same revision,
    same result, nothing written, no status file changed (keeps a no-op run commit-free).
    `previous`: the summary the last run wrote."""
    history = [h for h in previous.get("history") or [] if isinstance(h, dict)]
    last = history[0] if history else None
    if (
        not changed
        and last is not None
        and last.get("revision") == record.revision
        and last.get("result") == record.result
    ):
        return None
    history = [record.as_dict(), *history][:HISTORY_LENGTH]
    document = {"revision": record.revision, "lastRun": record.as_dict(), "history": history}
    return "# Written by aimsync: its last runs, newest first.\n" + block_yaml(document)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def readme_text(reports: list[StatusReport], revision: str) -> str:
    """A table that reads well on GitHub (no timestamps: it changes only with the state)."""
    lines = [
        "# Status",
        "",
        f"Written by aimsync for revision `{revision[:12]}`. Do not edit: the next run "
        "rewrites this folder.",
        "",
        "## Services",
        "",
        "| Service | Namespace | Status | Profile | Replicas | Message |",
        "|---|---|---|---|---|---|",
    ]
    for report in sorted(
        (r for r in reports if r.kind == "AIMService"), key=lambda r: (r.namespace or "", r.name)
    ):
        status = report.status
        ready: dict[str, Any] = next(
            (c for c in status.get("conditions", []) if c.get("type") == "Ready"), {}
        )
        message = "" if ready.get("status") == "True" else ready.get("message", "")
        profile = (status.get("resolvedProfile") or {}).get("name", "-")
        replicas = (status.get("runtime") or {}).get("replicas", "-")
        lines.append(
            f"| {_cell(report.name)} | {_cell(report.namespace)} | {status.get('status')} | "
            f"{_cell(profile)} | {replicas} | {_cell(message)} |"
        )
    lines += ["", "## Profiles", "", "| Profile | Scope | Status | Hardware | Matching nodes |",
              "|---|---|---|---|---|"]
    for report in sorted(
        (r for r in reports if r.kind in ("AIMProfile", "AIMClusterProfile")),
        key=lambda r: (r.namespace or "", r.name),
    ):
        status = report.status
        scope = report.namespace or "cluster"
        nodes = status.get("matchingNodes", "-")
        lines.append(
            f"| {_cell(report.name)} | {scope} | {status.get('status')} | "
            f"{_cell(status.get('hardwareSummary', ''))} | {nodes} |"
        )
    caches = [r for r in reports if r.kind == "AIMProfileCache"]
    if caches:
        lines += ["", "## Caches", "", "| Cache | Namespace | Status |", "|---|---|---|"]
        for report in sorted(caches, key=lambda r: (r.namespace or "", r.name)):
            lines.append(
                f"| {_cell(report.name)} | {report.namespace} | {report.status.get('status')} |"
            )
    return "\n".join(lines) + "\n"
