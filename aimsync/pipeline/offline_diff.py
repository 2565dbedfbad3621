"""`aimsync diff --base`, offline: the repository at one Git ref against another (or the
working tree), both sides rendered by the offline half with the same facts, compared object
by object and summarised spec by spec, with the GPU budgets counted on both sides. A module
of its own so that validate and render do not import the plan stage.
"""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct, field

from aimsync.core.facts import ClusterFacts
from aimsync.load.git_ref import tree_at_ref
from aimsync.pipeline.offline import Derived, render_repository
from aimsync.plan.changes import ChangeSet
from aimsync.plan.compare import compare_sets
from aimsync.plan.summary import AimSummary, RenderedSide, summarize
from aimsync.policy import BudgetChange, PolicyReport, budget_changes
from aimsync.render.gating import CacheState

# A review wants to see the InferenceServices, so downloads count as done on both sides.
REVIEW = CacheState(assume_ready=True)


class OfflineDiff(Struct, frozen=True):
    """`aimsync diff --base`: what a change of the repository does to the derived objects."""

    changes: ChangeSet
    summary: AimSummary
    title: str
    # The GPU budgets of the new side's policies/, counted on both sides (every line).
    budgets: list[BudgetChange] = field(default_factory=list)
    policy: PolicyReport = field(default_factory=PolicyReport)  # the new side's verdicts
    files_read: int = 0  # of the new side

    @property
    def denied(self) -> bool:
        return not self.policy.ok


def _side(derived: Derived) -> RenderedSide:
    return RenderedSide(derived.specs, list(derived.resolved.resolutions))


def diff_refs(
    root: Path, base: str, head: str | None = None, *, facts: ClusterFacts | None = None,
    namespaces: tuple[str, ...] = (),
) -> OfflineDiff:
    """The repository at `base` against `head` (default: the working tree), both rendered
    offline with the same facts (and only `namespaces`, when given). Raises
    InvalidRepository naming the side that is invalid."""
    with tree_at_ref(root, base) as base_root:
        before = render_repository(base_root, facts=facts, label=base, namespaces=namespaces)
        if head is None:
            after = render_repository(root, facts=facts, label="the working tree",
                                      namespaces=namespaces)
        else:
            with tree_at_ref(root, head) as head_root:
                after = render_repository(head_root, facts=facts, label=head,
                                          namespaces=namespaces)
    changes = compare_sets(before.gated(REVIEW).objects, after.gated(REVIEW).objects)
    title = f"{base} → {head or 'working tree'}"
    budgets = budget_changes(
        after.validated.policies,
        (before.specs, list(before.resolved.resolutions)),
        (after.specs, list(after.resolved.resolutions)),
        after.facts,
    )
    return OfflineDiff(changes, summarize(_side(before), _side(after), changes), title,
                       budgets, after.policy, after.validated.loaded.files_read)
