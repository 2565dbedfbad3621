"""One reconcile run against the live cluster, as a sequence of steps (DESIGN.md §4):

  1. read the inventory and its members (one LIST per kind and namespace),
  2. measure: the sizes of models the repository gives none for, recorded on their PVCs or
     read from the check-size Jobs that finished; render again with them,
  3. gate: what may be applied now (downloads done), 4. plan (+ what to prune),
  5. widen the inventory, 6. apply by stage,
  7. with --wait: wait for the cache Jobs, apply what they release (the PVCs and download
     Jobs of measured models, the InferenceServices of downloaded caches) until nothing more
     is, wait for the InferenceServices, 8. with --prune: prune in reverse, narrow the
     inventory, 9. read the members again for the status reports (optional).

Each step returns values; the report is built from them at the end. A plan-only run stops
after step 3 and writes nothing. A run that dies anywhere leaves the cluster in a state the
next run repairs: the inventory is widened before anything is applied, and every step is
idempotent. The caller holds the lock (aimsync.pipeline).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from msgspec import Struct, field

from aimsync.core.applyset import InventoryState
from aimsync.core.halt import Halted
from aimsync.core.live import LiveObjects, ObjectState, WaitResult, job_state
from aimsync.core.objects import DesiredObject, NamespacedName, ObjectKey
from aimsync.core.results import Outcome, Result
from aimsync.core.sizing import MeasuredSize, SizeReading, recorded_size
from aimsync.plan.changes import ChangeSet
from aimsync.plan.decide import settle
from aimsync.plan.inventory import after_prune
from aimsync.plan.membership import with_membership
from aimsync.plan.prune import PruneGuards, prune_changes
from aimsync.render.desired import DesiredSet, WaitingService
from aimsync.render.gating import CacheState, Gated, gate, released
from aimsync.render.labels import MODEL_SIZE_ANNOTATION
from aimsync.specs import Specs
from aimsync.sync.applier import apply_changes, prune
from aimsync.sync.cluster import Cluster
from aimsync.sync.planner import plan_objects
from aimsync.sync.report import SyncReport, WaitReport

Progress = Callable[[str], None]
Sizes = Mapping[NamespacedName, MeasuredSize]  # by artifact (namespace, name)
# The desired set rendered again with measured model sizes (render is pure; the pipeline
# passes it in).
Resize = Callable[[Sizes], DesiredSet]


class SyncOptions(Struct, frozen=True):
    plan_only: bool = False  # diff / --dry-run: read and dry-run, never write
    prune: bool = False
    allow_empty: bool = False
    prune_shared_caches: bool = False
    wait_seconds: float | None = None
    concurrency: int = 8
    observe: bool = False  # read the members again at the end, for status reports
    partial: bool = False  # -n: some namespaces only; the inventory keeps what the others hold


class Wave(Struct, frozen=True):
    """One round of applying: what was planned and what came of it."""

    changes: ChangeSet
    outcomes: tuple[Outcome, ...]

    @property
    def failed_keys(self) -> frozenset[ObjectKey]:
        return frozenset(o.key for o in self.outcomes if o.result is Result.FAILED)


class Measured(Struct, frozen=True):
    """The desired set with every model size known so far, and what was read for it."""

    desired: DesiredSet
    sizes: Sizes
    readings: tuple[SizeReading, ...] = ()


class FollowUp(Struct, frozen=True):
    """--wait: the waves the finished cache Jobs released, one after another."""

    measured: Measured  # with the sizes measured meanwhile
    waves: tuple[Wave, ...]
    waits: tuple[WaitReport, ...]  # one per wave of cache Jobs
    waiting: tuple[WaitingService, ...]  # still held back at the end
    applied: tuple[DesiredObject, ...]  # everything applied by this run, first wave included


def pending_names(pending: list[ObjectKey], shown: int = 3) -> str:
    """`: ns/a, ns/b, ns/c and 4 more` -- what a wait is still waiting for."""
    if not pending:
        return ""
    names = ", ".join(f"{k.namespace}/{k.name}" for k in pending[:shown])
    more = f" and {len(pending) - shown} more" if len(pending) > shown else ""
    return f": {names}{more}"


def namespaces_to_read(specs: Specs, recorded: InventoryState) -> set[str]:
    """The repository's namespaces and those the inventory recorded, that this instance owns."""
    owned = specs.settings.owns_namespace
    return {n for n in specs.namespaces() if owned(n)} | {
        n for n in recorded.namespaces if owned(n)
    }


