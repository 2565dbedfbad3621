"""A change set for people and programs: table, unified diff, JSON, Markdown (PR comment),
HTML (the full report). Every format starts with the spec-level summary."""

from __future__ import annotations

from aimsync.core.objects import ObjectKey
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.summary import AimSummary, Gpus, ServiceChange, SpecChange
from aimsync.report.embedded import data_patch
from aimsync.report.fields import shown
from aimsync.report.json_text import indented_json
from aimsync.report.markdown import DEFAULT_MAX_BYTES, MarkdownOptions, render_markdown
from aimsync.report.masking import mask_pair
from aimsync.report.object_diff import masked_as_data, unified_object_diff
from aimsync.report.summary import counts, field_part, plural, render_parts, service_parts
from aimsync.report.table import columns

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MarkdownOptions",
    "format_json",
    "format_markdown",
    "format_table",
    "format_unified",
    "masked_as_data",
    "render_markdown",
    "summary_json",
    "summary_lines",
    "unified_object_diff",
    "wait_to",
]


# What a change waits for after it is applied (kapp's "Wait to").
WAIT_TO = {"Job": "download", "InferenceService": "ready", "HTTPRoute": "route"}


def wait_to(change: ObjectChange) -> str:
    if change.action is Action.DELETE:
        return "delete"
    if change.action in (Action.CREATE, Action.UPDATE):
        return WAIT_TO.get(change.key.kind, "apply")
    return "-"


# -- the summary as lines (table, unified) -------------------------------------------------


def _plain_code(value: str) -> str:
    return value


def _spec_lines(spec: SpecChange, file_prefix: str) -> list[str]:
    lines = [f"  {spec.action.sign} {spec.ref}  ({file_prefix}{spec.where})"]
    for field in spec.fields:
        line = f"  (line {field.line})" if field.line else ""
        lines.append("      " + render_parts([field_part(field, short=False)], _plain_code, "->")
                     + line)
    reach = []
    if spec.services and spec.kind != "AIMService":
        reach.append(f"reaches {plural(len(spec.services), 'service')}")
    if spec.objects:
        reach.append(f"{plural(len(spec.objects), 'derived object')} change")
    if reach:
        lines.append("      " + "; ".join(reach))
    return lines


def _service_line(service: ServiceChange) -> str:
    parts = render_parts(service_parts(service), _plain_code, "->")
    return f"  {service.action.sign} service {service.ref}" + (f": {parts}" if parts else "")


def summary_lines(summary: AimSummary, file_prefix: str = "") -> list[str]:
    """The spec-level summary as indented lines (empty when nothing changes at AIM level)."""
    lines: list[str] = []
    if summary.specs:
        lines.append("Spec changes:")
        for spec in summary.specs:
            lines += _spec_lines(spec, file_prefix)
    if summary.services:
        lines.append("Services:")
        lines += [_service_line(s) for s in summary.services]
    gpus = summary.gpu_namespace_changes
    if gpus:
        lines.append("GPU demand:")
        lines += [f"  ~ GPU demand {ns}/{m}: {b} -> {a}" for ns, m, b, a in gpus]
        lines += [f"  ~ GPU demand {m}: {b} -> {a} (total)" for m, b, a in summary.gpu_changes]
    if summary.caches:
        lines.append("Caches:")
        for cache in summary.caches:
            sign = {"added": "+", "removed": "-"}.get(cache.action, "~")
            lines.append(
                f"  {sign} cache {cache.namespace}/{cache.name} ({cache.source}, {cache.size})"
            )
    return lines


def format_table(
    changes: ChangeSet, summary: AimSummary | None, file_prefix: str = ""
) -> str:
    lines: list[str] = []
    if summary is not None and not summary.empty:
        lines += [*summary_lines(summary, file_prefix), ""]
    rows = [["NAMESPACE", "NAME", "KIND", "ACTION", "WAIT TO", "REASON"]]
    for change in [c for c in changes.changes if c.changed or c.action is Action.SKIP]:
        rows.append(
            [change.key.namespace, change.key.name, change.key.kind, change.action.value,
             wait_to(change), change.reason]
        )
    if len(rows) > 1:
        lines += [*columns(rows), ""]
    lines.append(counts(changes) if changes.has_changes else f"no changes ({counts(changes)})")
    return "\n".join(lines) + "\n"


