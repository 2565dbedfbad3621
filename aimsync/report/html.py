"""The full diff report as one self-contained HTML page (no scripts, no external files): the
spec-level summary, then every changed object with its diff. Never cut; it is what the
pull-request comment points to when the comment had to leave objects out."""

from __future__ import annotations

from html import escape

from aimsync.core.objects import ObjectKey
from aimsync.plan.changes import ChangeSet
from aimsync.plan.summary import AimSummary
from aimsync.report.markdown import object_diff
from aimsync.report.summary import (
    counts,
    field_part,
    origins,
    plural,
    render_parts,
    service_parts,
)

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 90rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
td.n { text-align: right; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: 12.5px; }
code { background: #eff1f3; padding: 0 .2rem; border-radius: 3px; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; margin: .25rem 0 1rem; }
pre span { display: block; white-space: pre; }
.add { background: #dafbe1; } .del { background: #ffebe9; } .hunk { color: #0550ae; }
.file { color: #59636e; }
details { margin: .2rem 0; } summary { cursor: pointer; }
"""


def _code(value: str) -> str:
    return f"<code>{escape(value)}</code>"


def _table(head: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        cells = "".join(
            f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _summary(summary: AimSummary, file_prefix: str) -> list[str]:
    out: list[str] = []
    if summary.specs:
        rows = []
        for spec in summary.specs:
            change = "<br>".join(
                render_parts([field_part(f, short=False)], _code, "→", escape)
                + (f' <span class="file">(line {f.line})</span>' if f.line else "")
                for f in spec.fields
            ) or escape(spec.action.value)
            rows.append([spec.action.sign, escape(spec.ref), change,
                         _code(file_prefix + spec.where),
                         escape(", ".join(spec.services)) or "", f"{len(spec.objects):,}"])
        out += [f"<h2>Spec changes ({len(summary.specs):,})</h2>", _table(
            ["", "Spec", "What changed (before → after)", "File", "Services", "Objects"], rows,
            frozenset({5}))]
    if summary.services:
        rows = [
            [s.action.sign, _code(s.ref),
             render_parts(service_parts(s), _code, "→", escape) or escape(s.action.value),
             _code(file_prefix + s.file) if s.file else "",
             "<br>".join(escape(str(k)) for k in s.objects)]
            for s in summary.services
        ]
        out += [f"<h2>Services ({len(summary.services):,})</h2>", _table(
            ["", "Service", "What changes for it (before → after)", "File", "Objects"], rows)]
    if summary.gpu_namespace_changes:
        rows = [[_code(ns), escape(m), f"{b:,}", f"{a:,}"]
                for ns, m, b, a in summary.gpu_namespace_changes]
        rows += [["<strong>total</strong>", escape(m), f"{b:,}", f"{a:,}"]
                 for m, b, a in summary.gpu_changes]
        out += ["<h2>GPU demand (before → after)</h2>", _table(
            ["Namespace", "Accelerator", "GPUs before", "GPUs after"], rows, frozenset({2, 3}))]
    if summary.caches:
        rows = [[escape(c.action), _code(f"{c.namespace}/{c.name}"), _code(c.source),
                 escape(c.size)] for c in summary.caches]
        out += [f"<h2>Caches ({len(summary.caches):,})</h2>",
                _table(["", "Cache", "Source", "Size"], rows)]
    return out


def _diff_lines(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            css = "file"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        elif line.startswith("@@"):
            css = "hunk"
        else:
            css = ""
        attr = f' class="{css}"' if css else ""
        out.append(f"<span{attr}>{escape(line)}</span>")
    return "".join(out)


def format_html(
    changes: ChangeSet, summary: AimSummary | None, title: str, file_prefix: str = "",
    diffs: dict[ObjectKey, str] | None = None,
) -> str:
    """`diffs`: unified diffs already made (shared with the Markdown reports)."""
    by_origin = origins(summary)
    facts = []
    if summary is not None and summary.specs:
        facts.append(plural(len(summary.specs), "spec") + " changed")
    if summary is not None and summary.services:
        facts.append(plural(len(summary.services), "service") + " affected")
    facts.append(counts(changes))
    body = [f"<h1>{escape(title)}</h1>", f"<p><strong>{escape(' · '.join(facts))}</strong></p>"]
    if summary is not None:
        body += _summary(summary, file_prefix)
    changed = changes.changed
    if changed:
        body.append(f"<h2>Objects ({len(changed):,} changed)</h2>")
    else:
        body.append("<p>No changes to the derived Kubernetes objects.</p>")
    for change in changed:
        diff = object_diff(change, diffs)
        origin = by_origin.get(change.key)
        where = f" · {escape(origin)}" if origin else ""
        body.append(
            f"<details><summary><code>{escape(change.action.value)}</code> "
            f"{escape(change.key.kind)} {_code(change.key.namespace + '/' + change.key.name)}"
            f"{where}</summary><pre>{_diff_lines(diff)}</pre></details>"
        )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )
