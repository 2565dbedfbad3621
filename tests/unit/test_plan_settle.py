"""A change applied without a dry-run, settled from the apply's answer (plan.decide.settle):
the report shows it as a dry-run would have planned it."""

from __future__ import annotations

import copy
from typing import Any

from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Cause, Failure, Outcome, Result
from aimsync.plan.changes import Action, ObjectChange
from aimsync.plan.decide import settle

CM = ObjectKey("v1", "ConfigMap", "ns", "cm")


def configmap(value: str, resource_version: str = "7") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "ns", "resourceVersion": resource_version},
            "data": {"k": value}}


LIVE = configmap("old")
DESIRED = DesiredObject(CM, configmap("new"), origin="test")
DIRECT = ObjectChange(CM, Action.UPDATE, LIVE, DESIRED.manifest, reason="fields changed",
                      direct=True)


def test_an_applied_change_is_reported_with_its_patch_from_the_answer() -> None:
    answer = Outcome(CM, Result.CONFIGURED, applied=configmap("new", "8"))
    change, outcome = settle(DIRECT, answer, DESIRED, LIVE)
    assert change.action is Action.UPDATE and outcome is answer
    assert change.patch == ({"op": "replace", "path": "/data/k", "value": "new"},)


def test_an_apply_that_changed_nothing_is_unchanged_and_no_write() -> None:
    answer = Outcome(CM, Result.CONFIGURED, applied=copy.deepcopy(LIVE))
    change, outcome = settle(DIRECT, answer, DESIRED, LIVE)
    assert change.action is Action.UNCHANGED and outcome is None


def test_a_refused_apply_is_reported_as_a_refused_dry_run_would_be() -> None:
    failure = Failure(CM, Cause.REFUSED, "Invalid: no")
    change, outcome = settle(DIRECT, Outcome.failed(failure), DESIRED, LIVE)
    assert (change.action, change.reason, change.failure) == (
        Action.SKIP, "not applied: refused", failure
    )
    assert outcome is None  # the failure is the change's, reported once


def test_a_change_planned_by_a_dry_run_is_left_as_it_is() -> None:
    planned = ObjectChange(CM, Action.UPDATE, LIVE, DESIRED.manifest, reason="fields changed")
    answer = Outcome(CM, Result.CONFIGURED)
    assert settle(planned, answer, DESIRED, LIVE) == (planned, answer)
