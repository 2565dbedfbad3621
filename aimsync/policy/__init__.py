"""Stage: policies (pure), between render and plan. The organisation's rules in `policies/`:
Kubernetes ValidatingAdmissionPolicies (with bindings and parameters) evaluated offline as the
API server would evaluate them, over the AIM specs and the objects they derive, and GPU
budgets over the resolved profiles.

    read_policy_set(documents, findings) -> PolicySet      (invalid policy files: located errors)
    check_policies(policies, specs, facts, ...) -> PolicyReport   (findings, budget usage)
    budget_usage(policies, specs, resolutions, facts) -> [BudgetUsage]
    budget_changes(policies, before, after, facts) -> [BudgetChange]   (diff's summary)
    live_budget_changes(policies, live demand, usage, facts) -> [BudgetChange]  (live diff)
"""

from aimsync.policy.budget import (
    BudgetChange,
    BudgetUsage,
    Demand,
    budget_changes,
    budget_usage,
    live_budget_changes,
    manifest_demand,
    service_demand,
)
from aimsync.policy.check import PolicyReport, check_policies, needs_render
from aimsync.policy.model import PolicySet, read_policy_set

__all__ = [
    "BudgetChange",
    "BudgetUsage",
    "Demand",
    "PolicyReport",
    "PolicySet",
    "budget_changes",
    "budget_usage",
    "check_policies",
    "live_budget_changes",
    "manifest_demand",
    "needs_render",
    "read_policy_set",
    "service_demand",
]
