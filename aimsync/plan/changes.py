"""The change-set type every planning step returns."""

from __future__ import annotations

from enum import StrEnum

from msgspec import Struct

from aimsync.core.objects import ObjectKey
from aimsync.core.results import Failure


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    SKIP = "skip"


class ObjectChange(Struct, frozen=True):
    key: ObjectKey
    action: Action
    before: dict[str, object] | None
    after: dict[str, object] | None
    patch: tuple[dict[str, object], ...] = ()  # RFC 6902, before -> after
    reason: str = ""
    force: bool = False  # apply with force: drift edited by an imperative manager
    replace: bool = False  # delete and create: an immutable field changed (download Jobs)
    failure: Failure | None = None  # could not be planned: it is skipped, and the run fails
    # Applied without a dry-run (only aimsync manages the fields it sets): `after` is the
    # manifest until the apply answers; the wave then settles it (plan.decide.settle).
    direct: bool = False

    @property
    def changed(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE)

    @property
    def writes(self) -> bool:
        """Applied (created or updated) by the apply step."""
        return self.action in (Action.CREATE, Action.UPDATE)


class ChangeSet(Struct, frozen=True):
    changes: tuple[ObjectChange, ...] = ()

    def __add__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(self.changes + other.changes)

    @property
    def changed(self) -> list[ObjectChange]:
        return [c for c in self.changes if c.changed]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def has_changes(self) -> bool:
        return any(c.changed for c in self.changes)

    @property
    def failures(self) -> list[Failure]:
        return [c.failure for c in self.changes if c.failure is not None]
