"""The pipeline of DESIGN.md §2, end to end: the one place that strings the stages together.

  load -> validate -> resolve -> render -> policy             offline: validate, render,
                                                               explain, diff --base
  load -> validate -> [lock] -> resolve -> render -> policy   online: diff (plan only),
          -> plan -> apply -> observe -> commit                sync

Both entries share load -> validate -> resolve -> render -> policy (`derive`); `validate`
runs load -> validate -> policy, the policy stage resolving and rendering only what the
policies of policies/ need. A repository with policies reads the cluster's nodes before the
lock (its policies are judged before anything is written, the Lease included). The stages are
pure; the
I/O is here and at the edges (load: files; kube: the cluster; commit: Git). The command line
and the benchmarks run the stages through these entries (check_repository, render_repository,
diff_refs, sync_repository, status_reports); they only format what comes back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from aimsync.api.base import DNS1123_LABEL
from aimsync.commit.git_ops import GitContext, GitIdentity, current_branch
from aimsync.commit.publish import RunSummary, publish_status
from aimsync.commit.remote import cloned
from aimsync.commit.status_writer import status_folder_problem
from aimsync.core.errors import AimsyncError, InvalidInput
from aimsync.core.exit_codes import ExitCode
from aimsync.core.facts import ClusterFacts
from aimsync.core.live import LiveObjects
from aimsync.core.results import PublishFailure, PublishResult, PublishStep
from aimsync.core.sizing import MeasuredSize
from aimsync.findings import Findings
from aimsync.kube.client import KubeClient
from aimsync.kube.inventory import Inventory
from aimsync.kube.lock import RunLock, run_identity
from aimsync.kube.namespaces import create_missing_namespaces, ensure_namespace
from aimsync.kube.read import read_cluster_facts
from aimsync.kube.ssa.apply import ApplyPolicy
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.load.git_ref import tree_at_ref
from aimsync.load.repository import LoadedRepository, load_repository, require_folder
from aimsync.load.status_tree import StatusTree, read_status_tree
from aimsync.observe.observe import observe
from aimsync.plan.changes import ChangeSet
from aimsync.plan.compare import compare_sets
from aimsync.plan.summary import AimSummary, RenderedSide, summarize
from aimsync.policy import (
    BudgetChange,
    BudgetUsage,
    PolicyReport,
    PolicySet,
    budget_changes,
    check_policies,
    live_budget_changes,
    manifest_demand,
    read_policy_set,
)
from aimsync.render.desired import DesiredSet
from aimsync.render.gating import CacheState, Gated, gate
from aimsync.render.render import render
from aimsync.resolve.resolver import Resolved, resolve_all
from aimsync.settings import Settings
from aimsync.specs import Specs
from aimsync.sync.cluster import KubeCluster
from aimsync.sync.engine import SyncOptions, run_sync
from aimsync.sync.report import SyncReport
from aimsync.validate import validate_repository

FACTS_UNKNOWN_NOTE = (
    "no cluster facts given: every profile is treated as available (pass --cluster-facts "
    "with the output of `kubectl get nodes -o yaml` to match nodes)"
)


class InvalidRepository(InvalidInput):
    """Validation found errors, or a policy denied: nothing was changed anywhere (exit 2)."""

    def __init__(
        self, findings: Findings, files_read: int, label: str = "",
        requests: Mapping[str, int] | None = None, headline: str = "",
    ) -> None:
        self.findings = findings
        self.files_read = files_read
        self.label = label  # which side of a diff, when it is not the working tree
        # The requests sent before the run stopped (all reads: nothing was written).
        self.requests: Mapping[str, int] = requests or {}
        super().__init__(headline or (f"the repository at {label} is invalid" if label
                                      else "invalid input"))


POLICY_DENIED = "denied by the policies of policies/: nothing was written"


class Events(Protocol):
    """What a run tells the person waiting for it, while it runs."""

    def warnings(self, found: Findings, files_read: int) -> None:
        """The warnings of a valid repository (before the run goes on)."""

    def progress(self, message: str) -> None: ...

    def finished(self, run: SyncRun) -> None:
        """The cluster part is done (before status is published, which may take a while)."""


# -- the shared stages: load -> validate -> resolve -> render ------------------------------


@dataclass(frozen=True)
class Validated:
    loaded: LoadedRepository
    specs: Specs
    policies: PolicySet = field(default_factory=PolicySet)  # what policies/ holds

    @property
    def warnings(self) -> Findings:
        return self.loaded.findings


@dataclass(frozen=True)
class Derived:
    """What the pure stages derive from a valid repository under some cluster facts."""

    validated: Validated
    facts: ClusterFacts
    resolved: Resolved
    desired: DesiredSet
    policy: PolicyReport = field(default_factory=PolicyReport)  # the policy stage's verdicts

    @property
    def specs(self) -> Specs:
        return self.validated.specs

    @property
    def denied(self) -> bool:
        """A Deny of a policy or a GPU budget: validate exits 2, sync writes nothing."""
        return not self.policy.ok

    @property
    def notes(self) -> list[str]:
        return [] if self.facts.known else [FACTS_UNKNOWN_NOTE]

    def gated(self, cache: CacheState) -> Gated:
        return gate(self.desired, cache)

    def resized(self, sizes: Mapping[tuple[str, str], MeasuredSize]) -> DesiredSet:
        """Rendered again with the model sizes check-size Jobs measured."""
        return render(self.specs, self.resolved, sizes)


def validated_repository(root: Path, label: str = "") -> Validated:
    """load -> validate. Raises InvalidRepository (nothing after it runs) or InvalidInput."""
    loaded = load_repository(root)
    result = validate_repository(loaded)
    # An invalid policy file is a located error like an invalid spec.
    policies = read_policy_set(loaded.policy_documents, result.findings)
    if not result.ok:
        raise InvalidRepository(result.findings, loaded.files_read, label)
    return Validated(loaded, result.specs, policies)


def derive(validated: Validated, facts: ClusterFacts) -> Derived:
    """resolve -> render -> policy (pure). Bindings of the last run (status/) stay sticky."""
    sticky = validated.loaded.status.bindings()
    resolved = resolve_all(validated.specs, facts, sticky)
    desired = render(validated.specs, resolved)
    policy = check_policies(
        validated.policies, validated.specs, facts, resolutions=resolved.resolutions,
        desired=desired, sticky=sticky,
    )
    return Derived(validated, facts, resolved, desired, policy)


def refuse_denied(derived: Derived, requests: Mapping[str, int] | None = None) -> None:
    """Raises InvalidRepository (exit 2) with every finding when a policy denies."""
    if derived.denied:
        found = Findings([*derived.validated.warnings.items, *derived.policy.findings.items])
        raise InvalidRepository(found, derived.validated.loaded.files_read,
                                requests=requests, headline=POLICY_DENIED)


def facts_from_file(path: Path, files_read: int = 0) -> ClusterFacts:
    """Nodes from --cluster-facts; `files_read`: of the repository, for the summary line."""
    found = Findings()
    facts = load_cluster_facts(path, found)
    if found.has_errors:
        raise InvalidRepository(found, files_read)
    return facts


# -- offline: validate, render, explain, diff --base ---------------------------------------


def render_repository(
    root: Path, *, facts: ClusterFacts | None = None, label: str = "",
    namespaces: tuple[str, ...] = (),
) -> Derived:
    """Everything the offline commands print. Without facts every profile counts as
    available (and the notes say so). `namespaces`: only those (as -n)."""
    validated = narrowed_to(validated_repository(root, label), namespaces)
    return derive(validated, facts if facts is not None else ClusterFacts.unknown())


# A review wants to see the InferenceServices, so downloads count as done on both sides.
REVIEW = CacheState(assume_ready=True)


@dataclass(frozen=True)
class OfflineDiff:
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


def status_reports(root: Path) -> StatusTree:
    """`aimsync status`: the reports of the last run under status/ (no cluster needed)."""
    return read_status_tree(require_folder(root))


# -- online: diff (plan only) and sync -----------------------------------------------------


@dataclass(frozen=True)
class SyncRequest:
    """One `aimsync sync` (or live `aimsync diff`: plan_only) as the command line asks it."""

    root: Path
    plan_only: bool = False
    prune: bool = False
    # Prune guards: None means the `prune` settings of aimsync.yaml decide.
    allow_empty: bool | None = None
    prune_shared_caches: bool | None = None
    force_conflicts: bool = False
    wait_seconds: float | None = None
    concurrency: int = 8
    facts_file: Path | None = None  # match these nodes instead of the cluster's
    write_status: bool = False
    commit_status: bool = False
    push: bool = False
    branch: str | None = None
    repo_url: str | None = None  # clone this repository (remote mode); root is inside it
    timeout_seconds: float | None = None  # the run's deadline, from its start
    lock_wait_seconds: float = 0.0  # wait this long for a Lease another run holds
    create_namespaces: bool | None = None  # None: createNamespaces of aimsync.yaml decides
    namespaces: tuple[str, ...] = ()  # -n: act on these namespaces only (empty: all owned)

    def options(self, settings: Settings) -> SyncOptions:
        guards = settings.prune
        return SyncOptions(
            plan_only=self.plan_only,
            prune=self.prune,
            allow_empty=guards.allow_empty if self.allow_empty is None else self.allow_empty,
            prune_shared_caches=(
                guards.shared_caches if self.prune_shared_caches is None
                else self.prune_shared_caches
            ),
            wait_seconds=self.wait_seconds,
            concurrency=self.concurrency,
            observe=self.writes_status,
            partial=bool(self.namespaces),
        )

    @property
    def writes_status(self) -> bool:
        return (self.write_status or self.commit_status) and not self.plan_only


@dataclass(frozen=True)
class SyncRun:
    """One online run, for the command line to print."""

    derived: Derived
    report: SyncReport
    requests: Mapping[str, int]
    plan_only: bool
    published: PublishResult | None = None
    budgets: tuple[BudgetChange, ...] = ()  # a plan: the live services' usage -> the repository's

    @property
    def denied(self) -> bool:
        return self.derived.denied

    @property
    def exit_code(self) -> ExitCode:
        """0 done (a plan: no change), 1 a plan with changes, 3 something failed; a run that
        stopped early exits with its reason's code (143/130 for a signal)."""
        if self.report.halted is not None:
            return self.report.halted.exit_code
        if not self.report.ok or (self.published is not None and not self.published.ok):
            return ExitCode.FAILURE
        if self.plan_only and self.report.changes.has_changes:
            return ExitCode.CHANGES
        return ExitCode.OK


