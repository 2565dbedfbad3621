"""Profile resolution for every AIMService, as the operator's resolver at e837778 does it
(aim-engine internal/v1alpha2/aimservice/resolver.go; reference §2 where it agrees).

By name: namespace AIMProfile first, then AIMClusterProfile, no filter. By selector: exact
filters (no type floor at e837778; manualSelectionOnly profiles are left out), namespace
candidates beat cluster candidates, the ranking, then the first candidate with the best
status; the profile bound last time sticks while it still matches. A profile that is not
Ready is not deployed (ProfileNotReady). Every decision is recorded for `aimsync explain`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from enum import StrEnum

from msgspec import Struct, field

from aimsync.api import AIMService
from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.selector import match_selector
from aimsync.api.service import ProfileSelector
from aimsync.core.facts import ClusterFacts
from aimsync.core.objects import NamespacedName
from aimsync.load.status_tree import ProfileBinding
from aimsync.resolve.overrides import apply_overrides
from aimsync.resolve.profile_status import (
    ProfileStatus,
    compute_profile_status,
)
from aimsync.resolve.ranking import (
    RankedProfile,
    deciding_tier,
    pick_best_status,
    rank,
)
from aimsync.specs import Spec, Specs

NAMESPACE = "Namespace"
CLUSTER = "Cluster"
FORCE_REBIND = "aim.eai.amd.com/force-rebind"


class ProfileRef(Struct, frozen=True):
    name: str
    scope: str  # Namespace | Cluster
    namespace: str | None  # for Namespace scope

    @property
    def kind(self) -> str:
        return "AIMProfile" if self.scope == NAMESPACE else "AIMClusterProfile"

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


class CandidateVerdict(Struct, frozen=True):
    ref: ProfileRef
    kept: bool
    reason: str  # why dropped, or "kept"


class ResolutionReason(StrEnum):
    """The operator's reasons (the service's ProfileReady condition)."""

    RESOLVED = "ProfileResolved"
    NOT_FOUND = "ProfileNotFound"
    BASE_PROFILE = "BaseProfile"
    NOT_READY = "ProfileNotReady"


class Chosen(Struct, frozen=True):
    """The profile a resolved service runs: which one, its effective spec, its status."""

    profile: ProfileRef
    spec: AIMProfileSpecCommon
    status: ProfileStatus


class Resolution(Struct, frozen=True):
    """The outcome for one service: a profile, or the operator's reason why not."""

    service: NamespacedName
    profile: ProfileRef | None
    spec: AIMProfileSpecCommon | None
    status: ProfileStatus | None
    reason: ResolutionReason
    message: str
    shape: str  # "name" | "selector"
    candidates: tuple[CandidateVerdict, ...] = ()
    ranking: tuple[RankedProfile, ...] = ()
    deciding: tuple[tuple[str, str], ...] = ()  # (runner-up, tier the winner won on)
    ambiguous_with: tuple[str, ...] = ()
    sticky: bool = False  # kept the profile of the last run instead of re-ranking

    @property
    def resolved(self) -> bool:
        return self.reason is ResolutionReason.RESOLVED

    @property
    def chosen(self) -> Chosen | None:
        """The profile to deploy; None unless resolved."""
        if not self.resolved or self.profile is None or self.spec is None or self.status is None:
            return None
        return Chosen(self.profile, self.spec, self.status)


AimIndex = dict[str, list[tuple[ProfileRef, AIMProfileSpecCommon]]]


class _Statuses(Mapping[ProfileRef, ProfileStatus]):
    """The status of every profile, each computed when first asked for: what only counts
    some services (the GPU budgets of `validate`) computes only the profiles they can bind."""

    def __init__(self, specs: dict[ProfileRef, AIMProfileSpecCommon], facts: ClusterFacts
                 ) -> None:
        self._specs = specs
        self._facts = facts
        self._computed: dict[ProfileRef, ProfileStatus] = {}

    def __getitem__(self, ref: ProfileRef) -> ProfileStatus:
        status = self._computed.get(ref)
        if status is None:
            status = self._computed[ref] = compute_profile_status(self._specs[ref], self._facts)
        return status

    def __iter__(self) -> Iterator[ProfileRef]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


