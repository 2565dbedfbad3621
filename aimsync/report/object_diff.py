"""One changed object as a reviewer reads it: both sides masked, embedded YAML as data, and
the unified diff of the two (keys sorted, as kubectl diff shows them)."""

from __future__ import annotations

import difflib

from aimsync.plan.changes import ObjectChange
from aimsync.report.embedded import as_data
from aimsync.report.fast_yaml import sorted_yaml
from aimsync.report.masking import mask_pair


def masked_as_data(
    change: ObjectChange,
) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """Both sides with credentials masked and embedded YAML parsed (compared as data)."""
    before, after = mask_pair(change.before, change.after, embedded_as_data=True)
    return as_data(before), as_data(after)


def object_name(change: ObjectChange) -> str:
    return f"{change.key.kind}/{change.key.namespace}/{change.key.name}"


def unified_object_diff(change: ObjectChange) -> str:
    before, after = masked_as_data(change)
    name = object_name(change)
    lines = difflib.unified_diff(
        sorted_yaml(before).splitlines(keepends=True) if before else [],
        sorted_yaml(after).splitlines(keepends=True) if after else [],
        fromfile=f"a/{name}" if before else "/dev/null",
        tofile=f"b/{name}" if after else "/dev/null",
    )
    return "".join(lines)