Connect = Callable[[int], KubeClient]  # pool size -> a connected client


def connect_with(kubeconfig: Path | None, context: str | None) -> Connect:
    """How a run connects: the kubeconfig (or in-cluster config), a pool of the run's size."""
    return lambda pool: KubeClient.connect(kubeconfig, context, pool_size=pool)


@dataclass(frozen=True)
class _Git:
    context: GitContext | None
    push_branch: str | None


def _git_for(request: SyncRequest, settings: Settings, env: Mapping[str, str],
             secrets: tuple[str, ...]) -> _Git:
    """The repository status is written and committed to; checked before any cluster contact."""
    if not request.writes_status:
        return _Git(None, None)
    problem = status_folder_problem(request.root)
    if problem:
        raise InvalidInput(problem)
    identity = GitIdentity(settings.git.author_name, settings.git.author_email)
    context = GitContext.open(request.root, identity, env, secrets)
    if context is None:
        if request.commit_status:
            raise InvalidInput(f"--commit-status: {request.root} is not inside a Git repository")
        return _Git(None, None)
    branch = current_branch(context, request.branch, os.environ) if request.push else None
    return _Git(context, branch)


@contextlib.contextmanager
def _run_lock(
    kube: KubeClient, settings: Settings, request: SyncRequest, events: Events
) -> Iterator[RunLock | None]:
    """The Lease of the run (a plan writes nothing and takes none)."""
    if request.plan_only:
        yield None
        return
    ensure_namespace(kube, settings.lock.namespace)
    ensure_namespace(kube, settings.inventory.namespace)
    lock = RunLock(
        kube, settings.lock.namespace, settings.lock.name, run_identity(),
        duration=settings.lock.lease_duration_seconds,
        wait_seconds=request.lock_wait_seconds, progress=events.progress,
    )
    with lock:
        yield lock


