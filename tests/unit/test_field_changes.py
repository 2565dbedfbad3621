"""field_changes (aimsync.plan.compare): what changed between two documents, and what the
structural diff leaves behind in a process without automatic collection (aimsync.cli)."""

from __future__ import annotations

import gc

from aimsync.plan.compare import FieldAction, field_changes

BEFORE = {
    "spec": {"replicas": 1, "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
}
AFTER = {
    "spec": {"replicas": 2, "env": [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}]},
}


def test_changed_fields_are_found_with_env_compared_by_name() -> None:
    changes = field_changes(BEFORE, AFTER)
    assert [(str(c.path), c.action, c.before, c.after) for c in changes] == [
        ("spec.env[name=B].value", FieldAction.CHANGED, "2", "3"),
        ("spec.replicas", FieldAction.CHANGED, 1, 2),
    ]


def test_equal_documents_have_no_changes() -> None:
    assert field_changes(BEFORE, BEFORE) == []


def test_a_diff_leaves_no_cyclic_garbage_when_automatic_collection_is_off() -> None:
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            field_changes(BEFORE, AFTER)
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0
