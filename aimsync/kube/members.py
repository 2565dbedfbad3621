"""What aimsync already manages in the cluster: every member of its ApplySet, one LIST per
kind and namespace (selected by label), not one GET per object. A kind the cluster does not
serve (KEDA not installed) has no members."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aimsync.core.applyset import member_selector
from aimsync.core.live import LiveObjects
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import NotFound
from aimsync.kube.read import list_objects
from aimsync.kube.resources import MANAGED_KINDS, RESOURCES


def read_members(
    kube: KubeClient,
    applyset: str,
    namespaces: Iterable[str],
    kinds: Iterable[str] = MANAGED_KINDS,
    concurrency: int = 8,
) -> LiveObjects:
    selector = member_selector(applyset)
    lists = [(ns, kind) for ns in sorted(set(namespaces)) for kind in kinds]

    def members_of(job: tuple[str, str]) -> list[dict[str, Any]]:
        try:
            return list_objects(kube, RESOURCES[job[1]], job[0], selector)
        except NotFound as error:
            if error.not_served:  # e.g. no KEDA: there can be no ScaledObjects to manage
                return []
            raise

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(lists) or 1))) as pool:
        pages = pool.map(members_of, lists)
        return LiveObjects.of(obj for items in pages for obj in items)
