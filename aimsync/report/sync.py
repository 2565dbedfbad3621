"""What a sync did: the change table (kapp-style), what waits, what failed, the requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aimsync.core.results import PublishResult
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
        "result": "Succeeded" if report.ok else "Failed",
        "changes": [
            {
                "apiVersion": c.key.api_version, "kind": c.key.kind,
                "namespace": c.key.namespace, "name": c.key.name, "op": c.action.value,
                "result": result.value if (result := report.result_of(c.key)) else None,
                "reason": c.reason,
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
