"""Findings: what validation says about a repository, each with a precise location.

A finding is plain data. Every stage that can reject user input returns findings instead of
raising, so one run reports every problem of a repository at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum

from msgspec import Struct, field

from aimsync.core.text import one_line


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"  # reported only: policy Audit results, GPU budget usage


class Location(Struct, frozen=True, order=True):
    """A place in the repository: a file path relative to the repository root, 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{one_line(self.path)}:{self.line}:{self.column}"


class Finding(Struct, frozen=True):
    severity: Severity
    location: Location
    message: str
    field: str = ""  # dotted field path, e.g. spec.modelSources[0].sourceUri
    rule: str = ""  # stable rule id, e.g. "schema.pattern" or "ref.profile-not-found"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        # Errors before warnings on the same spot; otherwise file order.
        return (
            self.location.path,
            self.location.line,
            self.location.column,
            {Severity.ERROR: 0, Severity.WARNING: 1}.get(self.severity, 2),
            self.field,
            self.message,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "file": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
        }


class Findings(Struct):
    """An ordered collection of findings with the usual questions asked of it."""

    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.items.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.items.extend(findings)

    def error(
        self, location: Location, message: str, *, field: str = "", rule: str = ""
    ) -> None:
        self.add(Finding(Severity.ERROR, location, message, field, rule))

    def warning(
        self, location: Location, message: str, *, field: str = "", rule: str = ""
    ) -> None:
        self.add(Finding(Severity.WARNING, location, message, field, rule))

    def notice(
        self, location: Location, message: str, *, field: str = "", rule: str = ""
    ) -> None:
        self.add(Finding(Severity.NOTICE, location, message, field, rule))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if not f.is_error]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.items)

    def sorted(self) -> list[Finding]:
        """Stable order: by file, then position; duplicates (same spot, same text) dropped."""
        seen: set[tuple[object, ...]] = set()
        out: list[Finding] = []
        for f in sorted(self.items, key=Finding.sort_key):
            key = (f.severity, f.location, f.field, f.message)
            if key not in seen:
                seen.add(key)
                out.append(f)
        return out

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)
