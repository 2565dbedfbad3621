"""What a sync did: the change table (kapp-style), what waits, what failed, the requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aimsync.core.errors import AimsyncError
from aimsync.core.halt import Halted
from aimsync.core.results import PublishResult, Result
from aimsync.findings import Findings
from aimsync.plan.changes import Action
from aimsync.report.diff import wait_to
from aimsync.report.table import columns
from aimsync.resolve.resolver import Resolution
from aimsync.sync.report import SyncReport


def _not_deployed(resolutions: Iterable[Resolution]) -> list[Resolution]:
    return [r for r in resolutions if not r.resolved]


def status_json(published: PublishResult | None) -> dict[str, object] | None:
    """What became of the status reports (None: none were asked for)."""
    if published is None:
        return None
    failure = published.failure
    return {
        "changedFiles": list(published.changed_files),
        "commit": published.commit,
        "pushedTo": published.pushed_to,
        "failure": None if failure is None else {
            "step": failure.step.value, "message": failure.message,
        },
    }


def sync_json(
    report: SyncReport, resolutions: Iterable[Resolution], stats: Mapping[str, int],
    published: PublishResult | None = None,
) -> dict[str, object]:
    """The run as data (for a CronJob's log collector or a CI step)."""
    return {
        "result": "Stopped" if report.halted else "Succeeded" if report.ok else "Failed",
        "stopped": report.halted.headline if report.halted else None,
        "changes": [
            {
                "apiVersion": c.key.api_version, "kind": c.key.kind,
                "namespace": c.key.namespace, "name": c.key.name, "op": c.action.value,
                "result": result.value if (result := report.result_of(c.key)) else None,
                "reason": c.reason,
                "message": outcome.message if (outcome := report.outcome_of(c.key)) else "",
            }
            for c in report.changes.changes
        ],
        "waiting": [
            {"service": w.service_ref, "inferenceService": w.inference_service.name,
             "jobs": [job.name for job in w.jobs]}
            for w in report.waiting
        ],
        "notDeployed": [
            {"service": f"{r.service[0]}/{r.service[1]}", "reason": r.reason,
             "message": r.message}
            for r in _not_deployed(resolutions)
        ],
        "deferred": [f"{o.key}: {o.message}" for o in report.deferred],
        "failures": [
            {"object": str(f.key), "cause": f.cause.value, "message": f.message}
            for f in report.failures
        ],
        "requests": dict(stats),
        "objectsWritten": report.object_writes,
        "status": status_json(published),
    }


def failed_run_json(error: AimsyncError) -> dict[str, object]:
    """`sync -o json` for a run that ended before it had a report: why, and the exit code
    (an invalid repository lists its errors; nothing was written then)."""
    findings = getattr(error, "findings", None)
    return {
        "result": "Stopped" if isinstance(error, Halted) else "Failed",
        "exitCode": int(error.exit_code),
        "error": error.headline,
        "findings": [
            {"file": f.location.path, "line": f.location.line, "field": f.field,
             "severity": f.severity.value, "rule": f.rule, "message": f.message}
            for f in findings.sorted()
        ] if isinstance(findings, Findings) else [],
        "changes": [],
        "failures": [],
        # What was sent before it stopped (an invalid or denied repository: reads only).
        "requests": {"reads": 0, "writes": 0, "dryRuns": 0, "retries": 0, "total": 0,
                     **dict(getattr(error, "requests", None) or {})},
    }


def format_sync(
    report: SyncReport, resolutions: Iterable[Resolution], stats: Mapping[str, int], *,
    verbose: bool = False,
) -> str:
    rows = [["NAMESPACE", "NAME", "KIND", "OP", "RESULT", "WAIT TO", "REASON"]]
    for change in report.changes.changes:
        if change.action is Action.UNCHANGED and not verbose:
            continue
        result = report.result_of(change.key)
        rows.append([
            change.key.namespace,
            change.key.name,
            change.key.kind,
            change.action.value,
            result.value if result else ("-" if change.action is not Action.UNCHANGED
                                         else "noop"),
            wait_to(change),
            change.reason,
        ])
    lines: list[str] = []
    if len(rows) > 1:
        lines += [*columns(rows), ""]
    counts = report.changes
    lines.append(
        f"Op: {counts.count(Action.CREATE)} create, {counts.count(Action.UPDATE)} update, "
        f"{counts.count(Action.DELETE)} delete, {counts.count(Action.UNCHANGED)} unchanged, "
        f"{counts.count(Action.SKIP)} skip"
    )
    for waiting in report.waiting:
        lines.append(
            f"Waiting: AIMService {waiting.service_ref}: InferenceService "
            f"{waiting.inference_service.name} is created once {len(waiting.jobs)} download "
            "Job(s) succeed (a later run, or --wait)"
        )
    for resolution in _not_deployed(resolutions):
        namespace, name = resolution.service
        lines.append(
            f"Not deployed: AIMService {namespace}/{name}: {resolution.reason}: "
            f"{resolution.message}"
        )
    lines += [f"Deferred: {o.key}: {o.message}" for o in report.deferred]
    if report.halted is not None:
        left = sum(1 for o in report.outcomes if o.result is Result.HALTED)
        lines.append(f"Stopped: {report.halted.headline}" + (
            f" ({left} object(s) not written yet)" if left else ""))
    failures = report.failures
    if failures:
        lines.append(f"Failed ({len(failures)}):")
        lines += [f"  {failure}" for failure in failures]
    lines.append(
        f"API requests: {stats['total']} (reads {stats['reads']}, dry-runs {stats['dryRuns']}, "
        f"writes {stats['writes']}, retries {stats['retries']}); objects written: "
        f"{report.object_writes}"
    )
    return "\n".join(lines) + "\n"
