"""The policy stage: the policies of `policies/` over the AIM specs, the objects they derive,
and the GPU budgets (pure). Runs after render: derived objects and budgets need the resolved
profiles; an AIM spec is judged as it was validated (defaults filled in, as the API server
stores it before validating admission runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aimsync.api import AIMKind
from aimsync.core.facts import ClusterFacts
from aimsync.core.fields import FieldPath, format_field_path
from aimsync.core.objects import DesiredObject, NamespacedName
from aimsync.findings import Finding, Findings, Severity
from aimsync.load.status_tree import ProfileBinding
from aimsync.policy.admission import (
    Candidate,
    Decision,
    Evaluator,
    LazyObject,
    Resource,
    failing_field,
    policy_matches_resource,
)
from aimsync.policy.budget import (
    SEVERITY,
    BudgetUsage,
    budget_findings,
    budget_usage,
    counted_namespaces,
)
from aimsync.policy.model import Action, PolicySet
from aimsync.render.desired import DesiredSet
from aimsync.render.render import render
from aimsync.resolve.resolver import Resolution, resolve_all
from aimsync.specs import Spec, Specs

AIM_GROUP, AIM_VERSION = "aim.eai.amd.com", "v1alpha2"
AIM_RESOURCES = {
    AIMKind.CLUSTER_PROFILE: Resource(AIM_GROUP, AIM_VERSION, "aimclusterprofiles",
                                      "AIMClusterProfile", False),
    AIMKind.PROFILE: Resource(AIM_GROUP, AIM_VERSION, "aimprofiles", "AIMProfile", True),
    AIMKind.PROFILE_CACHE: Resource(AIM_GROUP, AIM_VERSION, "aimprofilecaches",
                                    "AIMProfileCache", True),
    AIMKind.SERVICE: Resource(AIM_GROUP, AIM_VERSION, "aimservices", "AIMService", True),
}
DERIVED_RESOURCES = {
    ("v1", "ConfigMap"): Resource("", "v1", "configmaps", "ConfigMap", True),
    ("v1", "PersistentVolumeClaim"): Resource("", "v1", "persistentvolumeclaims",
                                              "PersistentVolumeClaim", True),
    ("batch/v1", "Job"): Resource("batch", "v1", "jobs", "Job", True),
    ("serving.kserve.io/v1beta1", "InferenceService"): Resource(
        "serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService", True),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): Resource(
        "gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", True),
    ("keda.sh/v1alpha1", "ScaledObject"): Resource("keda.sh", "v1alpha1", "scaledobjects",
                                                   "ScaledObject", True),
}
RULE = {Action.DENY: "policy.deny", Action.WARN: "policy.warn", Action.AUDIT: "policy.audit"}


class Judged(Struct, frozen=True):
    """One object and what the policies decided about it (for tests and `policy test`)."""

    candidate: Candidate
    decisions: tuple[Decision, ...]
    derived_from: str = ""  # the spec a derived object comes from


class PolicyReport(Struct):
    findings: Findings = field(default_factory=Findings)
    budgets: list[BudgetUsage] = field(default_factory=list)
    judged: list[Judged] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings.has_errors


def needs_render(policies: PolicySet) -> bool:
    """Whether a bound policy checks derived objects (then validate renders too)."""
    bound = {b.policy_name for b in policies.bindings}
    return any(
        policy_matches_resource(policy, resource)
        for policy in policies.policies.values() if policy.name in bound
        for resource in DERIVED_RESOURCES.values()
    )


def _aim_kinds(policies: PolicySet) -> set[AIMKind]:
    bound = {b.policy_name for b in policies.bindings}
    return {kind for kind, resource in AIM_RESOURCES.items()
            if any(policy_matches_resource(p, resource)
                   for p in policies.policies.values() if p.name in bound)}


def _specs_of(specs: Specs, kinds: set[AIMKind]) -> list[Spec[Any]]:
    out: list[Spec[Any]] = []
    if AIMKind.CLUSTER_PROFILE in kinds:
        out += specs.cluster_profiles.values()
    if AIMKind.PROFILE in kinds:
        out += specs.profiles.values()
    if AIMKind.PROFILE_CACHE in kinds:
        out += specs.caches.values()
    if AIMKind.SERVICE in kinds:
        out += specs.services.values()
    return out


def spec_candidate(spec: Spec[Any]) -> Candidate:
    """The spec as the API server stores it (dumped when first read: nothing for a spec that
    no policy matches)."""
    return Candidate(AIM_RESOURCES[spec.kind], spec.name, spec.namespace or "",
                     LazyObject(spec.obj.to_api, spec.obj.api_json), plain=True)


def derived_candidate(obj: DesiredObject) -> Candidate | None:
    resource = DERIVED_RESOURCES.get((obj.key.api_version, obj.key.kind))
    if resource is None:
        return None
    return Candidate(resource, obj.key.name, obj.key.namespace, obj.manifest)


def _message(decision: Decision) -> str:
    where = decision.policy.where
    if decision.validation is not None:
        origin = where.ref(decision.validation.path)
    else:
        origin = where.ref(("metadata", "name"))
    if decision.action is Action.AUDIT:
        text = (f"Audit: ValidatingAdmissionPolicy '{decision.policy.name}'"
                + (f" with binding '{decision.binding.name}'" if decision.binding else "")
                + f": {decision.message}")
    else:
        text = decision.api_message
    if decision.param is not None:
        origin += f", params {decision.param.kind} {decision.param.name}"
    return f"{text} [{origin}]"


def _spec_finding(spec: Spec[Any], decision: Decision, prefix: str = "") -> Finding:
    path: FieldPath = failing_field(decision) if not prefix else ()
    _, written = spec.source.document.position_of(path or ("metadata", "name"))
    location = spec.source.location(*written) if written else spec.source.start
    severity = Severity.ERROR if decision.action is Action.DENY else SEVERITY[decision.action]
    return Finding(severity, location, prefix + _message(decision),
                   format_field_path(written), RULE[decision.action])


def _origin_spec(origin: str, refs: Mapping[str, Spec[Any]]) -> Spec[Any] | None:
    for part in origin.split(", "):
        if part in refs:
            return refs[part]
    return None


def _with_services_in(specs: Specs, namespaces: set[str] | None) -> Specs:
    """The specs with only the services the budgets count (resolving costs time)."""
    if namespaces is None:
        return specs
    return replace(specs, services={k: v for k, v in specs.services.items()
                                    if k[0] in namespaces})


def check_policies(
    policies: PolicySet,
    specs: Specs,
    facts: ClusterFacts,
    *,
    resolutions: Sequence[Resolution] | None = None,
    desired: DesiredSet | None = None,
    sticky: Mapping[NamespacedName, ProfileBinding] | None = None,
    complete: bool = True,
) -> PolicyReport:
    """Every policy over the specs (and, when a policy asks for them, the derived objects),
    and every budget. Resolves and renders itself when not handed what it needs.
    `complete=False` (a repository with errors): the specs that are valid only, no budgets
    and no derived objects (they would be counted from half a repository)."""
    report = PolicyReport()
    if policies.empty:
        return report
    evaluator = Evaluator(policies)
    for spec in _specs_of(specs, _aim_kinds(policies)):
        candidate = spec_candidate(spec)
        decisions = evaluator.evaluate(candidate)
        report.judged.append(Judged(candidate, tuple(decisions)))
        for decision in decisions:
            report.findings.add(_spec_finding(spec, decision))
    wants_render = complete and needs_render(policies)
    wants_budgets = complete and bool(policies.budgets)
    if (wants_budgets or wants_render) and resolutions is None:
        counted = None if wants_render else counted_namespaces(policies, specs, facts)
        resolved = resolve_all(_with_services_in(specs, counted), facts, sticky)
        resolutions = resolved.resolutions
        if wants_render and desired is None:
            desired = render(specs, resolved)
    if wants_render and desired is not None:
        refs = {spec.ref: spec for spec in _specs_of(specs, set(AIMKind))}
        for obj in desired.objects:
            derived = derived_candidate(obj)
            if derived is None:
                continue
            decisions = evaluator.evaluate(derived)
            report.judged.append(Judged(derived, tuple(decisions), obj.origin))
            origin = _origin_spec(obj.origin, refs)
            for decision in decisions:
                if origin is None:
                    continue
                prefix = f"{obj.key} (derived from {origin.ref}): "
                report.findings.add(_spec_finding(origin, decision, prefix))
    if wants_budgets and resolutions is not None:
        report.budgets = budget_usage(policies, specs, resolutions, facts)
        budget_findings(policies, specs, report.budgets, report.findings)
    return report
