"""Findings as text (grouped by file), JSON, or GitHub Actions annotations."""

from __future__ import annotations

from aimsync.findings import Finding, Findings, Severity
from aimsync.report.json_text import indented_json


def _summary(findings: list[Finding], files_read: int) -> str:
    errors = sum(1 for f in findings if f.is_error)
    notices = sum(1 for f in findings if f.severity is Severity.NOTICE)
    warnings = len(findings) - errors - notices
    files = len({f.location.path for f in findings})

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if not findings:
        return f"valid: {plural(files_read, 'file')} read, no problems"
    verdict = "invalid" if errors else "valid"
    notes = f", {plural(notices, 'notice')}" if notices else ""
    return (
        f"{verdict}: {plural(errors, 'error')}, {plural(warnings, 'warning')}{notes} in "
        f"{plural(files, 'file')} ({plural(files_read, 'file')} read)"
    )


def format_text(findings: Findings, files_read: int) -> str:
    """One line per finding, `path:line:column: severity: field: message`, grouped by file."""
    lines: list[str] = []
    current = None
    ordered = findings.sorted()
    for finding in ordered:
        if current is not None and finding.location.path != current:
            lines.append("")
        current = finding.location.path
        # Messages that already name their field are not prefixed with it again.
        named = not finding.field or finding.message.startswith(finding.field)
        field = "" if named else f"{finding.field}: "
        lines.append(f"{finding.location}: {finding.severity.value}: {field}{finding.message}")
    if lines:
        lines.append("")
    lines.append(_summary(ordered, files_read))
    return "\n".join(lines)


def format_json(findings: Findings) -> str:
    return indented_json([f.to_dict() for f in findings.sorted()])


def _escape_property(value: str) -> str:
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def format_github(findings: Findings) -> str:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`."""
    lines = []
    for f in findings.sorted():
        command = f.severity.value  # error, warning, notice: the workflow commands
        title = f"aimsync {f.rule}" if f.rule else "aimsync"
        named = not f.field or f.message.startswith(f.field)
        message = f.message if named else f"{f.field}: {f.message}"
        lines.append(
            f"::{command} file={_escape_property(f.location.path)},line={f.location.line},"
            f"col={f.location.column},title={_escape_property(title)}::{_escape_data(message)}"
        )
    return "\n".join(lines)