class ProfileStatuses(Struct, frozen=True):
    """Status of every profile of the repository under the given facts (each computed once),
    and the profiles by aimId (namespace profiles, sorted, before cluster profiles), as the
    operator's field index on .spec.aimId."""

    facts: ClusterFacts
    by_ref: Mapping[ProfileRef, ProfileStatus] = field(default_factory=dict)
    by_aim_id: AimIndex = field(default_factory=dict)

    @staticmethod
    def compute(specs: Specs, facts: ClusterFacts) -> ProfileStatuses:
        by_ref: dict[ProfileRef, AIMProfileSpecCommon] = {}
        index: AimIndex = {}
        for (namespace, name), profile in sorted(specs.profiles.items()):
            ref = ProfileRef(name, NAMESPACE, namespace)
            by_ref[ref] = profile.obj.spec
            index.setdefault(profile.obj.spec.aim_id or "", []).append((ref, profile.obj.spec))
        for name, cluster in sorted(specs.cluster_profiles.items()):
            ref = ProfileRef(name, CLUSTER, None)
            by_ref[ref] = cluster.obj.spec
            index.setdefault(cluster.obj.spec.aim_id or "", []).append((ref, cluster.obj.spec))
        return ProfileStatuses(facts, _Statuses(by_ref, facts), index)


@dataclasses.dataclass(frozen=True, slots=True)
class Resolved:
    """What resolve hands on: every profile's status and every service's resolution."""

    statuses: ProfileStatuses
    resolutions: tuple[Resolution, ...]
    _by_service: dict[NamespacedName, Resolution] = dataclasses.field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_service", {r.service: r for r in self.resolutions})

    def of(self, service: NamespacedName) -> Resolution:
        return self._by_service[service]


def _result(
    service: Spec[AIMService],
    ref: ProfileRef | None,
    seed: AIMProfileSpecCommon | None,
    statuses: ProfileStatuses,
    shape: str,
    **extra: object,
) -> Resolution:
    key = (service.namespace or "", service.name)
    if ref is None or seed is None:
        return Resolution(key, None, None, None, shape=shape, **extra)  # type: ignore[arg-type]
    overrides = service.obj.spec.profile_overrides
    spec = apply_overrides(seed, overrides)
    # The effective profile's status: recomputed when overrides change what it needs.
    status = (
        statuses.by_ref[ref]
        if spec is seed
        else compute_profile_status(spec, statuses.facts)
    )
    if not spec.is_deployable:
        return Resolution(
            key, ref, spec, status, ResolutionReason.BASE_PROFILE,
            f"{ref} is a base profile (no aimId and modelSources) and cannot be deployed",
            shape, **extra,  # type: ignore[arg-type]
        )
    if status.status != "Ready":  # PlanResources at e837778 requires a Ready profile
        return Resolution(
            key, ref, spec, status, ResolutionReason.NOT_READY,
            f"Profile {ref.name} is not ready yet: {status.status} "
            f"({status.hardware_summary}, 0 matching nodes)",
            shape, **extra,  # type: ignore[arg-type]
        )
    return Resolution(
        key, ref, spec, status, ResolutionReason.RESOLVED, f"resolved to {ref}", shape,
        **extra,  # type: ignore[arg-type]
    )


def resolve_service(
    service: Spec[AIMService],
    specs: Specs,
    statuses: ProfileStatuses,
    previous: ProfileBinding | None = None,
    selections: Selections | None = None,
) -> Resolution:
    namespace = service.namespace or ""
    config = service.obj.spec.profile
    assert config is not None, "validation guarantees spec.profile"
    if config.name:
        local = specs.profiles.get((namespace, config.name))
        if local is not None:
            ref = ProfileRef(config.name, NAMESPACE, namespace)
            return _result(service, ref, local.obj.spec, statuses, "name")
        cluster = specs.cluster_profiles.get(config.name)
        if cluster is not None:
            ref = ProfileRef(config.name, CLUSTER, None)
            return _result(service, ref, cluster.obj.spec, statuses, "name")
        return _result(
            service, None, None, statuses, "name", reason=ResolutionReason.NOT_FOUND,
            message=f"no AIMProfile or AIMClusterProfile named {config.name!r}",
        )
    return _resolve_by_selector(service, specs, statuses, previous,
                                {} if selections is None else selections)


class _Matched(Struct, frozen=True):
    """What a selector keeps in a namespace: every candidate's verdict, the kept ones."""

    verdicts: tuple[CandidateVerdict, ...]
    kept: tuple[tuple[ProfileRef, AIMProfileSpecCommon], ...]


class _Ranked(Struct, frozen=True):
    """The ranking of what a selector kept in a namespace, and the pick."""

    verdicts: tuple[CandidateVerdict, ...]
    ranking: tuple[RankedProfile, ...]
    ref: ProfileRef
    spec: AIMProfileSpecCommon
    deciding: tuple[tuple[str, str], ...]
    ambiguous: tuple[str, ...]


