"""Apply a change set in stages (ConfigMaps, PVCs -> Jobs -> InferenceServices -> HTTPRoutes),
in parallel within a stage, and prune in reverse. Per-object failures do not stop unrelated
objects; immutable changes are handled on purpose."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from aimsync.kube.apply import server_side_apply
from aimsync.kube.client import KubeClient
from aimsync.kube.delete import delete_object
from aimsync.kube.errors import ApiError, Conflict, Invalid, KubeError
from aimsync.kube.read import get_object
from aimsync.observe.live import PENDING, job_state
from aimsync.plan.changes import Action, ObjectChange
from aimsync.plan.conflicts import conflict_owners, describe_conflict, reclaimable
from aimsync.render.objects import KIND_STAGE, ObjectKey
from aimsync.sync.planner import describe_api_error, pvc_refusal

GONE_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    key: ObjectKey
    action: str  # created | configured | recreated | deleted | deferred | failed
    message: str = ""


@dataclass
class ApplyOutcome:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)




def _wait_gone(kube: KubeClient, key: ObjectKey, uid: str | None) -> bool:
    deadline = time.monotonic() + GONE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        current = get_object(kube, key)
        if current is None or (current.get("metadata") or {}).get("uid") != uid:
            return True
        time.sleep(0.2)
    return False


@dataclass
class Applier:
    kube: KubeClient
    manager: str
    force: bool
    concurrency: int
    manifests: dict[ObjectKey, dict[str, object]]
    live: dict[ObjectKey, dict[str, Any]]
    reclaim_from: list[str] = field(default_factory=list)

    def apply_one(self, change: ObjectChange) -> Outcome:
        key = change.key
        manifest = self.manifests[key]
        if change.replace:
            return self._recreate_job(key, manifest, None)
        try:
            try:
                result = server_side_apply(
                    self.kube, key, manifest, field_manager=self.manager,
                    force=self.force or change.force,
                )
            except Conflict as exc:
                live = self.live.get(key) or get_object(self.kube, key)
                owners = conflict_owners([(c.field, c.message) for c in exc.causes], live)
                if not reclaimable(owners, self.reclaim_from):
                    return Outcome(key, "failed", describe_conflict(owners))
                result = server_side_apply(
                    self.kube, key, manifest, field_manager=self.manager, force=True
                )
            return Outcome(key, "created" if result.created else "configured")
        except Invalid as exc:
            if exc.immutable and key.kind == "Job":
                return self._recreate_job(key, manifest, exc)
            if key.kind == "PersistentVolumeClaim":
                return Outcome(key, "failed", pvc_refusal(exc))
            return Outcome(key, "failed", describe_api_error(exc))
        except ApiError as exc:
            return Outcome(key, "failed", describe_api_error(exc))
        except KubeError as exc:
            return Outcome(key, "failed", str(exc))

    def _recreate_job(
        self, key: ObjectKey, manifest: dict[str, object], error: Invalid | None
    ) -> Outcome:
        """A download Job's template cannot change; a finished one is deleted and created."""
        live = self.live.get(key) or get_object(self.kube, key)
        if live is None:
            if error is None:  # gone meanwhile: create it
                return self._create_again(key, manifest)
            return Outcome(key, "failed", describe_api_error(error))
        if job_state(live) == PENDING:
            # Not a failure: the download goes on, and a later run recreates the Job.
            return Outcome(
                key, "deferred",
                "the download Job's spec changed while it is running; it is recreated by a run "
                "after it finishes",
            )
        uid = (live.get("metadata") or {}).get("uid")
        try:
            delete_object(self.kube, key, uid=uid)
            if not _wait_gone(self.kube, key, uid):
                return Outcome(key, "failed", "the old download Job did not go away in 30 s")
            server_side_apply(self.kube, key, manifest, field_manager=self.manager,
                              force=self.force)
        except ApiError as exc:
            return Outcome(key, "failed", describe_api_error(exc))
        except KubeError as exc:
            return Outcome(key, "failed", str(exc))
        return Outcome(key, "recreated", "finished download Job recreated with the new spec")

    def _create_again(self, key: ObjectKey, manifest: dict[str, object]) -> Outcome:
        try:
            server_side_apply(self.kube, key, manifest, field_manager=self.manager,
                              force=self.force)
        except ApiError as exc:
            return Outcome(key, "failed", describe_api_error(exc))
        except KubeError as exc:
            return Outcome(key, "failed", str(exc))
        return Outcome(key, "created")

    def delete_one(self, change: ObjectChange) -> Outcome:
        uid = ((self.live.get(change.key) or {}).get("metadata") or {}).get("uid")
        try:
            delete_object(self.kube, change.key, uid=uid)
            return Outcome(change.key, "deleted")
        except ApiError as exc:
            return Outcome(change.key, "failed", describe_api_error(exc))
        except KubeError as exc:
            return Outcome(change.key, "failed", str(exc))

    def run_stages(
        self, changes: list[ObjectChange], work: Callable[[ObjectChange], Outcome],
        reverse: bool = False,
    ) -> ApplyOutcome:
        outcome = ApplyOutcome()
        ordered = sorted(changes, key=lambda c: KIND_STAGE[c.key.kind], reverse=reverse)
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            for _, stage in groupby(ordered, key=lambda c: KIND_STAGE[c.key.kind]):
                for result in pool.map(work, list(stage)):
                    outcome.add(result)
        return outcome

    def apply(self, changes: list[ObjectChange]) -> ApplyOutcome:
        todo = [c for c in changes if c.action in (Action.CREATE, Action.UPDATE)]
        return self.run_stages(todo, self.apply_one)

    def prune(self, changes: list[ObjectChange]) -> ApplyOutcome:
        todo = [c for c in changes if c.action is Action.DELETE]
        return self.run_stages(todo, self.delete_one, reverse=True)
