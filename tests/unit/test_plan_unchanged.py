"""Is an object unchanged (pure): the managedFields proof, the dry-run comparison, and which
conflicts are drift to take back."""

from __future__ import annotations

from typing import Any

from aimsync.plan.conflicts import conflict_owners, reclaimable
from aimsync.plan.unchanged import changed_by_aimsync_alone, differs, proven_unchanged

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


def test_a_desired_null_is_not_proven_by_a_missing_field() -> None:
    desired = {**DESIRED, "data": {"k": "v", "extra": None}}
    assert not proven_unchanged(desired, live(), "aimsync")


def test_a_boolean_is_not_proven_by_the_number_it_equals() -> None:
    desired = {**DESIRED, "spec": {"on": True, "list": [1]}}
    assert not proven_unchanged(desired, live(spec={"on": 1, "list": [1]}), "aimsync")
    assert not proven_unchanged({**DESIRED, "spec": {"list": [True]}},
                                live(spec={"list": [1]}), "aimsync")


def test_an_unreadable_list_index_in_managed_fields_is_not_proven() -> None:
    desired = {**DESIRED, "spec": {"args": ["a"]}}
    fields = {**FIELDS, "f:spec": {"f:args": {"i:first": {}}}}
    assert not proven_unchanged(desired, live(fields, spec={"args": ["a"]}), "aimsync")


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


def with_manager(obj: dict[str, Any], manager: str, fields: dict[str, Any], *,
                 operation: str = "Update", subresource: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": "v1",
                             "fieldsType": "FieldsV1", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    obj["metadata"]["managedFields"].append(entry)
    return obj


def test_a_change_of_an_object_only_aimsync_manages_needs_no_dry_run() -> None:
    assert changed_by_aimsync_alone(DESIRED, live(data={"k": "old"}), "aimsync")


def test_an_object_aimsync_never_applied_needs_a_dry_run() -> None:
    assert not changed_by_aimsync_alone(DESIRED, live(fields=None), "aimsync")


def test_another_manager_of_a_field_aimsync_sets_needs_a_dry_run() -> None:
    edited = with_manager(live(data={"k": "edited"}), "kubectl-edit", {"f:data": {"f:k": {}}})
    assert not changed_by_aimsync_alone(DESIRED, edited, "aimsync")


def test_another_manager_of_fields_aimsync_does_not_set_needs_no_dry_run() -> None:
    finalized = with_manager(
        live(data={"k": "old"}), "kserve-controller",
        {"f:metadata": {"f:finalizers": {".": {}, 'v:"inferenceservice.finalizers"': {}}}},
    )
    assert changed_by_aimsync_alone(DESIRED, finalized, "aimsync")


def test_a_controller_writing_the_status_subresource_needs_no_dry_run() -> None:
    status = with_manager(live(data={"k": "old"}), "job-controller",
                          {"f:status": {"f:succeeded": {}}}, subresource="status")
    assert changed_by_aimsync_alone(DESIRED, status, "aimsync")


def test_another_applier_of_a_label_aimsync_sets_needs_a_dry_run() -> None:
    other = with_manager(live(), "helm", {"f:metadata": {"f:labels": {"f:a": {}}}},
                         operation="Apply")
    assert not changed_by_aimsync_alone(DESIRED, other, "aimsync")
