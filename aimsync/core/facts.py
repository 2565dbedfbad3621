"""Cluster facts: what the nodes offer (labels and allocatable resources).

Facts come from `kubectl get nodes -o yaml` (a file, offline) or from the live cluster; the
pure stages only see this plain data.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from msgspec import Struct, field

from aimsync.core.quantity import parse_quantity


def _mapping(value: object) -> dict[str, object]:
    """`value` when it is a mapping; anything else (a file written by hand) reads as empty."""
    return value if isinstance(value, dict) else {}


class Node(Struct, frozen=True):
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, Decimal] = field(default_factory=dict)

    @staticmethod
    def from_api(obj: dict[str, object]) -> Node:
        """A Node object as the API returns it (only the fields aimsync uses are read)."""
        metadata = _mapping(obj.get("metadata"))
        status = _mapping(obj.get("status"))
        labels = _mapping(metadata.get("labels"))
        allocatable: dict[str, Decimal] = {}
        for key, value in _mapping(status.get("allocatable")).items():
            # An unreadable quantity cannot be compared: left out.
            if isinstance(value, (int, str)) and not isinstance(value, bool):
                with contextlib.suppress(ValueError):
                    allocatable[str(key)] = parse_quantity(value)
        return Node(
            name=str(metadata.get("name", "")),
            labels={str(k): str(v) for k, v in labels.items() if isinstance(v, (str, int))},
            allocatable=allocatable,
        )


class ClusterFacts(Struct, frozen=True):
    """None of the facts known (offline without a file) is different from zero nodes."""

    nodes: tuple[Node, ...] = ()
    known: bool = True

    @staticmethod
    def unknown() -> ClusterFacts:
        return ClusterFacts((), known=False)
