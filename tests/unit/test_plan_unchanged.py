"""Is an object unchanged (pure): the managedFields proof, the dry-run comparison, and which
conflicts are drift to take back."""

from __future__ import annotations

from typing import Any

from aimsync.plan.conflicts import conflict_owners, reclaimable
from aimsync.plan.unchanged import differs, proven_unchanged

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
