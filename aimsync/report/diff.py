"""A change set for people and programs: table, unified diff, JSON, Markdown (PR comment)."""

from __future__ import annotations

import difflib
import json

from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.compare import json_patch
from aimsync.plan.summary import AimSummary
from aimsync.report.manifests import to_yaml
from aimsync.report.masking import mask_pair
from aimsync.report.table import columns

MARKDOWN_BUDGET = 60_000  # GitHub comments hold 65,536 characters


def _masked(change: ObjectChange) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    return mask_pair(change.before, change.after)


def unified_object_diff(change: ObjectChange) -> str:
    before, after = _masked(change)
    name = f"{change.key.kind}/{change.key.namespace}/{change.key.name}"
    # Keys sorted on both sides, so that only values and real additions show (as kubectl).
    lines = difflib.unified_diff(
        to_yaml(before, sort_keys=True).splitlines(keepends=True) if before else [],
        to_yaml(after, sort_keys=True).splitlines(keepends=True) if after else [],
        fromfile=f"a/{name}" if before else "/dev/null",
        tofile=f"b/{name}" if after else "/dev/null",
    )
    return "".join(lines)


# What a change waits for after it is applied (kapp's "Wait to").
WAIT_TO = {"Job": "download", "InferenceService": "ready", "HTTPRoute": "route"}


def wait_to(change: ObjectChange) -> str:
    if change.action is Action.DELETE:
        return "delete"
    if change.action in (Action.CREATE, Action.UPDATE):
        return WAIT_TO.get(change.key.kind, "apply")
    return "-"


def _counts(changes: ChangeSet) -> str:
    text = (
        f"{changes.count(Action.CREATE)} to create, {changes.count(Action.UPDATE)} to update, "
        f"{changes.count(Action.DELETE)} to delete, {changes.count(Action.UNCHANGED)} unchanged"
    )
    skipped = changes.count(Action.SKIP)
    return text + (f", {skipped} skipped" if skipped else "")


def summary_lines(summary: AimSummary) -> list[str]:
    lines: list[str] = []
    for service in summary.services_added:
        lines.append(f"+ service {service}")
    for service in summary.services_removed:
        lines.append(f"- service {service}")
    for switch in summary.switches:
        lines.append(
            f"~ {switch.service}: profile {switch.before} -> {switch.after} ({switch.why})"
        )
    for model, before, after in summary.gpu_changes:
        lines.append(f"~ GPU demand {model}: {before} -> {after}")
    for cache in summary.caches:
        sign = {"added": "+", "removed": "-"}.get(cache.action, "~")
        lines.append(
            f"{sign} cache {cache.namespace}/{cache.name} ({cache.source}, {cache.size})"
        )
    return lines


def format_table(changes: ChangeSet, summary: AimSummary | None) -> str:
    lines: list[str] = []
    if summary is not None and not summary.empty:
        lines += ["AIM changes:", *(f"  {line}" for line in summary_lines(summary)), ""]
    rows = [["NAMESPACE", "NAME", "KIND", "ACTION", "WAIT TO", "REASON"]]
    for change in [c for c in changes.changes if c.changed or c.action is Action.SKIP]:
        rows.append(
            [change.key.namespace, change.key.name, change.key.kind, change.action.value,
             wait_to(change), change.reason]
        )
    if len(rows) > 1:
        lines += [*columns(rows), ""]
    lines.append(_counts(changes) if changes.has_changes else f"no changes ({_counts(changes)})")
    return "\n".join(lines) + "\n"


def format_unified(changes: ChangeSet) -> str:
    return "".join(unified_object_diff(c) for c in changes.changed)


def format_json(changes: ChangeSet, summary: AimSummary | None) -> str:
    items = []
    for change in changes.changes:
        before, after = _masked(change)
        item: dict[str, object] = {
            "apiVersion": change.key.api_version,
            "kind": change.key.kind,
            "namespace": change.key.namespace,
            "name": change.key.name,
            "action": change.action.value,
            "reason": change.reason,
        }
        if change.action is Action.UPDATE and before is not None and after is not None:
            item["patch"] = list(json_patch(before, after))
        elif change.action is Action.CREATE:
            item["object"] = after
        items.append(item)
    document: dict[str, object] = {"changes": items}
    if summary is not None:
        document["aim"] = {
            "servicesAdded": summary.services_added,
            "servicesRemoved": summary.services_removed,
            "profileSwitches": [
                {"service": s.service, "from": s.before, "to": s.after, "why": s.why}
                for s in summary.switches
            ],
            "gpuDemand": [
                {"accelerator": m, "before": b, "after": a} for m, b, a in summary.gpu_changes
            ],
            "caches": [
                {"action": c.action, "namespace": c.namespace, "name": c.name,
                 "source": c.source, "size": c.size}
                for c in summary.caches
            ],
        }
    return json.dumps(document, indent=2) + "\n"


def _markdown_summary(summary: AimSummary) -> list[str]:
    out: list[str] = []
    if summary.services_added or summary.services_removed:
        out.append("**Services:** " + ", ".join(
            [f"added `{s}`" for s in summary.services_added]
            + [f"removed `{s}`" for s in summary.services_removed]
        ))
        out.append("")
    if summary.switches:
        out += ["| Service | Profile before | Profile after | Why |", "|---|---|---|---|"]
        out += [f"| `{s.service}` | `{s.before}` | `{s.after}` | {s.why} |"
                for s in summary.switches]
        out.append("")
    if summary.gpu_changes:
        out += ["| Accelerator | GPUs before | GPUs after |", "|---|---:|---:|"]
        out += [f"| {m} | {b} | {a} |" for m, b, a in summary.gpu_changes]
        out.append("")
    if summary.caches:
        out += ["| Cache | Change | Source | Size |", "|---|---|---|---|"]
        out += [f"| `{c.namespace}/{c.name}` | {c.action} | `{c.source}` | {c.size} |"
                for c in summary.caches]
        out.append("")
    return out


def format_markdown(
    changes: ChangeSet, summary: AimSummary | None, title: str, budget: int = MARKDOWN_BUDGET
) -> str:
    """Summary first, one collapsible section per object, cut only between objects."""
    head = [f"### {title}", "", f"**{_counts(changes)}**", ""]
    if summary is not None and not summary.empty:
        head += ["#### AIM changes", "", *_markdown_summary(summary)]
    if not changes.has_changes:
        return "\n".join([*head, "No changes to the derived Kubernetes objects."]) + "\n"
    head += ["#### Objects", "", "| Action | Kind | Object |", "|---|---|---|"]
    head += [
        f"| {c.action.value} | {c.key.kind} | `{c.key.namespace}/{c.key.name}` |"
        for c in changes.changed
    ]
    head.append("")
    text = "\n".join(head) + "\n"
    left_out = 0
    for change in changes.changed:
        diff = unified_object_diff(change).replace("```", "` ` `")
        section = (
            f"<details><summary>{change.action.value} {change.key.kind} "
            f"{change.key.namespace}/{change.key.name}</summary>\n\n```diff\n{diff}```\n\n"
            "</details>\n"
        )
        if len(text) + len(section) > budget - 200:
            left_out += 1
            continue
        text += section
    if left_out:
        text += (
            f"\n_{left_out} more changed object(s) did not fit in this comment; run "
            "`aimsync diff -o unified` to see every change._\n"
        )
    return text
