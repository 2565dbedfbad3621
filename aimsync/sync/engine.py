"""One reconcile run against the live cluster: read, plan, apply, wait, prune (DESIGN.md §4).

The order of a run:
  1. lock (not for a plan-only run), 2. read nodes and resolve, 3. read the inventory and the
  live members, 4. render with the live cache state (gating), 5. plan, 6. widen the inventory,
  7. apply by stage, 8. wait (optional), 9. prune (optional), 10. narrow the inventory, unlock.
A run that dies anywhere leaves the cluster in a state the next run repairs: the inventory is
widened before anything is applied, and every step is idempotent.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError, NotFound
from aimsync.kube.inventory import PART_OF_LABEL, Inventory, InventoryState
from aimsync.kube.lock import LockLost, RunLock, run_identity
from aimsync.kube.read import read_cluster_facts
from aimsync.kube.resources import RESOURCES
from aimsync.kube.wait import FAILED, PENDING, READY, WaitResult, wait_for
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.render.objects import DesiredObject, DesiredSet, ObjectKey, WaitingService
from aimsync.render.render import CacheState, render
from aimsync.resolve.facts import ClusterFacts
from aimsync.resolve.resolver import ProfileStatuses, Resolution, resolve_all
from aimsync.specs import Specs
from aimsync.sync.applier import Applier, Outcome
from aimsync.sync.live_state import LiveState, read_live_state
from aimsync.sync.planner import PruneGuards, plan_against_live

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SyncOptions:
    plan_only: bool = False  # diff / --dry-run: read and dry-run, never write
    prune: bool = False
    allow_empty: bool = False
    prune_shared_caches: bool = False
    force_conflicts: bool = False
    wait_seconds: float | None = None
    concurrency: int = 8
    facts: ClusterFacts | None = None  # from --cluster-facts; else the live nodes
    observe: bool = False  # read the live objects again at the end, for status reports


@dataclass
class SyncReport:
    changes: ChangeSet = field(default_factory=ChangeSet)
    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (object, message)
    waiting: list[WaitingService] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    statuses: ProfileStatuses | None = None
    live_after: LiveState | None = None  # with SyncOptions.observe
    notes: list[str] = field(default_factory=list)
    object_writes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def ensure_namespace(kube: KubeClient, name: str) -> None:
    resource = RESOURCES["Namespace"]
    try:
        kube.request("GET", resource.object_path(name))
    except NotFound:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        # Created meanwhile, or not allowed: the Lease request will say.
        with contextlib.suppress(KubeError):
            kube.request("POST", resource.collection_path(), body=body)


def with_membership(objects: list[DesiredObject], applyset: str) -> list[DesiredObject]:
    """The desired objects with the inventory's part-of label (they are its members)."""
    out = []
    for obj in objects:
        metadata = obj.manifest["metadata"]
        assert isinstance(metadata, dict)
        # Copies of the two levels that change; the rest is shared, never mutated.
        labels = {**(metadata.get("labels") or {}), PART_OF_LABEL: applyset}
        manifest = {**obj.manifest, "metadata": {**metadata, "labels": labels}}
        out.append(DesiredObject(obj.key, manifest, obj.origin, obj.waits_for))
    return out


def spec_namespaces(specs: Specs) -> set[str]:
    return {ns for ns in specs.namespaces() if specs.settings.owns_namespace(ns)}


