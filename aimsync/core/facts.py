"""Cluster facts: what the nodes offer (labels and allocatable resources).

Facts come from `kubectl get nodes -o yaml` (a file, offline) or from the live cluster; the
pure stages only see this plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from aimsync.core.quantity import parse_quantity


@dataclass(frozen=True)
class Node:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, Decimal] = field(default_factory=dict)

    @staticmethod
    def from_api(obj: dict[str, object]) -> Node:
        """A Node object as the API returns it (only the fields aimsync uses are read)."""
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        assert isinstance(metadata, dict) and isinstance(status, dict)
        labels = metadata.get("labels") or {}
        allocatable: dict[str, Decimal] = {}
        for key, value in (status.get("allocatable") or {}).items():
            try:
                allocatable[str(key)] = parse_quantity(value)
            except (ValueError, TypeError):
                continue  # an unreadable quantity cannot be compared: ignore it
        return Node(
            name=str(metadata.get("name", "")),
            labels={str(k): str(v) for k, v in labels.items()},
            allocatable=allocatable,
        )


@dataclass(frozen=True)
class ClusterFacts:
    """None of the facts known (offline without a file) is different from zero nodes."""

    nodes: tuple[Node, ...] = ()
    known: bool = True

    @staticmethod
    def unknown() -> ClusterFacts:
        return ClusterFacts((), known=False)
