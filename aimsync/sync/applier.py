"""Apply a change set in stages (ConfigMaps, PVCs -> Jobs -> InferenceServices -> HTTPRoutes
-> ScaledObjects), in parallel within a stage, and prune in reverse. Per-object failures do
not stop unrelated objects; each object's outcome is returned, typed. When the run must stop
(a signal, its deadline, its lost Lease), the objects not written yet are deferred to the
next run, and the caller's next check of the run says why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby

from aimsync.core.halt import Halted, WriteInDoubt
from aimsync.core.live import LiveObjects
from aimsync.core.objects import KIND_STAGE, DesiredObject, ObjectKey
from aimsync.core.results import Outcome, Result
from aimsync.kube.ssa.failures import ApplyFailed
from aimsync.plan.changes import Action, ChangeSet, ObjectChange
from aimsync.plan.decide import replaced_on
from aimsync.sync.cluster import Cluster


def _in_stages(
    changes: list[ObjectChange], work: Callable[[ObjectChange], Outcome], concurrency: int,
    *, reverse: bool = False,
) -> tuple[Outcome, ...]:
    """Stage after stage; within a stage in parallel, results in the changes' order."""
    ordered = sorted(changes, key=lambda c: KIND_STAGE[c.key.kind], reverse=reverse)
    halted: list[Halted] = []

    def guarded(change: ObjectChange) -> Outcome:
        if not halted:
            try:
                return work(change)
            except WriteInDoubt as exc:
                halted.append(exc)
                return Outcome(change.key, Result.HALTED, "sent, but no answer came before "
                               "the run stopped: it may be written (the next run finds out)")
            except Halted as exc:
                halted.append(exc)
        return Outcome(change.key, Result.HALTED, "not written: the run stopped first")

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for _, stage in groupby(ordered, key=lambda c: KIND_STAGE[c.key.kind]):
            outcomes.extend(pool.map(guarded, list(stage)))
    return tuple(outcomes)


def apply_changes(
    cluster: Cluster,
    changes: ChangeSet,
    objects: Mapping[ObjectKey, DesiredObject],
    live: LiveObjects,
    concurrency: int,
) -> tuple[Outcome, ...]:
    """Every create and update of `changes`; `objects` holds their manifests."""

    def apply_one(change: ObjectChange) -> Outcome:
        obj, listed = objects[change.key], live.members.get(change.key)
        try:
            if change.replace:
                return cluster.recreate(obj, listed)
            try:
                applied = cluster.apply(obj, listed, force=change.force)
            except ApplyFailed as exc:
                if replaced_on(exc.failure):  # an update: the Job exists
                    return cluster.recreate(obj, listed)
                raise
            return Outcome(
                change.key, Result.CREATED if applied.created else Result.CONFIGURED,
                applied=applied.obj if change.direct else None,
            )
        except ApplyFailed as exc:
            return Outcome.failed(exc.failure)

    todo = [c for c in changes.changes if c.writes]
    return _in_stages(todo, apply_one, concurrency)


def prune(
    cluster: Cluster, changes: ChangeSet, live: LiveObjects, concurrency: int
) -> tuple[Outcome, ...]:
    """Every delete of `changes`, in reverse apply order."""

    def delete_one(change: ObjectChange) -> Outcome:
        try:
            cluster.delete(change.key, live.members.get(change.key))
        except ApplyFailed as exc:
            return Outcome.failed(exc.failure)
        return Outcome(change.key, Result.DELETED)

    todo = [c for c in changes.changes if c.action is Action.DELETE]
    return _in_stages(todo, delete_one, concurrency, reverse=True)
