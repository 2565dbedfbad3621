"""The pull-request comment: the spec-level summary first, then one collapsible section per
changed object, never more than a limit of UTF-8 bytes (GitHub refuses a comment over 65,536
characters).

How the budget is spent (argocd-diff-preview's order, cut only at object boundaries):
1. the head (a hidden marker line for a sticky comment, the title, the counts) and the
   summary; the summary as detailed as fits: every spec and service on its own row, else
   grouped by what changes (every name still listed), else counted per namespace;
2. object sections in order, each whole or not at all;
3. the objects without a section, one line each, while they fit;
4. a closing line that says how many objects were left out and where the full report is,
   and a hidden line with the counts for programs (the composite action reads it).
Every code fence is closed. Without a limit the same renderer writes the full report.
"""

from __future__ import annotations

import json
import re

from msgspec import Struct, field

from aimsync.core.objects import ObjectKey
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.summary import AimSummary, ServiceChange, SpecChange
from aimsync.report.object_diff import unified_object_diff
from aimsync.report.summary import (
    counts,
    field_part,
    origins,
    plural,
    render_parts,
    service_parts,
)

GITHUB_COMMENT_LIMIT = 65_536  # characters of an issue or pull-request comment
DEFAULT_MAX_BYTES = 65_000  # under GitHub's limit, counted on the UTF-8 bytes
STEP_SUMMARY_LIMIT = 1_000_000  # GitHub keeps up to 1 MiB of a step's summary
MARKER = "aimsync-diff"
STATS = "aimsync-diff-stats"
_SMALLEST = 160  # bytes of the smallest object section
_LEVELS = 3  # summary detail: 0 a row each, 1 grouped, 2 counted
_BACKTICKS = re.compile(r"`+")


class MarkdownOptions(Struct, frozen=True):
    max_bytes: int | None = DEFAULT_MAX_BYTES  # None: the full report, nothing left out
    marker: str = MARKER  # the hidden first line a sticky comment is found by
    summary_only: bool = False  # the summary and the object list, no object diffs
    report: str | None = None  # where the full report is: a URL or a file name
    file_prefix: str = ""  # spec files are shown relative to the repository root
    hint: str = "`aimsync diff -o unified`"  # how to see every change without a report


DEFAULT_OPTIONS = MarkdownOptions()


class MarkdownReport(Struct, frozen=True):
    text: str
    total: int  # changed objects
    shown: int  # with their diff
    listed: int  # named without a diff
    level: int  # how detailed the summary is (0 a row each, 1 grouped, 2 counted)

    @property
    def comment(self) -> str:
        return self.text

    @property
    def left_out(self) -> int:
        """Changed objects whose diff is not in the text."""
        return self.total - self.shown


# -- Markdown pieces -----------------------------------------------------------------------


def code(value: str, *, cell: bool = True) -> str:
    """An inline code span that survives any backticks in `value` (and, in a table cell,
    pipes)."""
    runs = [len(m) for m in _BACKTICKS.findall(value)]
    fence = "`" * (max(runs, default=0) + 1)
    padded = f" {value} " if value.startswith("`") or value.endswith("`") else value
    text = f"{fence}{padded}{fence}"
    return text.replace("|", "\\|") if cell else text


