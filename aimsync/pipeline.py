"""The offline part of the pipeline, end to end: load -> validate -> resolve -> render.

Commands call this; it is the only place that strings the stages together, so a newcomer can
follow one run from the repository folder to the desired objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aimsync.findings import Findings
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.load.repository import LoadedRepository, load_repository
from aimsync.render.objects import DesiredSet
from aimsync.render.render import CacheState, render
from aimsync.resolve.facts import ClusterFacts
from aimsync.resolve.resolver import ProfileStatuses, Resolution, resolve_all
from aimsync.specs import Specs
from aimsync.validate import validate_repository

FACTS_UNKNOWN_NOTE = (
    "no cluster facts given: every profile is treated as available (pass --cluster-facts "
    "with the output of `kubectl get nodes -o yaml` to match nodes)"
)


@dataclass
class RenderOutcome:
    loaded: LoadedRepository
    findings: Findings
    specs: Specs | None = None
    statuses: ProfileStatuses | None = None
    resolutions: list[Resolution] | None = None
    desired: DesiredSet | None = None

    @property
    def ok(self) -> bool:
        return not self.findings.has_errors and self.desired is not None


def render_repository(
    root: Path,
    *,
    facts_file: Path | None = None,
    facts: ClusterFacts | None = None,
    cache_state: CacheState | None = None,
) -> RenderOutcome:
    """Everything the offline commands print. Stops after validation when it found errors."""
    loaded = load_repository(root)
    validation = validate_repository(loaded)
    outcome = RenderOutcome(loaded, validation.findings)
    if facts is None:
        facts = (
            load_cluster_facts(facts_file, validation.findings)
            if facts_file is not None
            else ClusterFacts.unknown()
        )
    if validation.findings.has_errors:
        return outcome
    outcome.specs = validation.specs
    outcome.statuses, outcome.resolutions = resolve_all(validation.specs, facts)
    outcome.desired = render(validation.specs, outcome.resolutions, cache_state)
    if not facts.known:
        outcome.desired.notes.append(FACTS_UNKNOWN_NOTE)
    return outcome
