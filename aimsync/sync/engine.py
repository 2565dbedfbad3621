"""One reconcile run against the live cluster, as a sequence of steps (DESIGN.md §4):

  1. read the inventory and its members (one LIST per kind and namespace),
  2. gate: what may be applied now (downloads done), 3. plan (+ what to prune),
  4. widen the inventory, 5. apply by stage,
  6. with --wait: wait for the downloads, apply the second wave they release, wait for the
     InferenceServices, 7. with --prune: prune in reverse, narrow the inventory,
  8. read the members again for the status reports (optional).

Each step returns values; the report is built from them at the end. A plan-only run stops
after step 3 and writes nothing. A run that dies anywhere leaves the cluster in a state the
next run repairs: the inventory is widened before anything is applied, and every step is
idempotent. The caller holds the lock (aimsync.pipeline).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aimsync.core.applyset import InventoryState
from aimsync.core.live import LiveObjects, ObjectState, WaitResult
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.core.results import Outcome
from aimsync.plan.changes import ChangeSet
from aimsync.plan.inventory import after_prune
from aimsync.plan.membership import with_membership
from aimsync.plan.prune import PruneGuards, prune_changes
from aimsync.render.desired import DesiredSet
from aimsync.render.gating import CacheState, Gated, gate, released
from aimsync.specs import Specs
from aimsync.sync.applier import apply_changes, prune
from aimsync.sync.cluster import Cluster
from aimsync.sync.planner import plan_objects
from aimsync.sync.report import SyncReport, WaitReport

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SyncOptions:
    plan_only: bool = False  # diff / --dry-run: read and dry-run, never write
    prune: bool = False
    allow_empty: bool = False
    prune_shared_caches: bool = False
    wait_seconds: float | None = None
    concurrency: int = 8
    observe: bool = False  # read the members again at the end, for status reports


@dataclass(frozen=True)
class Wave:
    """One round of applying: what was planned and what came of it."""

    changes: ChangeSet
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class SecondWave:
    downloads: WaitReport | None  # the wait for the download Jobs (None: there were none)
    released: Gated  # what the finished downloads let through, and what still waits
    wave: Wave | None  # applying it (None: nothing was released)


def namespaces_to_read(specs: Specs, recorded: InventoryState) -> set[str]:
    """The repository's namespaces and those the inventory recorded, that this instance owns."""
    owned = specs.settings.owns_namespace
    return {n for n in specs.namespaces() if owned(n)} | {
        n for n in recorded.namespaces if owned(n)
    }


class Run:
    """The steps of one run, over one cluster; `execute` strings them together."""

    def __init__(
        self, cluster: Cluster, specs: Specs, options: SyncOptions, progress: Progress
    ) -> None:
        self.cluster = cluster
        self.specs = specs
        self.options = options
        self.progress = progress

    def plan(
        self, objects: Iterable[DesiredObject], live: LiveObjects
    ) -> tuple[list[DesiredObject], ChangeSet]:
        """The objects as applied (inventory members), and their plan."""
        members = with_membership(objects, self.cluster.applyset)
        changes = plan_objects(
            self.cluster, members, live, manager=self.specs.settings.field_manager,
            verify_creates=self.options.plan_only, concurrency=self.options.concurrency,
        )
        return members, changes

    def apply(self, gated: Gated, live: LiveObjects) -> Wave:
        members, changes = self.plan(gated.objects, live)
        self.cluster.check_lock()
        outcomes = apply_changes(
            self.cluster, changes, {o.key: o for o in members}, live, self.options.concurrency
        )
        return Wave(changes, outcomes)

    def wait(self, keys: list[ObjectKey], what: str, plural: str, deadline: float) -> WaitReport:
        def show(result: WaitResult, left: float) -> None:
            done = len(result.with_state(ObjectState.READY))
            failed = len(result.with_state(ObjectState.FAILED))
            self.progress(
                f"waiting for {len(keys)} {plural}: {done} ready, {failed} failed, "
                f"{len(keys) - done - failed} pending ({int(left)}s left)"
            )

        return WaitReport(what, self.cluster.wait(keys, deadline, show))

    def second_wave(
        self, desired: DesiredSet, first: Gated, cache: CacheState, live: LiveObjects,
        deadline: float,
    ) -> SecondWave:
        """--wait: wait for the downloads, then apply what they release (the InferenceServices
        gating held back), in the same run."""
        jobs = [o.key for o in first.objects if o.key.kind == "Job"]
        downloads = self.wait(jobs, "download Job", "download Jobs", deadline) if jobs else None
        done = downloads.result.with_state(ObjectState.READY) if downloads else []
        later = released(desired, first, cache.with_succeeded(done))
        wave = self.apply(later, live) if later.objects else None
        return SecondWave(downloads, later, wave)

    def prune(
        self, prunes: ChangeSet, live: LiveObjects, widened: InventoryState,
        wanted: InventoryState,
    ) -> tuple[Outcome, ...]:
        """--prune: delete in reverse order; narrow the inventory if nothing was left behind."""
        self.cluster.check_lock()
        pruned = prune(self.cluster, prunes, live, self.options.concurrency)
        narrowed = after_prune(widened, wanted, prunes.changes, pruned)
        if narrowed is not None:
            self.cluster.write_inventory(narrowed)
        return pruned

    def execute(self, desired: DesiredSet) -> SyncReport:
        settings = self.specs.settings
        recorded = self.cluster.read_inventory()
        namespaces = namespaces_to_read(self.specs, recorded)
        live = self.cluster.read_members(namespaces)
        cache = CacheState.of(live)
        first = gate(desired, cache)
        guards = PruneGuards(
            self.options.prune, self.options.allow_empty, self.options.prune_shared_caches,
            frozenset(self.specs.services),
        )
        # Held-back objects are still wanted: gating never prunes.
        prunes = ChangeSet(tuple(prune_changes(desired.keys, live.members, guards)))
        if self.options.plan_only:
            return SyncReport(self.plan(first.objects, live)[1] + prunes, waiting=first.waiting)

        wanted = InventoryState.of(desired.keys, settings.inventory.namespace)
        widened = recorded | wanted
        if widened != recorded:
            self.cluster.check_lock()
            self.cluster.write_inventory(widened)
        waves = [self.apply(first, live)]
        waits: list[WaitReport] = []
        waiting = first.waiting
        if self.options.wait_seconds is not None:
            deadline = time.monotonic() + self.options.wait_seconds
            second = self.second_wave(desired, first, cache, live, deadline)
            waits += [second.downloads] if second.downloads else []
            waves += [second.wave] if second.wave else []
            waiting = second.released.waiting
            services = [
                o.key for o in first.objects + second.released.objects
                if o.key.kind == "InferenceService"
            ]
            if services:
                waits.append(
                    self.wait(services, "InferenceService", "InferenceServices", deadline)
                )
        pruned = self.prune(prunes, live, widened, wanted) if self.options.prune else ()
        changes = ChangeSet(tuple(c for wave in waves for c in wave.changes.changes)) + prunes
        return SyncReport(
            changes=changes,
            outcomes=tuple(o for wave in waves for o in wave.outcomes) + pruned,
            waits=tuple(waits),
            waiting=waiting,
            live_after=self.cluster.read_members(namespaces) if self.options.observe else None,
        )


def run_sync(
    cluster: Cluster, specs: Specs, desired: DesiredSet, options: SyncOptions, progress: Progress
) -> SyncReport:
    """A full run. Writes only when `options.plan_only` is false (and then the caller holds
    the lock)."""
    return Run(cluster, specs, options, progress).execute(desired)
