"""Gating (DESIGN.md §3.4): which desired objects may be applied now (pure).

As in the operator, a service whose profile has model sources gets its InferenceService (and
the objects that go with it) only once its caches' download Jobs have succeeded; an
InferenceService that exists already is always kept up to date. Offline, `assume_ready`
shows every object.
"""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct, field

from aimsync.core.live import LiveObjects
from aimsync.core.objects import DesiredObject, NamespacedName, ObjectKey
from aimsync.render.desired import DesiredSet, WaitingService


class CacheState(Struct, frozen=True):
    """What the cluster says about downloads (live), or what to assume (offline)."""

    succeeded_jobs: frozenset[NamespacedName] = field(default_factory=frozenset)
    existing_inference_services: frozenset[NamespacedName] = field(default_factory=frozenset)
    assume_ready: bool = False

    @staticmethod
    def of(live: LiveObjects) -> CacheState:
        return CacheState(live.succeeded_jobs(), live.inference_services())

    def job_done(self, key: ObjectKey) -> bool:
        return self.assume_ready or (key.namespace, key.name) in self.succeeded_jobs

    def with_succeeded(self, jobs: Iterable[ObjectKey]) -> CacheState:
        done = self.succeeded_jobs | {(k.namespace, k.name) for k in jobs}
        return CacheState(done, self.existing_inference_services, self.assume_ready)


class Gated(Struct, frozen=True):
    objects: tuple[DesiredObject, ...]  # what may be applied now, in apply order
    waiting: tuple[WaitingService, ...]  # services held back, and for which Jobs


def gate(desired: DesiredSet, state: CacheState) -> Gated:
    held: set[ObjectKey] = set()
    waiting: list[WaitingService] = []
    for key, plan in sorted(desired.services.items()):
        isvc = plan.inference_service
        exists = (isvc.namespace, isvc.name) in state.existing_inference_services
        pending = tuple(job for job in plan.waits_for if not state.job_done(job))
        if pending and not exists:
            held.update(plan.objects)
            waiting.append(WaitingService(key, isvc, pending))
    objects = tuple(o for o in desired.objects if o.key not in held)
    return Gated(objects, tuple(waiting))


def released(desired: DesiredSet, applied: frozenset[ObjectKey], state: CacheState) -> Gated:
    """A later wave: what `state` (Jobs finished meanwhile) lets through that is not
    `applied` yet, and what still waits."""
    now = gate(desired, state)
    return Gated(tuple(o for o in now.objects if o.key not in applied), now.waiting)