# What a selector picks in a namespace, per (namespace, selector): the same for every service
# that writes that selector there (services made from one template resolve alike).
Selections = dict[tuple[str, str], tuple[_Matched, "_Ranked | None"]]


def _matched(namespace: str, selector: ProfileSelector, statuses: ProfileStatuses) -> _Matched:
    # Like the operator's field index on .spec.aimId, only profiles of the selector's aimId
    # are candidates at all (validation makes every selector name an aimId).
    index = statuses.by_aim_id
    pool = [
        (ref, spec)
        for ref, spec in index.get(selector.aim_id or "", [])
        if ref.scope == CLUSTER or ref.namespace == namespace
    ]
    verdicts: list[CandidateVerdict] = []
    kept: list[tuple[ProfileRef, AIMProfileSpecCommon]] = []
    for ref, spec in pool:
        if not spec.is_deployable:
            verdicts.append(CandidateVerdict(ref, False, "base profile (not deployable)"))
            continue
        verdict = match_selector(spec, selector)
        verdicts.append(CandidateVerdict(ref, verdict.matches, verdict.reason or "kept"))
        if verdict.matches:
            kept.append((ref, spec))
    return _Matched(tuple(verdicts), tuple(kept))


def _ranked(matched: _Matched, statuses: ProfileStatuses) -> _Ranked:
    kept, verdicts = matched.kept, matched.verdicts
    local = [(r, s) for r, s in kept if r.scope == NAMESPACE]
    chosen_pool = local or list(kept)  # namespace candidates beat cluster candidates
    if local and len(local) != len(kept):
        verdicts = tuple(
            CandidateVerdict(v.ref, False, "a namespace profile matched; cluster profiles lose")
            if v.kept and v.ref.scope == CLUSTER
            else v
            for v in verdicts
        )
    ranked = rank(
        [
            RankedProfile(r.name, r.scope, s, statuses.by_ref[r].version, statuses.by_ref[r].status)
            for r, s in chosen_pool
        ]
    )
    winner = pick_best_status(ranked)
    assert winner is not None
    deciding = tuple(
        (other.name, deciding_tier(winner, other)) for other in ranked if other is not winner
    )
    ambiguous = tuple(
        other.name
        for other in ranked
        if other is not winner and other.tier_keys()[:-1] == winner.tier_keys()[:-1]
    )
    ref = next(r for r, _ in chosen_pool if r.name == winner.name)
    return _Ranked(verdicts, tuple(ranked), ref, winner.spec, deciding, ambiguous)


def _resolve_by_selector(
    service: Spec[AIMService],
    specs: Specs,
    statuses: ProfileStatuses,
    previous: ProfileBinding | None,
    selections: Selections,
) -> Resolution:
    namespace = service.namespace or ""
    selector = service.obj.spec.profile.selector  # type: ignore[union-attr]
    assert selector is not None
    key = (namespace, repr(selector.to_api()))
    matched, ranked = selections.get(key) or (_matched(namespace, selector, statuses), None)
    if not matched.kept:
        message = "no AIMProfile or AIMClusterProfile matched the selector"
        selections[key] = (matched, None)
        return _result(
            service, None, None, statuses, "selector", reason=ResolutionReason.NOT_FOUND,
            message=message, candidates=matched.verdicts,
        )
    annotations = service.obj.metadata.annotations or {}
    if previous is not None and not annotations.get(FORCE_REBIND):
        # Sticky binding (reference §2.5): the profile bound last time is kept while it still
        # passes the selector; annotate the service with aim.eai.amd.com/force-rebind to rank
        # again.
        for ref, spec in matched.kept:
            if ref.name == previous.name and ref.scope == previous.scope:
                selections[key] = (matched, ranked)
                return _result(
                    service, ref, spec, statuses, "selector", candidates=matched.verdicts,
                    sticky=True,
                )
    if ranked is None:
        ranked = _ranked(matched, statuses)
    selections[key] = (matched, ranked)
    return _result(
        service, ranked.ref, ranked.spec, statuses, "selector", candidates=ranked.verdicts,
        ranking=ranked.ranking, deciding=ranked.deciding, ambiguous_with=ranked.ambiguous,
    )


def resolve_all(
    specs: Specs,
    facts: ClusterFacts,
    bindings: Mapping[NamespacedName, ProfileBinding] | None = None,
) -> Resolved:
    """Every service's profile. `bindings`: the profiles the last run bound (status/)."""
    statuses = ProfileStatuses.compute(specs, facts)
    bindings = bindings or {}
    selections: Selections = {}
    return Resolved(statuses, tuple(
        resolve_service(service, specs, statuses, bindings.get(key), selections)
        for key, service in sorted(specs.services.items())
    ))