def narrowed_to(validated: Validated, namespaces: tuple[str, ...]) -> Validated:
    """-n: the run acts on these namespaces of the repository only. For the run, this
    instance owns just them: nothing is read, applied or pruned in any other namespace."""
    if not namespaces:
        return validated
    settings = validated.specs.settings
    for name in namespaces:
        if len(name) > 63 or not re.match(DNS1123_LABEL, name):
            raise InvalidInput(f"-n {name!r}: not a namespace name (a DNS-1123 label)")
        if not settings.owns_namespace(name):
            raise InvalidInput(
                f"-n {name}: not a namespace this instance owns (namespaces in aimsync.yaml: "
                f"{', '.join(settings.namespaces)})"
            )
    narrowed = settings.model_copy(update={"namespaces": sorted(set(namespaces))})
    return replace(validated, specs=replace(validated.specs, settings=narrowed))


def sync_repository(request: SyncRequest, connect: Connect, events: Events) -> SyncRun:
    """An online run: plan against the cluster (plan_only) or sync it, then status to Git."""
    clock = time.monotonic()  # --timeout counts from here, the clone included
    if request.repo_url is None:
        return _sync_folder(request, connect, events, {}, (), clock)
    if request.branch is None:
        raise InvalidInput("--repo needs --branch")
    with cloned(request.repo_url, request.branch) as clone:
        inside = replace(request, root=clone.path / request.root)
        return _sync_folder(inside, connect, events, clone.env, clone.secrets, clock)


