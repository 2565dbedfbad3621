"""The offline half of the pipeline (DESIGN.md §2): load -> validate -> resolve -> render ->
policy, shared by every command (`derive`), and the offline entries: validate
(`check_repository`), render and explain (`render_repository`), diff --base (`diff_refs`),
status (`status_reports`). It imports neither the cluster edge nor the commit stage (an
import-linter contract keeps it so), which keeps the offline commands' start-up short.

`validate` runs load -> validate -> policy, the policy stage resolving and rendering only
what the policies of policies/ need. The stages are pure; the I/O here is reading files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct, field
from msgspec.structs import replace

from aimsync.api.base import DNS1123_LABEL
from aimsync.core.errors import InvalidInput
from aimsync.core.facts import ClusterFacts
from aimsync.core.sizing import MeasuredSize
from aimsync.findings import Findings
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.load.repository import LoadedRepository, load_repository, require_folder
from aimsync.load.status_tree import StatusTree, read_status_tree
from aimsync.policy import (
    BudgetUsage,
    PolicyReport,
    PolicySet,
    check_policies,
    read_policy_set,
)
from aimsync.render.desired import DesiredSet
from aimsync.render.gating import CacheState, Gated, gate
from aimsync.render.render import render
from aimsync.resolve.resolver import Resolved, resolve_all
from aimsync.specs import Specs
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


# -- the shared stages: load -> validate -> resolve -> render ------------------------------


class Validated(Struct, frozen=True):
    loaded: LoadedRepository
    specs: Specs
    policies: PolicySet = field(default_factory=PolicySet)  # what policies/ holds

    @property
    def warnings(self) -> Findings:
        return self.loaded.findings


class Derived(Struct, frozen=True):
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


def status_reports(root: Path) -> StatusTree:
    """`aimsync status`: the reports of the last run under status/ (no cluster needed)."""
    return read_status_tree(require_folder(root))


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


# -- validate only -------------------------------------------------------------------------


class Checked(Struct, frozen=True):
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
