"""The pure planning decisions: proven unchanged, dry-run drift, conflicts, prune guards."""

from __future__ import annotations

from typing import Any

from aimsync.plan.changes import Action
from aimsync.plan.conflicts import conflict_owners, reclaimable
from aimsync.plan.live import differs, proven_unchanged
from aimsync.render.objects import DesiredObject, ObjectKey
from aimsync.sync.live_state import LiveState
from aimsync.sync.planner import PruneGuards, prune_changes

DESIRED: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cm", "namespace": "ns", "labels": {"a": "1"}},
    "data": {"k": "v"},
}
FIELDS = {"f:metadata": {"f:labels": {"f:a": {}}}, "f:data": {"f:k": {}}}


def live(fields: dict[str, Any] | None = FIELDS, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cm", "namespace": "ns", "labels": {"a": "1"}, "uid": "u1",
            "resourceVersion": "7",
            "managedFields": [
                {"manager": "aimsync", "operation": "Apply", "apiVersion": "v1",
                 "fieldsType": "FieldsV1", "fieldsV1": fields}
            ] if fields is not None else [],
        },
        "data": {"k": "v"},
    }
    obj.update(changes)
    return obj


def test_unchanged_object_is_proven_without_a_request() -> None:
    assert proven_unchanged(DESIRED, live(), "aimsync")


def test_a_changed_value_is_not_proven() -> None:
    assert not proven_unchanged(DESIRED, live(data={"k": "other"}), "aimsync")


def test_a_field_aimsync_owns_but_no_longer_wants_is_not_proven() -> None:
    fields = {**FIELDS, "f:data": {"f:k": {}, "f:gone": {}}}
    assert not proven_unchanged(DESIRED, live(fields, data={"k": "v", "gone": "x"}), "aimsync")


def test_without_an_apply_entry_nothing_is_proven() -> None:
    assert not proven_unchanged(DESIRED, live(None), "aimsync")


def test_values_of_another_type_are_not_proven() -> None:
    desired = {**DESIRED, "data": {"k": 1}}
    assert not proven_unchanged(desired, live(), "aimsync")


def test_keyed_list_entries_must_still_be_desired() -> None:
    desired = {**DESIRED, "spec": {"env": [{"name": "A", "value": "1"}]}}
    fields = {**FIELDS, "f:spec": {"f:env": {'k:{"name":"A"}': {".": {}, "f:value": {}},
                                              'k:{"name":"B"}': {".": {}}}}}
    obj = live(fields, spec={"env": [{"name": "A", "value": "1"}, {"name": "B"}]})
    assert not proven_unchanged(desired, obj, "aimsync")


def test_server_metadata_and_status_do_not_count_as_drift() -> None:
    dry_run = live(status={"phase": "x"})
    dry_run["metadata"] = {**dry_run["metadata"], "resourceVersion": "8", "generation": 2}
    assert not differs(dry_run, live())
    assert differs(live(data={"k": "new"}), live())


def test_conflicts_with_kubectl_edits_are_drift_to_take_back() -> None:
    obj = live()
    obj["metadata"]["managedFields"].append(
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1"}
    )
    owners = conflict_owners(
        [(".data.k", 'conflict with "kubectl-edit" using v1')], obj
    )
    assert [(o.manager, o.operation, o.fields) for o in owners] == [
        ("kubectl-edit", "Update", (".data.k",))
    ]
    assert reclaimable(owners, ["kubectl"])


def test_conflicts_with_another_applier_are_not_taken() -> None:
    obj = live()
    obj["metadata"]["managedFields"].append(
        {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1"}
    )
    owners = conflict_owners([(".data.k", 'conflict with "kubectl" using v1')], obj)
    assert not reclaimable(owners, ["kubectl"])


def member(kind: str, name: str, **labels: str) -> tuple[ObjectKey, dict[str, Any]]:
    api = "batch/v1" if kind == "Job" else "v1"
    key = ObjectKey(api, kind, "ns", name)
    return key, {"apiVersion": api, "kind": kind,
                 "metadata": {"name": name, "namespace": "ns", "labels": labels}}


def test_prune_guards() -> None:
    state = LiveState(dict([
        member("PersistentVolumeClaim", "shared", **{"aimsync.io/cache-mode": "Shared"}),
        member("PersistentVolumeClaim", "dedicated", **{"aimsync.io/cache-mode": "Dedicated"}),
        member("Job", "old"),
    ]))
    kept = DesiredObject(ObjectKey("v1", "ConfigMap", "ns", "keep"), DESIRED, origin="t")
    changes = {c.key.name: c for c in prune_changes([kept], state, PruneGuards(prune=True))}
    assert changes["shared"].action is Action.SKIP
    assert changes["dedicated"].action is Action.DELETE
    assert changes["old"].action is Action.DELETE
    assert [c.key.kind for c in prune_changes([kept], state, PruneGuards(prune=True))] == [
        "Job", "PersistentVolumeClaim", "PersistentVolumeClaim"
    ]  # reverse apply order
    empty = prune_changes([], state, PruneGuards(prune=True))
    assert all(c.action is Action.SKIP and "render is empty" in c.reason for c in empty)
    everything = prune_changes(
        [], state, PruneGuards(prune=True, allow_empty=True, shared_caches=True)
    )
    assert all(c.action is Action.DELETE for c in everything)


def test_objects_of_a_service_still_in_the_repository_are_not_pruned() -> None:
    labels = {"aimsync.io/spec-kind": "AIMService", "aimsync.io/spec-name": "chat"}
    key = ObjectKey("serving.kserve.io/v1beta1", "InferenceService", "ns", "chat-1")
    state = LiveState({key: {"metadata": {"name": "chat-1", "namespace": "ns", "labels": labels}}})
    kept = DesiredObject(ObjectKey("v1", "ConfigMap", "ns", "other"), DESIRED, origin="t")
    guards = PruneGuards(prune=True, services=frozenset({("ns", "chat")}))
    (change,) = prune_changes([kept], state, guards)
    assert change.action is Action.SKIP and "still in the repository" in change.reason
    (gone,) = prune_changes([kept], state, PruneGuards(prune=True))
    assert gone.action is Action.DELETE
