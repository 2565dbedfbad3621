"""What a sync did: the change table (kapp-style), what waits, what failed, the requests."""

from __future__ import annotations

from aimsync.plan.changes import Action
from aimsync.report.diff import wait_to
from aimsync.sync.engine import SyncReport


def sync_json(report: SyncReport, stats: dict[str, int]) -> dict[str, object]:
    """The run as data (for a CronJob's log collector or a CI step)."""
    results = {str(o.key): o for o in report.outcomes}
    return {
        "result": "Succeeded" if report.ok else "Failed",
        "changes": [
            {
                "apiVersion": c.key.api_version, "kind": c.key.kind,
                "namespace": c.key.namespace, "name": c.key.name, "op": c.action.value,
                "result": results[str(c.key)].action if str(c.key) in results else None,
                "reason": c.reason,
            }
            for c in report.changes.changes
        ],
        "waiting": [
            {"service": w.service, "inferenceService": w.inference_service, "jobs": list(w.jobs)}
            for w in report.waiting
        ],
        "notDeployed": [
            {"service": f"{r.service[0]}/{r.service[1]}", "reason": r.reason,
             "message": r.message}
            for r in report.resolutions if not r.resolved
        ],
        "deferred": list(report.notes),
        "failures": [{"object": obj, "message": message} for obj, message in report.failures],
        "requests": stats,
        "objectsWritten": report.object_writes,
    }


def format_sync(report: SyncReport, stats: dict[str, int], *, verbose: bool = False) -> str:
    results = {str(o.key): o.action for o in report.outcomes}
    rows = [["NAMESPACE", "NAME", "KIND", "OP", "RESULT", "WAIT TO", "REASON"]]
    for change in report.changes.changes:
        if change.action is Action.UNCHANGED and not verbose:
            continue
        rows.append([
            change.key.namespace,
            change.key.name,
            change.key.kind,
            change.action.value,
            results.get(str(change.key), "-" if change.action is not Action.UNCHANGED else "noop"),
            wait_to(change),
            change.reason,
        ])
    lines: list[str] = []
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]
        lines.append("")
    counts = report.changes
    lines.append(
        f"Op: {counts.count(Action.CREATE)} create, {counts.count(Action.UPDATE)} update, "
        f"{counts.count(Action.DELETE)} delete, {counts.count(Action.UNCHANGED)} unchanged, "
        f"{counts.count(Action.SKIP)} skip"
    )
    for waiting in report.waiting:
        lines.append(
            f"Waiting: AIMService {waiting.service}: InferenceService "
            f"{waiting.inference_service} is created once {len(waiting.jobs)} download Job(s) "
            "succeed (a later run, or --wait)"
        )
    for resolution in report.resolutions:
        if not resolution.resolved:
            namespace, name = resolution.service
            lines.append(
                f"Not deployed: AIMService {namespace}/{name}: {resolution.reason}: "
                f"{resolution.message}"
            )
    lines += [f"Deferred: {note}" for note in report.notes]
    if report.failures:
        lines.append(f"Failed ({len(report.failures)}):")
        lines += [f"  {obj}: {message}" for obj, message in report.failures]
    lines.append(
        f"API requests: {stats['total']} (reads {stats['reads']}, dry-runs {stats['dryRuns']}, "
        f"writes {stats['writes']}, retries {stats['retries']}); objects written: "
        f"{report.object_writes}"
    )
    return "\n".join(lines) + "\n"
