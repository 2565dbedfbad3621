"""The spec-level summary (aimsync.plan.summary) in words, shared by every diff format: the
parts of what changes for a spec or a service, each `label before → after`."""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from aimsync.core.objects import ObjectKey
from aimsync.plan.changes import Action, ChangeSet
from aimsync.plan.compare import FieldChange
from aimsync.plan.summary import AimSummary, Change, ServiceChange, SpecChange
from aimsync.report.fields import Arrow, ShownChange, arrow, shown


class Part(Struct, frozen=True):
    """`label before → after (note)`; without an arrow just `label (note)`."""

    label: str
    arrow: Arrow | None = None
    note: str = ""
    group: tuple[Part, ...] = ()  # `label part, part, ...` (the fields of one profile)


Code = Callable[[str], str]  # how a value is quoted: as is (text), `in backticks` (Markdown)


def _same(value: str) -> str:
    return value


def render_parts(parts: list[Part], code: Code, to: str, text_of: Code = _same) -> str:
    """`label before → after (note)` joined by `; `; labels and notes through `text_of`
    (escaping for Markdown or HTML), values through `code`."""
    out = []
    for part in parts:
        text = text_of(part.label)
        if part.group:
            text += " " + render_parts(list(part.group), code, to, text_of).replace("; ", ", ")
        if part.arrow is not None:
            before, after = part.arrow.before, part.arrow.after
            if before is None:
                text += f" {code(after or '')} (new)"
            elif after is None:
                text += f" {code(before)} (gone)"
            else:
                text += f" {code(before)} {to} {code(after)}"
        if part.note:
            text += f" ({text_of(part.note)})"
        out.append(text.strip())
    return "; ".join(out)


def field_part(change: FieldChange, prefix: str = "", short: bool = True) -> Part:
    value: ShownChange = shown(change)
    path = change.short_path if short else change.path
    return Part(f"{prefix}{path}", arrow(value))


def service_parts(service: ServiceChange) -> list[Part]:
    """What changes for a service (its action, added or removed, is the caller's to show)."""
    parts: list[Part] = []
    if service.action is Change.ADDED:
        if service.profile_after:
            parts.append(Part("profile", Arrow(None, service.profile_after)))
        elif service.why:
            parts.append(Part("not deployed", note=service.why))
    elif service.action is Change.CHANGED:
        parts += [field_part(f) for f in service.own]
        if service.switched:
            parts.append(Part(
                "profile",
                Arrow(service.profile_before or "none", service.profile_after or "none"),
                service.why,
            ))
        elif service.profile_fields and service.profile_after:
            parts.append(Part(f"profile {service.profile_after}:",
                              group=tuple(field_part(f) for f in service.profile_fields)))
    if service.gpus_changed:
        parts.append(Part("GPUs", Arrow(
            str(service.gpus_before) if service.gpus_before else "0",
            str(service.gpus_after) if service.gpus_after else "0",
        )))
    if not parts and service.action is Change.CHANGED:
        parts.append(Part("derived objects change"))
    return parts


def spec_parts(spec: SpecChange) -> list[Part]:
    """The fields of a changed spec (an added or removed one has none)."""
    return [field_part(f, short=False) for f in spec.fields]


def counts(changes: ChangeSet) -> str:
    text = (
        f"{changes.count(Action.CREATE):,} to create, {changes.count(Action.UPDATE):,} to "
        f"update, {changes.count(Action.DELETE):,} to delete, "
        f"{changes.count(Action.UNCHANGED):,} unchanged"
    )
    skipped = changes.count(Action.SKIP)
    return text + (f", {skipped:,} skipped" if skipped else "")


def origins(summary: AimSummary | None) -> dict[ObjectKey, str]:
    """The spec each changed object is shown under: its service, else the spec it comes from."""
    out: dict[ObjectKey, str] = {}
    if summary is None:
        return out
    for service in summary.services:
        for key in service.objects:
            out.setdefault(key, f"AIMService {service.ref}")
    for spec in summary.specs:
        for key in spec.objects:
            out.setdefault(key, spec.ref)
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
