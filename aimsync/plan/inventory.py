"""What the inventory (the ApplySet parent) must record, before and after a run (pure).

It is widened to the superset of the old and new kinds and namespaces before anything is
applied, so a run that dies half-way never loses track of what it created; it is narrowed to
what is wanted now only when every member that left the repository was pruned.
"""

from __future__ import annotations

from collections.abc import Iterable

from aimsync.core.applyset import InventoryState
from aimsync.core.results import Outcome
from aimsync.plan.changes import Action, ObjectChange


def after_prune(
    widened: InventoryState,
    wanted: InventoryState,
    prunes: Iterable[ObjectChange],
    outcomes: Iterable[Outcome],
) -> InventoryState | None:
    """The narrowed state to write after pruning, or None to keep the widened one: a member
    left behind (kept by a guard, or failed to delete) must stay in the inventory's reach."""
    left_behind = any(c.action is Action.SKIP and c.after is None for c in prunes)
    failed = any(o.failure is not None for o in outcomes)
    if left_behind or failed or wanted == widened:
        return None
    return wanted