def cell(value: str) -> str:
    """Plain text in a table cell: no pipes, no HTML, one line."""
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def _html(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fence(text: str) -> str:
    runs = [len(m) for m in _BACKTICKS.findall(text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


# -- the summary at a level of detail ------------------------------------------------------


def _spec_change_text(spec: SpecChange) -> str:
    if not spec.fields:
        return spec.action.value
    return "<br>".join(
        render_parts([field_part(f, short=False)], code, "→", cell) for f in spec.fields
    )


def _spec_name(spec: SpecChange) -> str:
    if spec.kind == "Settings":
        return code(spec.file)
    scope = f"{spec.namespace}/" if spec.namespace else ""
    return f"{spec.kind} {code(scope + spec.name)}"


def _where(spec: SpecChange) -> str:
    """The file and the line of the first changed field (else of the document)."""
    line = spec.fields[0].line if spec.fields else None
    return f"{spec.file}:{line}" if line else spec.where


def _specs_section(specs: list[SpecChange], level: int, prefix: str) -> list[str]:
    if not specs:
        return []
    out = [f"#### Spec changes ({len(specs):,})", ""]
    if level == 0:
        out += ["| | Spec | What changed (before → after) | File | Objects |",
                "|:-:|---|---|---|--:|"]
        for spec in specs:
            out.append(
                f"| {spec.action.sign} | {_spec_name(spec)} | {_spec_change_text(spec)} | "
                f"{code(prefix + _where(spec))} | {len(spec.objects):,} |"
            )
        return [*out, ""]
    groups: dict[tuple[str, str], list[SpecChange]] = {}
    for spec in specs:
        groups.setdefault((spec.action.sign, _spec_change_text(spec)), []).append(spec)
    out += ["| | Specs | What changed (before → after) | Objects |", "|:-:|---|---|--:|"]
    for (sign, change), members in groups.items():
        if level == 1:
            names = ", ".join(
                f"{_spec_name(s)} ({code(prefix + _where(s))})" for s in members
            )
        else:
            kinds: dict[str, int] = {}
            for s in members:
                kinds[s.kind] = kinds.get(s.kind, 0) + 1
            names = ", ".join(plural(n, kind) for kind, n in sorted(kinds.items()))
        objects = len({k for s in members for k in s.objects})
        out.append(f"| {sign} | {names} | {change} | {objects:,} |")
    return [*out, ""]


def _service_text(service: ServiceChange) -> str:
    text = render_parts(service_parts(service), code, "→", cell)
    return text or service.action.value


def _services_section(services: list[ServiceChange], level: int) -> list[str]:
    if not services:
        return []
    out = [f"#### Services ({len(services):,})", ""]
    if level == 0:
        out += ["| | Service | What changes for it (before → after) | Objects |",
                "|:-:|---|---|--:|"]
        out += [
            f"| {s.action.sign} | {code(s.ref)} | {_service_text(s)} | {len(s.objects):,} |"
            for s in services
        ]
        return [*out, ""]
    groups: dict[tuple[str, str], list[ServiceChange]] = {}
    for service in services:
        groups.setdefault((service.action.sign, _service_text(service)), []).append(service)
    out += ["| | What changes (before → after) | Services |", "|:-:|---|---|"]
    for (sign, change), members in groups.items():
        if level == 1:
            names = ", ".join(code(s.ref) for s in members)
        else:
            per_ns: dict[str, int] = {}
            for s in members:
                per_ns[s.namespace] = per_ns.get(s.namespace, 0) + 1
            names = ", ".join(f"{code(ns)} ({n:,})" for ns, n in sorted(per_ns.items()))
        out.append(f"| {sign} | {change} | {len(members):,}: {names} |")
    return [*out, ""]


def _gpu_section(summary: AimSummary) -> list[str]:
    rows = summary.gpu_namespace_changes
    if not rows:
        return []
    out = ["#### GPU demand (before → after)", "",
           "| Namespace | Accelerator | GPUs before | GPUs after |", "|---|---|--:|--:|"]
    out += [f"| {code(ns)} | {cell(m)} | {b:,} | {a:,} |" for ns, m, b, a in rows]
    out += [f"| **total** | {cell(m)} | {b:,} | {a:,} |" for m, b, a in summary.gpu_changes]
    return [*out, ""]


def _caches_section(summary: AimSummary, level: int) -> list[str]:
    caches = summary.caches
    if not caches:
        return []
    out = [f"#### Caches ({len(caches):,})", ""]
    if level < 2:
        out += ["| | Cache | Source | Size |", "|:-:|---|---|--:|"]
        for c in caches:
            sign = {"added": "+", "removed": "-"}.get(c.action, "~")
            out.append(f"| {sign} | {code(c.namespace + '/' + c.name)} | {code(c.source)} | "
                       f"{cell(c.size)} |")
    else:
        per: dict[str, int] = {}
        for c in caches:
            per[c.action] = per.get(c.action, 0) + 1
        out.append(", ".join(f"{n:,} {action}" for action, n in sorted(per.items())))
    return [*out, ""]


def summary_markdown(summary: AimSummary, level: int = 0, file_prefix: str = "") -> list[str]:
    """The spec-level summary as Markdown lines, at a level of detail."""
    out = _specs_section(summary.specs, level, file_prefix)
    out += _services_section(summary.services, level)
    out += _gpu_section(summary)
    out += _caches_section(summary, level)
    if level and out:
        out += ["_Grouped to fit this comment; the full report lists every spec and service "
                "on its own row._", ""]
    return out


# -- objects -------------------------------------------------------------------------------


def _headline(change: ObjectChange, origin: str | None) -> str:
    where = f" · {_html(origin)}" if origin else ""
    return (f"<code>{change.action.value}</code> {change.key.kind} "
            f"<code>{_html(change.key.namespace)}/{_html(change.key.name)}</code>{where}")


def object_diff(change: ObjectChange, diffs: dict[ObjectKey, str] | None) -> str:
    """The unified diff of a change, made once per report set (`diffs` keeps them)."""
    if diffs is None:
        return unified_object_diff(change)
    if change.key not in diffs:
        diffs[change.key] = unified_object_diff(change)
    return diffs[change.key]


def object_section(change: ObjectChange, origin: str | None,
                   diffs: dict[ObjectKey, str] | None = None) -> str:
    diff = object_diff(change, diffs)
    fence = _fence(diff)
    return (f"<details><summary>{_headline(change, origin)}</summary>\n\n"
            f"{fence}diff\n{diff}{fence}\n\n</details>\n")


def _list_line(change: ObjectChange, origin: str | None) -> str:
    where = f" · {origin}" if origin else ""
    key = change.key
    return f"- {change.action.value} {key.kind} {code(key.namespace + '/' + key.name)}{where}\n"


# -- the whole comment ---------------------------------------------------------------------


def _head(changes: ChangeSet, summary: AimSummary | None, title: str, marker: str) -> str:
    lines = [f"<!-- {marker} -->", f"### {title}", ""]
    facts = []
    if summary is not None:
        if summary.specs:
            facts.append(plural(len(summary.specs), "spec") + " changed")
        if summary.services:
            facts.append(plural(len(summary.services), "service") + " affected")
    facts.append(counts(changes))
    lines += [" · ".join(f"**{f}**" for f in facts), ""]
    return "\n".join(lines) + "\n"


def _stats(changes: ChangeSet, total: int, shown: int) -> str:
    data = {a.value: changes.count(a) for a in Action}
    data |= {"changed": total, "shown": shown, "leftOut": total - shown}
    return f"<!-- {STATS} {json.dumps(data, separators=(',', ':'))} -->\n"


def _footer(total: int, shown: int, listed: int, options: MarkdownOptions) -> str:
    if shown == total:
        return ""
    where = (f"The full report, with every object: {options.report}." if options.report
             else f"Run {options.hint} to see every change.")
    named = f"; {listed:,} of them are named above" if listed else ""
    if options.summary_only:
        return (f"\n**Summary only: the diffs of {total:,} changed objects are left "
                f"out**{named}. {where}\n")
    limit = f" (this comment stays under {options.max_bytes:,} bytes)" if options.max_bytes else ""
    return (f"\n**{total - shown:,} of {total:,} changed objects are not shown here**{limit}: "
            f"their diff is left out{named}. {where}\n")


class _Budget(Struct):
    limit: int | None
    used: int = 0
    parts: list[str] = field(default_factory=list)

    def fits(self, text: str, reserve: int = 0) -> bool:
        return self.limit is None or self.used + _size(text) + reserve <= self.limit

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.used += _size(text)


def render_markdown(
    changes: ChangeSet, summary: AimSummary | None, title: str,
    options: MarkdownOptions = DEFAULT_OPTIONS, diffs: dict[ObjectKey, str] | None = None,
) -> MarkdownReport:
    """`diffs`: unified diffs already made, shared by the reports of one run."""
    changed = changes.changed
    total = len(changed)
    budget = _Budget(options.max_bytes)
    # What the end takes at most: the closing line with the largest numbers, the stats.
    reserve = _size(_footer(total, 0, total, options)) + _size(
        _stats(changes, total, 0)
    )
    budget.add(_head(changes, summary, title, options.marker))
    level = 0
    if summary is not None and not summary.empty:
        for level in range(_LEVELS):
            text = "\n".join(summary_markdown(summary, level, options.file_prefix)) + "\n"
            if budget.fits(text, reserve) or level == _LEVELS - 1:
                break
        if not budget.fits(text, reserve):  # tiny limits: the summary itself is cut
            text = _cut_lines(text, (options.max_bytes or 0) - budget.used - reserve)
        budget.add(text)
    if not changes.has_changes:
        budget.add("No changes to the derived Kubernetes objects.\n")
        return MarkdownReport(_finish(budget, changes, 0, 0, options), 0, 0, 0, level)
    by_origin = origins(summary)
    heading = f"#### Objects ({total:,} changed)\n\n"
    shown = listed = 0
    if budget.fits(heading, reserve):
        budget.add(heading)
        left: list[ObjectChange] = []
        for change in _examples_first(changed):
            if options.summary_only:
                left.append(change)
                continue
            if budget.limit is not None and budget.limit - budget.used - reserve < _SMALLEST:
                left.append(change)  # no section fits any more: not made at all
                continue
            section = object_section(change, by_origin.get(change.key), diffs)
            if budget.fits(section, reserve):
                budget.add(section)
                shown += 1
            else:
                left.append(change)
        listed = _list(budget, left, by_origin, reserve, shown)
    return MarkdownReport(_finish(budget, changes, shown, listed, options), total, shown,
                          listed, level)


def _examples_first(changed: list[ObjectChange]) -> list[ObjectChange]:
    """The first change of each kind and action, then the others in order: a comment that
    cannot show every object shows one of each."""
    seen: set[tuple[str, str]] = set()
    first: list[ObjectChange] = []
    rest: list[ObjectChange] = []
    for change in changed:
        shape = (change.key.kind, change.action.value)
        (rest if shape in seen else first).append(change)
        seen.add(shape)
    return first + rest


def _list(budget: _Budget, left: list[ObjectChange], by_origin: dict[ObjectKey, str],
          reserve: int, shown: int) -> int:
    """The objects without a section, one line each, while they fit."""
    if not left:
        return 0
    verb = "more changed objects" if shown else "changed objects"
    opening = ("\n" if shown else "") + (
        f"<details><summary>{len(left):,} {verb} without their diff</summary>\n\n")
    closing = "\n</details>\n"
    if not budget.fits(opening + closing, reserve):
        return 0
    lines: list[str] = []
    room, size = reserve + _size(opening) + _size(closing), 0
    for change in left:
        line = _list_line(change, by_origin.get(change.key))
        if budget.limit is not None and budget.used + size + _size(line) + room > budget.limit:
            break
        lines.append(line)
        size += _size(line)
    if not lines:
        return 0
    budget.add(opening + "".join(lines) + closing)
    return len(lines)


def _finish(budget: _Budget, changes: ChangeSet, shown: int, listed: int,
            options: MarkdownOptions) -> str:
    total = len(changes.changed)
    budget.add(_footer(total, shown, listed, options))
    budget.add(_stats(changes, total, shown))
    text = "".join(budget.parts)
    if options.max_bytes is not None and _size(text) > options.max_bytes:
        text = _cut_lines(text, options.max_bytes)  # only for limits below any use
    return text


def _cut_lines(text: str, room: int) -> str:
    """Whole lines of `text` within `room` bytes, and a line saying it was cut."""
    note = "\n_(cut to fit the limit)_\n"
    room -= _size(note)
    out, used = [], 0
    for line in text.splitlines(keepends=True):
        if used + _size(line) > room:
            break
        out.append(line)
        used += _size(line)
    return "".join(out) + note if room > 0 else ""