class Reconciler:
    def __init__(
        self,
        kube: KubeClient,
        specs: Specs,
        options: SyncOptions,
        progress: Progress,
        lock: RunLock | None = None,
    ) -> None:
        self.lock = lock
        self.kube = kube
        self.specs = specs
        self.options = options
        self.progress = progress
        settings = specs.settings
        self.manager = settings.field_manager
        self.inventory = Inventory(kube, settings.inventory.namespace, settings.inventory.name)
        self.report = SyncReport()

    # -- reading ---------------------------------------------------------------------------
    def _desired(self, live: LiveState) -> tuple[DesiredSet, list[DesiredObject]]:
        state = CacheState(
            succeeded_jobs=live.succeeded_jobs(),
            existing_inference_services=live.existing_inference_services(),
        )
        desired = render(self.specs, self.report.resolutions, state)
        return desired, with_membership(desired.objects, self.inventory.id)

    def _plan(
        self, objects: list[DesiredObject], live: LiveState, guards: PruneGuards
    ) -> ChangeSet:
        changes, failures = plan_against_live(
            self.kube, objects, live, manager=self.manager, force=self.options.force_conflicts,
            concurrency=self.options.concurrency, guards=guards,
            verify_creates=self.options.plan_only,
            reclaim_from=self.specs.settings.reclaim_from_managers,
        )
        for failure in failures:
            self.report.failures.append((str(failure.change.key), failure.message))
        failed = {f.change.key for f in failures}
        # What could not be planned is not applied; it stays in the table as failed.
        return ChangeSet([
            c if c.key not in failed else ObjectChange(
                c.key, Action.SKIP, c.before, c.after, reason=f"not applied: {c.reason}")
            for c in changes.changes
        ])

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> SyncReport:
        facts = self.options.facts or read_cluster_facts(self.kube)
        self.report.statuses, self.report.resolutions = resolve_all(self.specs, facts)
        old = self.inventory.read()
        owned = self.specs.settings.owns_namespace
        namespaces = spec_namespaces(self.specs) | {n for n in old.namespaces if owned(n)}
        live = read_live_state(self.kube, self.inventory.id, namespaces)
        desired, objects = self._desired(live)
        self.report.waiting = desired.waiting
        guards = PruneGuards(
            self.options.prune, self.options.allow_empty, self.options.prune_shared_caches,
            frozenset(self.specs.services),
        )
        changes = self._plan(objects, live, guards)
        self.report.changes = changes
        if self.options.plan_only:
            return self.report

        new = InventoryState(
            frozenset(RESOURCES[o.key.kind].group_kind for o in objects),
            frozenset({o.key.namespace for o in objects} | {self.inventory.namespace}),
        )
        superset = InventoryState(
            old.group_kinds | new.group_kinds, old.namespaces | new.namespaces
        )
        self._still_locked()
        if superset != old:
            self.inventory.write(superset)
        applier = Applier(
            self.kube, self.manager, self.options.force_conflicts, self.options.concurrency,
            {o.key: o.manifest for o in objects}, live.members,
            self.specs.settings.reclaim_from_managers,
        )
        self._record(applier.apply(changes.changes).outcomes)
        if self.options.wait_seconds is not None:
            self._wait_and_complete(applier, objects, guards)
        pruned_all = True
        if self.options.prune:
            self._still_locked()
            result = applier.prune(self.report.changes.changes)
            self._record(result.outcomes)
            pruned_all = not result.failures and not any(
                c.action is Action.SKIP and c.after is None for c in self.report.changes.changes
            )
        if pruned_all and self.options.prune and new != superset:
            self.inventory.write(new)
        if self.options.observe:
            self.report.live_after = read_live_state(self.kube, self.inventory.id, namespaces)
        return self.report

    def _still_locked(self) -> None:
        """Before each writing phase: a run that lost its lease must not write on."""
        if self.lock is not None and self.lock.lost:
            raise LockLost("the run lost its lock while working; it stops before writing more")

    def _record(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.report.outcomes.append(outcome)
            if outcome.action == "failed":
                self.report.failures.append((str(outcome.key), outcome.message))
            elif outcome.action == "deferred":
                self.report.notes.append(f"{outcome.key}: {outcome.message}")
            else:
                self.report.object_writes += 1

    # -- waiting ---------------------------------------------------------------------------
    def _wait(self, keys: list[ObjectKey], what: str, deadline: float) -> WaitResult:
        def show(result: WaitResult, left: float) -> None:
            done = len(result.with_state(READY))
            failed = len(result.with_state(FAILED))
            self.progress(
                f"waiting for {len(keys)} {what}: {done} ready, {failed} failed, "
                f"{len(keys) - done - failed} pending ({int(left)}s left)"
            )

        selector = f"{PART_OF_LABEL}={self.inventory.id}"
        return wait_for(self.kube, keys, label_selector=selector, deadline=deadline, progress=show)

    def _wait_and_complete(
        self, applier: Applier, objects: list[DesiredObject], guards: PruneGuards
    ) -> None:
        """--wait: downloads first, then the InferenceServices they gated, then readiness."""
        assert self.options.wait_seconds is not None
        deadline = time.monotonic() + self.options.wait_seconds
        jobs = [o.key for o in objects if o.key.kind == "Job"]
        if jobs:
            result = self._wait(jobs, "download Jobs", deadline)
            self._report_wait(result, "download Job")
        if self.report.waiting:
            namespaces = {o.key.namespace for o in objects}
            live = read_live_state(self.kube, self.inventory.id, namespaces)
            desired, fresh = self._desired(live)
            known = {o.key for o in objects}
            added = [o for o in fresh if o.key not in known]
            self.report.waiting = desired.waiting
            if added:
                self._still_locked()
                changes = self._plan(added, live, PruneGuards())
                applier.manifests.update({o.key: o.manifest for o in added})
                self._record(applier.apply(changes.changes).outcomes)
                merged = [c for c in self.report.changes.changes if c.key not in {
                    a.key for a in added}]
                self.report.changes = ChangeSet(merged + changes.changes)
                objects = objects + added
        services = [o.key for o in objects if o.key.kind == "InferenceService"]
        if services:
            result = self._wait(services, "InferenceServices", deadline)
            self._report_wait(result, "InferenceService")

    def _report_wait(self, result: WaitResult, what: str) -> None:
        for key in result.with_state(FAILED):
            self.report.failures.append((str(key), f"{what} failed"))
        if result.timed_out:
            for key in result.with_state(PENDING):
                self.report.failures.append((str(key), f"timeout waiting for the {what}"))


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """A run allocates many short-lived dicts and holds the specs for its whole life: the
    cyclic collector mostly re-scans the specs. Freeze them, collect rarely, restore after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def reconcile(
    kube: KubeClient, specs: Specs, options: SyncOptions, progress: Progress
) -> SyncReport:
    """A full run. Writes only when `options.plan_only` is false, and then under the lock."""
    with _few_collections():
        return _reconcile(kube, specs, options, progress)


def _reconcile(
    kube: KubeClient, specs: Specs, options: SyncOptions, progress: Progress
) -> SyncReport:
    if options.plan_only:
        return Reconciler(kube, specs, options, progress).run()
    lock_settings = specs.settings.lock
    ensure_namespace(kube, lock_settings.namespace)
    ensure_namespace(kube, specs.settings.inventory.namespace)
    with RunLock(kube, lock_settings.namespace, lock_settings.name, run_identity()) as lock:
        return Reconciler(kube, specs, options, progress, lock).run()


__all__ = ["ObjectChange", "SyncOptions", "SyncReport", "reconcile"]