def _sync_folder(
    request: SyncRequest, connect: Connect, events: Events, git_env: Mapping[str, str],
    secrets: tuple[str, ...], clock: float,
) -> SyncRun:
    started = dt.datetime.now(dt.UTC)
    # An invalid repository changes nothing, also when -n leaves its errors out of reach.
    validated = narrowed_to(validated_repository(request.root), request.namespaces)
    files_read = validated.loaded.files_read
    events.warnings(validated.warnings, files_read)
    settings = validated.specs.settings
    git = _git_for(request, settings, git_env, secrets)
    facts = None if request.facts_file is None else facts_from_file(request.facts_file, files_read)
    options = request.options(settings)
    kube = connect(request.concurrency)
    if request.timeout_seconds is not None:
        kube.guard.deadline = clock + request.timeout_seconds
        kube.guard.timeout_seconds = request.timeout_seconds
    try:
        judged: Derived | None = None
        if not validated.policies.empty:
            # Judged before anything is written (the Lease included): a Deny stops the run
            # after reading the nodes only.
            judged = derive(validated, read_cluster_facts(kube) if facts is None else facts)
            events.warnings(judged.policy.findings, files_read)
            if not request.plan_only:
                refuse_denied(judged, kube.stats.as_dict())
        with _run_lock(kube, settings, request, events) as lock:
            derived = judged or derive(
                validated, read_cluster_facts(kube) if facts is None else facts
            )
            create = (settings.create_namespaces if request.create_namespaces is None
                      else request.create_namespaces)
            if create and not request.plan_only:
                for name in create_missing_namespaces(kube, _owned_namespaces(derived)):
                    events.progress(f"created namespace {name}")
            cluster = KubeCluster(
                kube,
                Inventory(kube, settings.inventory.namespace, settings.inventory.name),
                ApplyPolicy(settings.field_manager, request.force_conflicts,
                            tuple(settings.reclaim_from_managers)),
                lock,
                request.concurrency,
            )
            report = run_sync(
                cluster, derived.specs, derived.desired, options, events.progress,
                derived.resized,
            )
    finally:
        kube.close()
    if report.desired is not None:  # with the sizes the run measured
        derived = replace(derived, desired=report.desired)
    budgets = _live_budgets(derived, report.changes) if request.plan_only else ()
    run = SyncRun(derived, report, kube.stats.as_dict(), request.plan_only, budgets=budgets)
    events.finished(run)
    if report.live_after is None:
        return run
    published = _publish(
        request, derived, report, report.live_after, git, started, time.monotonic() - clock
    )
    return replace(run, published=published)


def _live_budgets(derived: Derived, changes: ChangeSet) -> tuple[BudgetChange, ...]:
    """The GPU budgets before (the live InferenceServices of the plan) and after (the
    repository's services, as the policy stage counted them)."""
    live = [
        demand for change in changes.changes
        if change.key.kind == "InferenceService" and change.before is not None
        for demand in [manifest_demand(change.key.namespace, change.before)]
        if demand is not None
    ]
    policies = derived.validated.policies
    return tuple(live_budget_changes(policies, live, derived.policy.budgets, derived.facts))


def _owned_namespaces(derived: Derived) -> set[str]:
    """The namespaces the desired objects live in (this instance owns them)."""
    return {o.key.namespace for o in derived.desired.objects if o.key.namespace}


def _publish(
    request: SyncRequest, derived: Derived, report: SyncReport, live: LiveObjects, git: _Git,
    started: dt.datetime, duration: float,
) -> PublishResult:
    """observe -> commit: the status of every spec, written (and committed, pushed). It never
    raises: the cluster is applied by now, and the run's report must reach the person."""
    tree = derived.validated.loaded.status
    now = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        reports = observe(
            derived.specs, derived.resolved, derived.desired, live, tree.statuses(), now
        )
        summary = RunSummary(
            started, duration, report.ok, report.counts().as_dict(), report.object_writes > 0
        )
        return publish_status(
            request.root, tree, reports, summary, derived.specs.settings,
            git=git.context, commit=request.commit_status, push_branch=git.push_branch,
        )
    except (AimsyncError, OSError) as exc:
        message = exc.headline if isinstance(exc, AimsyncError) else str(exc)
        return PublishResult(failure=PublishFailure(PublishStep.WRITE, message))


# -- validate only -------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """`aimsync validate`: every finding of the repository (policies' included), how many
    files were read, and the GPU budgets' usage."""

    findings: Findings
    files_read: int
    budgets: list[BudgetUsage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings.has_errors


def check_repository(root: Path, facts: ClusterFacts | None = None) -> Checked:
    """load -> validate -> policy, for the findings alone (an invalid repository is a result
    here). The policy stage resolves and renders only what the policies need; a repository
    with errors has its valid specs judged, without budgets or derived objects."""
    loaded = load_repository(root)
    result = validate_repository(loaded)
    specs_valid = result.ok
    policies = read_policy_set(loaded.policy_documents, result.findings)
    report = check_policies(
        policies, result.specs, facts if facts is not None else ClusterFacts.unknown(),
        sticky=loaded.status.bindings(), complete=specs_valid,
    )
    result.findings.extend(report.findings.items)
    return Checked(result.findings, loaded.files_read, report.budgets)
