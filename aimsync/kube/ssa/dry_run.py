"""What applying an object would do: a server-side dry-run apply, and the object it would
change (as listed, or found by the dry run when it exists outside the inventory)."""

from __future__ import annotations

from typing import Any

from aimsync.core.halt import Halted
from aimsync.core.objects import DesiredObject
from aimsync.core.results import DryRun
from aimsync.kube.client import KubeClient
from aimsync.kube.errors import KubeError
from aimsync.kube.read import get_object
from aimsync.kube.ssa.apply import ApplyPolicy, apply
from aimsync.kube.ssa.failures import ApplyFailed, failure_of


def dry_run(
    kube: KubeClient, obj: DesiredObject, live: dict[str, Any] | None, policy: ApplyPolicy
) -> DryRun:
    """Raises ApplyFailed when the API server refuses the apply."""
    applied = apply(kube, obj, live, policy, dry_run=True)
    if live is None and (applied.obj.get("metadata") or {}).get("resourceVersion"):
        # It exists without aimsync's inventory label: read it, so the plan can adopt it.
        try:
            live = get_object(kube, obj.key)
        except Halted:  # the whole run stops, not this object
            raise
        except KubeError as exc:
            raise ApplyFailed(failure_of(obj.key, exc, exists=True)) from None
    return DryRun(applied.obj, live, applied.reclaimed)