def format_unified(
    changes: ChangeSet, summary: AimSummary | None = None, file_prefix: str = ""
) -> str:
    """`kubectl diff`-style; the summary first, as lines before the first file header (which
    patch tools skip)."""
    head = ""
    if summary is not None and not summary.empty:
        head = "\n".join(summary_lines(summary, file_prefix)) + "\n\n"
    return head + "".join(unified_object_diff(c) for c in changes.changed)


# -- JSON ----------------------------------------------------------------------------------


def _key(key: ObjectKey) -> dict[str, str]:
    return {"kind": key.kind, "namespace": key.namespace, "name": key.name}


def summary_json(summary: AimSummary, file_prefix: str = "") -> dict[str, object]:
    def spec(s: SpecChange) -> dict[str, object]:
        return {
            "kind": s.kind, "namespace": s.namespace, "name": s.name, "action": s.action.value,
            "file": file_prefix + s.file, "line": s.line or None,
            "fields": [shown(f).to_dict() for f in s.fields],
            "services": list(s.services), "objects": [_key(k) for k in s.objects],
        }

    def gpus(value: Gpus | None) -> dict[str, object] | None:
        return None if value is None else {"accelerator": value.model, "count": value.count}

    def service(s: ServiceChange) -> dict[str, object]:
        return {
            "namespace": s.namespace, "name": s.name, "action": s.action.value,
            "file": file_prefix + s.file if s.file else None, "line": s.line or None,
            "profile": {"before": s.profile_before, "after": s.profile_after,
                        "why": s.why or None},
            "fields": [shown(f).to_dict() for f in s.own],
            "profileFields": [shown(f).to_dict() for f in s.profile_fields],
            "gpus": {"before": gpus(s.gpus_before), "after": gpus(s.gpus_after)},
            "objects": [_key(k) for k in s.objects],
        }

    return {
        "specs": [spec(s) for s in summary.specs],
        "services": [service(s) for s in summary.services],
        "gpuDemand": {
            "byNamespace": [
                {"namespace": ns, "accelerator": m, "before": b, "after": a}
                for ns, m, b, a in summary.gpu_namespace_changes
            ],
            "total": [
                {"accelerator": m, "before": b, "after": a} for m, b, a in summary.gpu_changes
            ],
        },
        "caches": [
            {"action": c.action, "namespace": c.namespace, "name": c.name,
             "source": c.source, "size": c.size}
            for c in summary.caches
        ],
    }


def format_json(
    changes: ChangeSet, summary: AimSummary | None, file_prefix: str = ""
) -> str:
    document: dict[str, object] = {}
    document["counts"] = {a.value: changes.count(a) for a in Action}
    if summary is not None:
        document["summary"] = summary_json(summary, file_prefix)
    items = []
    for change in changes.changes:
        item: dict[str, object] = {
            "apiVersion": change.key.api_version,
            "kind": change.key.kind,
            "namespace": change.key.namespace,
            "name": change.key.name,
            "action": change.action.value,
            "reason": change.reason,
        }
        if change.action is Action.UPDATE:
            before, after = masked_as_data(change)
            if before is not None and after is not None:
                item["patch"] = data_patch(before, after)
        elif change.action is Action.CREATE:
            item["object"] = mask_pair(None, change.after)[1]
        items.append(item)
    document["changes"] = items
    return indented_json(document) + "\n"


def format_markdown(
    changes: ChangeSet, summary: AimSummary | None, title: str,
    budget: int = DEFAULT_MAX_BYTES, marker: str = "aimsync-diff",
) -> str:
    """The pull-request comment: summary first, at most `budget` bytes (UTF-8)."""
    options = MarkdownOptions(max_bytes=budget, marker=marker)
    return render_markdown(changes, summary, title, options).comment

