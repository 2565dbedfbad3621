"""Compare two sets of manifests: what would be created, updated, deleted, left alone."""

from __future__ import annotations

from collections.abc import Sequence

import jsonpatch

from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.plan.changes import Action, ChangeSet, ObjectChange


def json_patch(
    before: dict[str, object], after: dict[str, object]
) -> tuple[dict[str, object], ...]:
    return tuple(jsonpatch.make_patch(before, after).patch)


def compare_sets(
    before: Sequence[DesiredObject], after: Sequence[DesiredObject]
) -> ChangeSet:
    """Keyed diff, in apply order; deletions last (prune runs after apply)."""
    old = {o.key: o for o in before}
    new = {o.key: o for o in after}
    changes: list[ObjectChange] = []
    for key in sorted(new, key=lambda k: k.sort_key):
        manifest = new[key].manifest
        if key not in old:
            changes.append(ObjectChange(key, Action.CREATE, None, manifest, reason="new"))
            continue
        previous = old[key].manifest
        if previous == manifest:
            changes.append(ObjectChange(key, Action.UNCHANGED, previous, manifest))
        else:
            changes.append(
                ObjectChange(
                    key, Action.UPDATE, previous, manifest, json_patch(previous, manifest),
                    reason="fields changed",
                )
            )
    gone: list[ObjectKey] = sorted(
        (k for k in old if k not in new), key=lambda k: k.sort_key, reverse=True
    )
    for key in gone:
        changes.append(
            ObjectChange(key, Action.DELETE, old[key].manifest, None, reason="left the repository")
        )
    return ChangeSet(tuple(changes))
