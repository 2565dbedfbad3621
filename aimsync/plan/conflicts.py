"""Field-manager conflicts (pure): drift to take back, or a conflict to report?

An apply conflicts when another manager owns a field aimsync sets to another value. When that
manager is an imperative edit (`kubectl edit`, `kubectl patch`: operation Update, a manager
named in `reclaimFromManagers`), the repository is the truth and aimsync takes the field back,
as Flux does. A conflict with anything else (another applier, a controller) is reported and
only forced with --force-conflicts.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct

_MANAGER = re.compile(r'conflict with "([^"]+)"')


class ConflictOwner(Struct, frozen=True):
    manager: str
    operation: str  # Apply | Update | "" (unknown)
    fields: tuple[str, ...]


def conflict_owners(
    causes: list[tuple[str, str]], live: dict[str, Any] | None
) -> list[ConflictOwner]:
    """(field, message) causes of a 409 -> who owns what, with their operation."""
    by_manager: dict[str, list[str]] = {}
    for field, message in causes:
        match = _MANAGER.search(message)
        if match:
            by_manager.setdefault(match.group(1), []).append(field)
    operations: dict[str, str] = {}
    for entry in ((live or {}).get("metadata") or {}).get("managedFields") or []:
        manager = str(entry.get("manager", ""))
        if manager in by_manager and entry.get("subresource", "") == "":
            operations[manager] = str(entry.get("operation", ""))
    return [
        ConflictOwner(manager, operations.get(manager, ""), tuple(fields))
        for manager, fields in sorted(by_manager.items())
    ]


def reclaimable(owners: list[ConflictOwner], prefixes: list[str]) -> bool:
    return bool(owners) and all(
        owner.operation == "Update" and any(owner.manager.startswith(p) for p in prefixes)
        for owner in owners
    )


def describe_conflict(owners: list[ConflictOwner]) -> str:
    parts = [
        f"{', '.join(o.fields)} owned by {o.manager!r}"
        + (f" ({o.operation})" if o.operation else "")
        for o in owners
    ]
    return "conflict: " + "; ".join(parts) + " (not forced; --force-conflicts takes them over)"
