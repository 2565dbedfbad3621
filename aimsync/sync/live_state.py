"""What aimsync already manages in the cluster: every member of its ApplySet."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aimsync.kube.client import KubeClient
from aimsync.kube.inventory import PART_OF_LABEL
from aimsync.kube.read import key_of, list_objects
from aimsync.kube.resources import MANAGED_KINDS, RESOURCES
from aimsync.observe.live import READY, LiveObjects, job_state


@dataclass
class LiveState(LiveObjects):
    """The members of aimsync's inventory, as listed at the start of a run."""

    def succeeded_jobs(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (k.namespace, k.name)
            for k, obj in self.members.items()
            if k.kind == "Job" and job_state(obj) == READY
        )

    def existing_inference_services(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (k.namespace, k.name) for k in self.members if k.kind == "InferenceService"
        )


def read_live_state(
    kube: KubeClient,
    applyset: str,
    namespaces: Iterable[str],
    kinds: Iterable[str] = MANAGED_KINDS,
    concurrency: int = 8,
) -> LiveState:
    """One LIST per kind and namespace, selecting the set's members by label."""
    state = LiveState()
    selector = f"{PART_OF_LABEL}={applyset}"
    lists = [(ns, kind) for ns in sorted(set(namespaces)) for kind in kinds]
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(lists) or 1))) as pool:
        results = pool.map(
            lambda job: list_objects(kube, RESOURCES[job[1]], job[0], selector), lists
        )
        for items in results:
            for obj in items:
                state.members[key_of(obj)] = obj
    return state