class Run:
    """The steps of one run, over one cluster; `execute` strings them together."""

    def __init__(
        self, cluster: Cluster, specs: Specs, options: SyncOptions, progress: Progress,
        resize: Resize | None = None,
    ) -> None:
        self.cluster = cluster
        self.specs = specs
        self.options = options
        self.progress = progress
        self.resize = resize

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
        members, planned = self.plan(gated.objects, live)
        self.cluster.check_lock()
        objects = {o.key: o for o in members}
        applied = apply_changes(self.cluster, planned, objects, live, self.options.concurrency)
        by_key = {o.key: o for o in applied}
        # Changes applied without a dry-run are settled from the apply's answer.
        settled = {
            change.key: settle(change, by_key.get(change.key), objects[change.key],
                               live.members.get(change.key))
            for change in planned.changes
        }
        return Wave(
            ChangeSet(tuple(settled[change.key][0] for change in planned.changes)),
            tuple(o for o in (settled[a.key][1] for a in applied) if o is not None),
        )

    def wait(self, keys: list[ObjectKey], what: str, plural: str, deadline: float) -> WaitReport:
        def show(result: WaitResult, left: float) -> None:
            done = len(result.with_state(ObjectState.READY))
            failed = len(result.with_state(ObjectState.FAILED))
            pending = result.with_state(ObjectState.PENDING)
            self.progress(
                f"waiting for {len(keys)} {plural}: {done} ready, {failed} failed, "
                f"{len(pending)} pending{pending_names(pending)} ({int(left)}s left)"
            )

        return WaitReport(what, self.cluster.wait(keys, deadline, show))

    def measure(
        self, measured: Measured, live: LiveObjects, succeeded: Iterable[ObjectKey] = ()
    ) -> Measured:
        """The sizes of models waiting for one: recorded on their PVC by an earlier run, or
        read from their check-size Job once it has succeeded (in `live`, or `succeeded` in a
        wait of this run; a failed one shows in the cache's status). With new sizes, the
        desired set is rendered again."""
        if not measured.desired.size_checks or self.resize is None:
            return measured
        done = set(succeeded)
        sizes = dict(measured.sizes)
        readings: list[SizeReading] = []
        for check in measured.desired.size_checks:
            pvc = live.members.get(check.pvc) or {}
            recorded = recorded_size(
                ((pvc.get("metadata") or {}).get("annotations") or {}).get(MODEL_SIZE_ANNOTATION)
            )
            if recorded is not None:
                sizes[check.artifact] = MeasuredSize(recorded, recorded=True)
                continue
            job = live.members.get(check.job)
            if check.job in done or (job is not None and job_state(job) is ObjectState.READY):
                reading = self.cluster.read_size(check.job)
                readings.append(reading)
                if reading.size_bytes is not None:
                    sizes[check.artifact] = MeasuredSize(reading.size_bytes, recorded=False)
        desired = self.resize(sizes) if sizes != measured.sizes else measured.desired
        return Measured(desired, sizes, measured.readings + tuple(readings))

    def follow_up(
        self, measured: Measured, first: Gated, first_wave: Wave, cache: CacheState,
        live: LiveObjects, deadline: float,
    ) -> FollowUp:
        """--wait: wait for the cache Jobs just applied, then apply what they release (the
        PVC and download Job of a model just measured; the InferenceService of a cache just
        downloaded), and so on until nothing more is released, in the same run. An object
        whose write failed is not waited for: it would only run the wait out of time."""
        waves: list[Wave] = []
        waits: list[WaitReport] = []
        applied = list(first.objects)
        last, last_wave, waiting = first, first_wave, first.waiting
        while jobs := [
            o.key for o in last.objects
            if o.key.kind == "Job" and o.key not in last_wave.failed_keys
        ]:
            report = self.wait(jobs, "cache Job", "cache Jobs", deadline)
            waits.append(report)
            succeeded = report.result.with_state(ObjectState.READY)
            cache = cache.with_succeeded(succeeded)
            measured = self.measure(measured, live, succeeded)
            last = released(measured.desired, frozenset(o.key for o in applied), cache)
            waiting = last.waiting
            if not last.objects:
                break
            last_wave = self.apply(last, live)
            waves.append(last_wave)
            applied += last.objects
        return FollowUp(measured, tuple(waves), tuple(waits), waiting, tuple(applied))

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

    def execute(self, rendered: DesiredSet) -> SyncReport:
        settings = self.specs.settings
        recorded = self.cluster.read_inventory()
        namespaces = namespaces_to_read(self.specs, recorded)
        live = self.cluster.read_members(namespaces)
        measured = self.measure(Measured(rendered, {}), live)
        desired = measured.desired
        cache = CacheState.of(live)
        first = gate(desired, cache)
        guards = PruneGuards(
            self.options.prune, self.options.allow_empty, self.options.prune_shared_caches,
            frozenset(self.specs.services) - desired.services.keys(),
        )
        # Held-back objects are still wanted: gating never prunes.
        prunes = ChangeSet(tuple(prune_changes(desired.keys, live.members, guards)))
        if self.options.plan_only:
            return SyncReport(
                self.plan(first.objects, live)[1] + prunes, waiting=first.waiting,
                desired=desired, size_readings=measured.readings,
            )

        wanted = InventoryState.of(desired.keys, settings.inventory.namespace)
        if self.options.partial:  # what other namespaces hold was not read: never narrowed
            wanted = wanted | recorded
        widened = recorded | wanted
        done = Done(measured=measured, waiting=first.waiting)
        try:
            if widened != recorded:
                self.cluster.check_lock()
                self.cluster.write_inventory(widened)
            done.waves.append(self.apply(first, live))
            if self.options.wait_seconds is not None:
                deadline = time.monotonic() + self.options.wait_seconds
                later = self.follow_up(measured, first, done.waves[0], cache, live, deadline)
                done.measured, done.waiting = later.measured, later.waiting
                done.waves += later.waves
                done.waits += later.waits
                failed = frozenset().union(*(wave.failed_keys for wave in done.waves))
                services = [
                    o.key for o in later.applied
                    if o.key.kind == "InferenceService" and o.key not in failed
                ]
                if services:
                    done.waits.append(
                        self.wait(services, "InferenceService", "InferenceServices", deadline)
                    )
            if self.options.prune:
                done.pruned = self.prune(prunes, live, widened, wanted)
            # The next write phase's check: a stop met inside the last one shows here.
            self.cluster.check_lock()
        except Halted as exc:  # what was done is reported; the next run goes on from there
            return done.report(prunes, halted=exc)
        report = done.report(prunes)
        if not self.options.observe:
            return report
        # A run that wrote nothing and waited for nothing observes the members it read at
        # the start: reading them again would find the same (and costs a second LIST of
        # every object; a no-op at 5,000 services spends seconds on it).
        untouched = report.object_writes == 0 and not done.waits and widened == recorded
        live_after = live if untouched else self.cluster.read_members(namespaces)
        return replace(report, live_after=live_after)


