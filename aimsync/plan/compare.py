"""Compare two sets of manifests (what would be created, updated, deleted, left alone), and two
documents field by field (what a change of a spec changed)."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from enum import StrEnum

import jsonpatch
from msgspec import Struct

from aimsync.core.fields import FieldPath
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


# -- the fields that changed between two documents (spec level) ----------------------------

# Lists of {name, ...} entries compared by their names, not by position: a variable added at
# the top of `env` changes one entry, not every one after it.
NAMED_LISTS = frozenset({"env", "containerEnv"})


class FieldAction(StrEnum):
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


class FieldChange(Struct, frozen=True):
    """One field of a document that differs: where (as people write it, and as keys into the
    document of the side it is on: the new one, or the old one for a removed field), and the
    values before and after (None on the side where it is absent)."""

    path: str  # spec.env[name=LOG_LEVEL].value
    keys: FieldPath
    action: FieldAction
    before: object = None
    after: object = None
    line: int | None = None  # in the file of the side `keys` point into

    @property
    def short_path(self) -> str:
        """Without the leading `spec.`: the service line reads `replicas 2 → 3`."""
        return self.path.removeprefix("spec.")


def _is_named_list(key: object, value: object) -> bool:
    if key not in NAMED_LISTS or not isinstance(value, list):
        return False
    names = [item.get("name") if isinstance(item, dict) else None for item in value]
    return all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def _keyed(node: object, key: object = None) -> object:
    """The document with every named list turned into a mapping by name."""
    if isinstance(node, dict):
        return {k: _keyed(v, k) for k, v in node.items()}
    if isinstance(node, list):
        if _is_named_list(key, node):
            return {item["name"]: _keyed(item) for item in node}
        return [_keyed(item) for item in node]
    return node


def _located(document: object, path: list[object]) -> tuple[str, FieldPath]:
    """(readable path, keys into `document`) of a path into the keyed form of `document`."""
    text, keys = "", list[str | int]()
    node: object = document
    parent: object = None
    for part in path:
        if isinstance(node, list) and isinstance(part, str) and _is_named_list(parent, node):
            index = next(i for i, item in enumerate(node) if item.get("name") == part)
            text += f"[name={part}]"
            keys.append(index)
            node = node[index]
        elif isinstance(part, int) and isinstance(node, list):
            text += f"[{part}]"
            keys.append(part)
            node = node[part] if part < len(node) else None
        else:
            text += f".{part}" if text else str(part)
            keys.append(part if isinstance(part, (str, int)) else str(part))
            parent = part
            node = node.get(part) if isinstance(node, dict) else None
            continue
        parent = None
    return text, tuple(keys)


def _at(document: object, keys: FieldPath) -> object:
    node = document
    for key in keys:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        elif isinstance(node, dict):
            node = node.get(key, next((v for k, v in node.items() if str(k) == key), None))
        else:
            return None
    return node


def field_changes(before: object, after: object) -> list[FieldChange]:
    """Every field that differs between two documents (a structural diff with deepdiff;
    `env` lists compared by name), sorted by where it is."""
    if before == after:
        return []
    changes = _deepdiff_changes(before, after)
    # deepdiff's result tree links every level to its parent: about 100 KB of cyclic garbage
    # a call, which a one-shot process (no automatic collection, aimsync.cli) frees here.
    if not gc.isenabled():
        gc.collect(0)
    return sorted(changes, key=lambda c: (c.path, c.action.value))


def _deepdiff_changes(before: object, after: object) -> list[FieldChange]:
    # Imported here: deepdiff (and what it loads) costs every command its start-up, and only
    # a diff of two repositories needs it.
    from deepdiff import DeepDiff
    from deepdiff.helper import NotPresent

    diff = DeepDiff(_keyed(before), _keyed(after), view="tree", verbose_level=2)
    out: list[FieldChange] = []
    for levels in diff.values():
        for level in levels:
            path = list(level.path(output_format="list"))
            old = None if isinstance(level.t1, NotPresent) else _located(before, path)
            new = None if isinstance(level.t2, NotPresent) else _located(after, path)
            if old is None and new is not None:
                out.append(FieldChange(new[0], new[1], FieldAction.ADDED, after=_at(after, new[1])))
            elif new is None and old is not None:
                out.append(
                    FieldChange(old[0], old[1], FieldAction.REMOVED, before=_at(before, old[1]))
                )
            elif old is not None and new is not None:
                out.append(FieldChange(
                    new[0], new[1], FieldAction.CHANGED, _at(before, old[1]), _at(after, new[1])
                ))
    return out
