"""The change-set type every planning step returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from aimsync.render.objects import ObjectKey


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    SKIP = "skip"


@dataclass(frozen=True)
class ObjectChange:
    key: ObjectKey
    action: Action
    before: dict[str, object] | None
    after: dict[str, object] | None
    patch: tuple[dict[str, object], ...] = ()  # RFC 6902, before -> after
    reason: str = ""
    force: bool = False  # apply with force: drift edited by an imperative manager
    replace: bool = False  # delete and create: an immutable field changed (download Jobs)

    @property
    def changed(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE)


@dataclass
class ChangeSet:
    changes: list[ObjectChange] = field(default_factory=list)

    @property
    def changed(self) -> list[ObjectChange]:
        return [c for c in self.changes if c.changed]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def has_changes(self) -> bool:
        return any(c.changed for c in self.changes)
