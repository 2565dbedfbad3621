"""The online half of the pipeline (DESIGN.md §2): live diff (plan only) and sync.

  load -> validate -> [lock] -> resolve -> render -> policy -> plan -> apply -> observe
       -> commit

It starts from the offline half's stages (`validated_repository`, `derive`) and adds the
edges: the cluster (kube), the sync engine, and status in Git (commit). A repository with
policies reads the cluster's nodes before the lock (its policies are judged before anything
is written, the Lease included).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from msgspec import Struct
from msgspec.structs import replace

from aimsync.commit.git_ops import GitContext, GitIdentity, current_branch
from aimsync.commit.publish import RunSummary, publish_status
from aimsync.commit.remote import cloned
from aimsync.commit.status_writer import status_folder_problem
from aimsync.core.errors import AimsyncError, InvalidInput
from aimsync.core.exit_codes import ExitCode
from aimsync.core.live import LiveObjects
from aimsync.core.results import PublishFailure, PublishResult, PublishStep
from aimsync.findings import Findings
from aimsync.kube.client import KubeClient
from aimsync.kube.inventory import Inventory
from aimsync.kube.lock import RunLock, run_identity
from aimsync.kube.namespaces import create_missing_namespaces, ensure_namespace
from aimsync.kube.read import read_cluster_facts
from aimsync.kube.ssa.apply import ApplyPolicy
from aimsync.observe.observe import observe
from aimsync.pipeline.offline import (
    Derived,
    derive,
    facts_from_file,
    narrowed_to,
    refuse_denied,
    validated_repository,
)
from aimsync.plan.changes import ChangeSet
from aimsync.policy import (
    BudgetChange,
    live_budget_changes,
    manifest_demand,
)
from aimsync.settings import Settings
from aimsync.sync.cluster import KubeCluster
from aimsync.sync.engine import SyncOptions, run_sync
from aimsync.sync.report import SyncReport


class Events(Protocol):
    """What a run tells the person waiting for it, while it runs."""

    def warnings(self, found: Findings, files_read: int) -> None:
        """The warnings of a valid repository (before the run goes on)."""

    def progress(self, message: str) -> None: ...

    def finished(self, run: SyncRun) -> None:
        """The cluster part is done (before status is published, which may take a while)."""


# -- online: diff (plan only) and sync -----------------------------------------------------


class SyncRequest(Struct, frozen=True):
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


class SyncRun(Struct, frozen=True):
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


class _Git(Struct, frozen=True):
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

