"""GPU budgets (`aimsync.io/v1alpha1` GPUBudget): accelerator units per accelerator model, over
a namespace, a list of namespaces or the namespaces a label selector picks, counted before
anything is applied — what ResourceQuota counts only when pods are admitted.

A service counts `units per replica x replicas`, as the API server counts its requests: the
`amd.com/gpu` the InferenceService asks for (the service's own `resources`, else its resolved
profile's: `acceleratorCount`, where one partition slice of a partitioned GPU is one unit) times
the most replicas it may run (`maxReplicas` when it autoscales, else `replicas`). Services
whose profile does not resolve deploy nothing and count nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from msgspec import Struct

from aimsync.core.facts import ClusterFacts
from aimsync.core.fields import FieldPath, format_field_path
from aimsync.core.objects import NamespacedName
from aimsync.core.quantity import QuantityError, parse_quantity
from aimsync.findings import Finding, Findings, Location, Severity
from aimsync.policy.model import Action, GPUBudget, PolicySet
from aimsync.render.inference_service import replica_bounds
from aimsync.resolve.profile_status import AMD_GPU, NODE_LABEL_PREFIX
from aimsync.resolve.resolver import Resolution
from aimsync.specs import Spec, Specs

SEVERITY = {Action.DENY: Severity.ERROR, Action.WARN: Severity.WARNING,
            Action.AUDIT: Severity.NOTICE}
NO_MODEL = "GPU"  # a GPU profile that names no acceleratorModel


class Demand(Struct, frozen=True):
    """What one resolved service asks for."""

    service: NamespacedName
    model: str
    per_replica: int
    replicas: int
    profile: str
    partitioning: str

    @property
    def units(self) -> int:
        return self.per_replica * self.replicas

    @property
    def ref(self) -> str:
        return f"AIMService {self.service[0]}/{self.service[1]}"

    def explained(self) -> str:
        slices = "" if self.partitioning in ("", "unpartitioned") else (
            f", {self.partitioning} partitions")
        return (f"{self.units} ({self.per_replica} per replica x {self.replicas} "
                f"replica{'s' if self.replicas != 1 else ''}, profile {self.profile}{slices})")


class BudgetUsage(Struct, frozen=True):
    """One line of a budget: a scope, a model, what is used and what is allowed."""

    budget: str
    file: str
    scope: str  # "namespace ml-team", "namespaces a, b", "all namespaces"
    model: str
    used: int
    limit: int | None  # None: the nodes' capacity is not known (no cluster facts)
    kind: str  # "limit" (maxUnits) or "nodes" (what the cluster's nodes offer)
    contributors: tuple[Demand, ...]
    action: Action

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.used > self.limit

    @property
    def shown(self) -> str:
        limit = "?" if self.limit is None else str(self.limit)
        what = "node capacity" if self.kind == "nodes" else "budget"
        return f"{self.model} {self.used}/{limit} ({self.budget}: {self.scope}, {what})"

    def to_dict(self) -> dict[str, object]:
        return {
            "budget": self.budget, "file": self.file, "scope": self.scope, "model": self.model,
            "used": self.used, "limit": self.limit, "kind": self.kind,
            "exceeded": self.exceeded,
            "services": [{"service": f"{d.service[0]}/{d.service[1]}", "units": d.units}
                         for d in self.contributors],
        }


def _units(value: object) -> int:
    try:
        return int(parse_quantity(value)) if isinstance(value, (int, str)) else 0
    except QuantityError:
        return 0


def service_demand(specs: Specs, resolutions: Sequence[Resolution]) -> list[Demand]:
    """Accelerator units of every resolved service (unresolved ones deploy nothing)."""
    out: list[Demand] = []
    for resolution in resolutions:
        chosen = resolution.chosen
        spec = specs.services.get(resolution.service)
        if chosen is None or spec is None:
            continue
        service = spec.obj
        if service.spec.resources is not None and (
            AMD_GPU in (service.spec.resources.requests or {})
            or AMD_GPU in (service.spec.resources.limits or {})
        ):
            requests = service.spec.resources.requests or {}
            per_replica = _units(requests.get(AMD_GPU, (service.spec.resources.limits or {})
                                              .get(AMD_GPU)))
        else:
            per_replica = _units(chosen.status.requests.get(AMD_GPU, "0"))
        if per_replica <= 0:
            continue
        out.append(Demand(
            resolution.service, chosen.spec.accelerator_model or NO_MODEL, per_replica,
            replica_bounds(service).maximum, chosen.profile.name,
            chosen.spec.accelerator_partitioning_mode or "",
        ))
    return out


def node_capacity(facts: ClusterFacts, model: str) -> int | None:
    """amd.com/gpu the nodes labelled with the accelerator model offer (None: not known)."""
    if not facts.known:
        return None
    label = f"{NODE_LABEL_PREFIX}.{model}"
    return sum(int(node.allocatable.get(AMD_GPU, 0)) for node in facts.nodes
               if label in node.labels)


def _scopes(budget: GPUBudget, namespaces: Sequence[str],
            labels: Mapping[str, Mapping[str, str]]) -> list[tuple[str, tuple[str, ...]]]:
    if budget.namespaces:
        chosen = list(budget.namespaces)
    elif budget.namespace_selector is not None:
        chosen = [ns for ns in namespaces if budget.namespace_selector.matches(labels[ns])]
    else:
        chosen = list(namespaces)
    if budget.per_namespace:
        return [(f"namespace {ns}", (ns,)) for ns in chosen]
    if budget.namespaces and len(chosen) == 1:
        return [(f"namespace {chosen[0]}", tuple(chosen))]
    if not budget.namespaces and budget.namespace_selector is None:
        return [("all namespaces", tuple(chosen))]
    return [("namespaces " + (", ".join(chosen) or "(none selected)"), tuple(chosen))]


def counted_namespaces(
    policies: PolicySet, specs: Specs, facts: ClusterFacts
) -> set[str] | None:
    """The namespaces whose services the budgets count (None: all of them); the others need
    not be resolved for the budgets."""
    namespaces = sorted(set(specs.namespaces()) | set(policies.namespaces))
    labels = {ns: policies.namespace_labels(ns) for ns in namespaces}
    out: set[str] = set()
    for budget in policies.budgets:
        if budget.node_capacity and facts.known:
            return None
        if budget.limits:
            for _, members in _scopes(budget, namespaces, labels):
                out.update(members)
    return out


def budget_usage(
    policies: PolicySet, specs: Specs, resolutions: Sequence[Resolution], facts: ClusterFacts,
) -> list[BudgetUsage]:
    """Every budget line, exceeded or not, in the order the budgets are written."""
    if not policies.budgets:
        return []
    return demand_usage(policies, service_demand(specs, resolutions), specs.namespaces(), facts)


def demand_usage(
    policies: PolicySet, demand: Sequence[Demand], namespaces_of_specs: Iterable[str],
    facts: ClusterFacts,
) -> list[BudgetUsage]:
    """The budget lines of `policies` over the given demand."""
    namespaces = sorted(set(namespaces_of_specs) | set(policies.namespaces)
                        | {d.service[0] for d in demand})
    labels = {ns: policies.namespace_labels(ns) for ns in namespaces}
    out: list[BudgetUsage] = []
    for budget in policies.budgets:
        for scope, members in _scopes(budget, namespaces, labels):
            inside = [d for d in demand if d.service[0] in members]
            lines: list[tuple[str, int | None, str]] = [
                (limit.accelerator_model, limit.max_units, "limit") for limit in budget.limits
            ]
            if budget.node_capacity and not facts.known:
                lines.append(("any", None, "nodes"))
            elif budget.node_capacity:
                models = [limit.accelerator_model for limit in budget.limits] or sorted(
                    {d.model for d in inside})
                lines += [(m, node_capacity(facts, m), "nodes") for m in models]
            for model, limit, kind in lines:
                contributors = tuple(d for d in inside if d.model == model)
                out.append(BudgetUsage(
                    budget.name, budget.where.file, scope, model,
                    sum(d.units for d in contributors), limit, kind, contributors,
                    budget.action,
                ))
    return out


def budget_findings(
    policies: PolicySet, specs: Specs, usage: Sequence[BudgetUsage], findings: Findings,
) -> None:
    """Usage of every budget as a notice at the budget; an exceeded one also at every
    service that contributes (an error for action Deny, a warning for Warn)."""
    budgets = {b.name: b for b in policies.budgets}
    for line in usage:
        budget = budgets[line.budget]
        path: FieldPath = next(
            (limit.path for limit in budget.limits
             if limit.accelerator_model == line.model and line.kind == "limit"),
            ("spec", "nodeCapacity") if line.kind == "nodes" else ("spec",))
        here = budget.where.at(path)
        allowed = ("what the nodes offer" if line.kind == "nodes" else "the budget")
        if line.limit is None:
            findings.notice(here, f"GPU budget {line.budget!r}: not checked for {line.scope}: "
                            "what the nodes offer is not known (pass --cluster-facts, or run "
                            "diff or sync against the cluster)",
                            field="spec.nodeCapacity", rule="policy.budget-usage")
            continue
        findings.notice(here, f"GPU budget {line.budget!r}: {line.scope} uses {line.used} of "
                        f"{line.limit} {line.model} units ({allowed})",
                        field=_field(path), rule="policy.budget-usage")
        if not line.exceeded:
            continue
        severity = SEVERITY[line.action]
        listed = "; ".join(f"{d.ref}: {d.units}" for d in line.contributors)
        findings.add(_finding(severity, here, (
            f"GPU budget {line.budget!r} exceeded: {line.scope} would use {line.used} "
            f"{line.model} units, {allowed} allows at most {line.limit} ({listed})"),
            _field(path)))
        for contributor in line.contributors:
            spec = specs.services[contributor.service]
            service_spec = spec.obj.spec
            field_path: FieldPath = ("metadata", "name")
            if service_spec.max_replicas is not None:
                field_path = ("spec", "maxReplicas")
            elif "replicas" in _written(spec):
                field_path = ("spec", "replicas")
            findings.add(_finding(severity, spec.source.location(*field_path), (
                f"GPU budget {line.budget!r} ({line.file}) exceeded: {line.scope} would use "
                f"{line.used} {line.model} units and {allowed} allows at most {line.limit}; "
                f"this service asks for {contributor.explained()}"), _field(field_path)))


def _written(spec: Spec[Any]) -> set[str]:
    value = spec.source.document.value
    written = value.get("spec") if isinstance(value, dict) else None
    return set(written) if isinstance(written, dict) else set()


def _field(path: FieldPath) -> str:
    return format_field_path(path)


def _finding(severity: Severity, where: Location, message: str, field: str) -> Finding:
    return Finding(severity, where, message, field, "policy.budget-exceeded")


class BudgetChange(Struct, frozen=True):
    """One budget line before and after a change (for `diff`'s summary)."""

    budget: str
    scope: str
    model: str
    before: int
    after: int
    limit: int | None
    kind: str

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.after > self.limit

    @property
    def shown(self) -> str:
        """`MI300X 11 → 19 of 16 (ml-team-mi300x: namespace ml-team) EXCEEDED`."""
        limit = "?" if self.limit is None else str(self.limit)
        what = "nodes" if self.kind == "nodes" else self.budget
        text = f"{self.model} {self.before} → {self.after} of {limit} ({what}: {self.scope})"
        return text + (" EXCEEDED" if self.exceeded else "")


def budget_changes(
    policies: PolicySet,
    before: tuple[Specs, Sequence[Resolution]],
    after: tuple[Specs, Sequence[Resolution]],
    facts: ClusterFacts,
) -> list[BudgetChange]:
    """The budgets of `policies` (the new side's) counted on both sides of a change, every
    line whether it changed or not (budgets are reported even when not exceeded)."""
    return usage_changes(budget_usage(policies, before[0], before[1], facts),
                         budget_usage(policies, after[0], after[1], facts))


def manifest_demand(namespace: str, manifest: Mapping[str, Any]) -> Demand | None:
    """What one InferenceService manifest (a live one) asks for: amd.com/gpu of its predictor
    containers x its most replicas; the model from the accelerator node affinity render
    writes (`GPU` when it names none)."""
    spec = manifest.get("spec")
    predictor = spec.get("predictor") if isinstance(spec, Mapping) else None
    if not isinstance(predictor, Mapping):
        return None
    model = NO_MODEL
    affinity = (predictor.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for expression in term.get("matchExpressions") or []:
            key = str(expression.get("key", ""))
            if key.startswith(f"{NODE_LABEL_PREFIX}.") and "partitioning-scheme" not in key:
                model = key[len(NODE_LABEL_PREFIX) + 1:]
    per_replica = 0
    for container in predictor.get("containers") or []:
        resources = container.get("resources") or {}
        value = (resources.get("requests") or {}).get(AMD_GPU) or (
            resources.get("limits") or {}).get(AMD_GPU)
        per_replica += _units(value)
    if per_replica <= 0:
        return None
    replicas = _units(predictor.get("maxReplicas") or predictor.get("minReplicas") or 1)
    metadata = manifest.get("metadata") or {}
    name = str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""
    return Demand((namespace, name), model, per_replica, max(replicas, 1), "", "")


def usage_changes(
    before: Sequence[BudgetUsage], after: Sequence[BudgetUsage]
) -> list[BudgetChange]:
    """Every line of `after` with what the same line counted in `before`."""
    old = {(u.budget, u.scope, u.model, u.kind): u for u in before}
    out = []
    for usage in after:
        if usage.model == "any":  # node capacity not known: nothing to count against
            continue
        previous = old.get((usage.budget, usage.scope, usage.model, usage.kind))
        out.append(BudgetChange(usage.budget, usage.scope, usage.model,
                                previous.used if previous else 0, usage.used, usage.limit,
                                usage.kind))
    return out


def live_budget_changes(
    policies: PolicySet, live: Sequence[Demand], after: Sequence[BudgetUsage],
    facts: ClusterFacts,
) -> list[BudgetChange]:
    """A plan against the cluster: the budgets counted over the live InferenceServices the
    repository manages (before) and over the repository (after)."""
    if not policies.budgets:
        return []
    return usage_changes(demand_usage(policies, live, (), facts), after)