class Done(Struct):
    """What a writing run has done so far: the report is built from it at the end, also
    when the run stops early."""

    measured: Measured
    waiting: tuple[WaitingService, ...]
    waves: list[Wave] = field(default_factory=list)
    waits: list[WaitReport] = field(default_factory=list)
    pruned: tuple[Outcome, ...] = ()

    def report(
        self, prunes: ChangeSet, *, live_after: LiveObjects | None = None,
        halted: Halted | None = None,
    ) -> SyncReport:
        changes = ChangeSet(tuple(c for wave in self.waves for c in wave.changes.changes))
        return SyncReport(
            changes=changes + prunes,
            outcomes=tuple(o for wave in self.waves for o in wave.outcomes) + self.pruned,
            waits=tuple(self.waits),
            waiting=self.waiting,
            live_after=live_after,
            desired=self.measured.desired,
            size_readings=self.measured.readings,
            halted=halted,
        )


def run_sync(
    cluster: Cluster, specs: Specs, desired: DesiredSet, options: SyncOptions,
    progress: Progress, resize: Resize | None = None,
) -> SyncReport:
    """A full run. Writes only when `options.plan_only` is false (and then the caller holds
    the lock). `resize` renders the repository again with measured model sizes; without it
    models the repository gives no size for stay at their check-size step."""
    return Run(cluster, specs, options, progress, resize).execute(desired)
