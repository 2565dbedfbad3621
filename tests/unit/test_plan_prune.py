"""What to prune (pure): members that left the repository, and the guards that keep some."""

from __future__ import annotations

from typing import Any

from aimsync.core.objects import ObjectKey
from aimsync.plan.changes import Action
from aimsync.plan.prune import PruneGuards, prune_changes

WANTED = [ObjectKey("v1", "ConfigMap", "ns", "keep")]
PRUNE = PruneGuards(prune=True)


def member(kind: str, name: str, **labels: str) -> tuple[ObjectKey, dict[str, Any]]:
    api = {"Job": "batch/v1", "InferenceService": "serving.kserve.io/v1beta1"}.get(kind, "v1")
    key = ObjectKey(api, kind, "ns", name)
    return key, {"apiVersion": api, "kind": kind,
                 "metadata": {"name": name, "namespace": "ns", "labels": labels}}


def members(*entries: tuple[ObjectKey, dict[str, Any]]) -> dict[ObjectKey, dict[str, Any]]:
    return dict(entries)


SHARED = member("PersistentVolumeClaim", "shared", **{"aimsync.io/cache-mode": "Shared"})
DEDICATED = member("PersistentVolumeClaim", "dedicated", **{"aimsync.io/cache-mode": "Dedicated"})
JOB = member("Job", "old")


def actions(wanted: list[ObjectKey], guards: PruneGuards, *live: tuple[ObjectKey, Any]) -> dict[
    str, Action
]:
    return {c.key.name: c.action for c in prune_changes(wanted, members(*live), guards)}


def test_nothing_is_deleted_without_prune() -> None:
    changes = prune_changes(WANTED, members(JOB), PruneGuards())
    assert [(c.action, c.reason) for c in changes] == [
        (Action.SKIP, "left the repository; --prune deletes it")
    ]


def test_a_member_that_left_the_repository_is_deleted() -> None:
    assert actions(WANTED, PRUNE, JOB) == {"old": Action.DELETE}


def test_a_wanted_member_is_not_a_prune_candidate() -> None:
    assert prune_changes([JOB[0]], members(JOB), PRUNE) == []


def test_a_shared_cache_pvc_is_kept_unless_allowed() -> None:
    assert actions(WANTED, PRUNE, SHARED) == {"shared": Action.SKIP}
    allowed = PruneGuards(prune=True, shared_caches=True)
    assert actions(WANTED, allowed, SHARED) == {"shared": Action.DELETE}


def test_a_dedicated_cache_pvc_is_deleted() -> None:
    assert actions(WANTED, PRUNE, DEDICATED) == {"dedicated": Action.DELETE}


def test_prune_runs_in_reverse_apply_order() -> None:
    changes = prune_changes(WANTED, members(DEDICATED, JOB), PRUNE)
    assert [c.key.kind for c in changes] == ["Job", "PersistentVolumeClaim"]


def test_an_empty_render_prunes_nothing_unless_allowed() -> None:
    refused = prune_changes([], members(JOB), PRUNE)
    assert all(c.action is Action.SKIP and "render is empty" in c.reason for c in refused)
    allowed = PruneGuards(prune=True, allow_empty=True)
    assert actions([], allowed, JOB) == {"old": Action.DELETE}


def test_an_opted_out_member_is_kept() -> None:
    key, obj = JOB
    obj = {**obj, "metadata": {**obj["metadata"], "annotations": {"aimsync.io/ignore": "true"}}}
    (change,) = prune_changes(WANTED, {key: obj}, PRUNE)
    assert change.action is Action.SKIP and "aimsync.io/ignore=true" in change.reason


def test_objects_of_a_service_still_in_the_repository_are_kept() -> None:
    isvc = member("InferenceService", "chat-1", **{
        "aimsync.io/spec-kind": "AIMService", "aimsync.io/spec-name": "chat"})
    guards = PruneGuards(prune=True, services=frozenset({("ns", "chat")}))
    (change,) = prune_changes(WANTED, members(isvc), guards)
    assert change.action is Action.SKIP and "still in the repository" in change.reason
    assert actions(WANTED, PRUNE, isvc) == {"chat-1": Action.DELETE}
