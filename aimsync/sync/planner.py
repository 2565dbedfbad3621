"""Plan against the live cluster: create, update, unchanged, skip per desired object.

What needs no request is decided at once (aimsync.plan.decide); the rest by a server-side
dry-run apply each, in parallel. An object that cannot be planned is skipped with its failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from aimsync.core.live import LiveObjects
from aimsync.core.objects import DesiredObject
from aimsync.kube.ssa.failures import ApplyFailed
from aimsync.plan.changes import ChangeSet, ObjectChange
from aimsync.plan.decide import decide_from_dry_run, decide_from_failure, decide_without_request
from aimsync.sync.cluster import Cluster


def plan_objects(
    cluster: Cluster,
    objects: Sequence[DesiredObject],
    live: LiveObjects,
    *,
    manager: str,
    verify_creates: bool,
    concurrency: int,
) -> ChangeSet:
    """`verify_creates`: dry-run new objects too (a diff does; a sync lets the apply decide)."""

    def by_dry_run(obj: DesiredObject) -> ObjectChange:
        listed = live.members.get(obj.key)
        try:
            return decide_from_dry_run(obj, listed, cluster.dry_run(obj, listed))
        except ApplyFailed as exc:
            return decide_from_failure(obj, listed, exc.failure)

    decided: list[ObjectChange | None] = [
        decide_without_request(obj, live.members.get(obj.key), manager, verify_creates)
        for obj in objects
    ]
    rest = [i for i, change in enumerate(decided) if change is None]
    if rest:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for index, change in zip(
                rest, pool.map(by_dry_run, [objects[i] for i in rest]), strict=True
            ):
                decided[index] = change
    return ChangeSet(tuple(c for c in decided if c is not None))
