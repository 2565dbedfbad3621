"""The policies of policies/ in the commands: `validate` (exit 2 on a Deny, Warn and Audit pass,
GitHub annotations by severity, budgets reported when not exceeded, an invalid policy file
located) and `diff --base` (budget usage before → after in the summary, a Deny of the new side
exits 2 after the diff). The policy stage itself: test_policy.py, test_policy_budget.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aimsync.cli import cli
from tests.support import CLUSTER_PROFILE, service, write_repo

SVC = "namespaces/ml-team/services/chat.yaml"
REPLICAS_AT_MOST_ONE = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: one-replica
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [aim.eai.amd.com]
        apiVersions: [v1alpha2]
        resources: [aimservices]
        operations: [CREATE, UPDATE]
  validations:
    - expression: object.spec.replicas <= 1
      messageExpression: "'replicas ' + string(object.spec.replicas) + ' > 1'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: one-replica
spec:
  policyName: one-replica
  validationActions: {actions}
"""
BUDGET = """\
apiVersion: aimsync.io/v1alpha1
kind: GPUBudget
metadata:
  name: ml
spec:
  namespaces: [ml-team]
  limits:
    - acceleratorModel: MI300X
      maxUnits: 4
"""


def repo(root: Path, replicas: int, policies: dict[str, str]) -> Path:
    write_repo(root, {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        SVC: service(f"profile: {{name: qwen}}\nreplicas: {replicas}"),
        **{f"policies/{name}": text for name, text in policies.items()},
    })
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=root, check=True, capture_output=True)


def test_validate_exits_2_on_a_deny_located_at_the_spec(tmp_path: Path) -> None:
    root = repo(tmp_path, 2, {"p.yaml": REPLICAS_AT_MOST_ONE.format(actions="[Deny]")})
    result = run("validate", str(root), "--format", "github")
    assert result.exit_code == 2, result.output
    assert (f"::error file={SVC},line=7,col=3,title=aimsync policy.deny::spec.replicas: "
            "ValidatingAdmissionPolicy 'one-replica' with binding 'one-replica' denied "
            "request: replicas 2 > 1 [policies/p.yaml:13 (spec.validations[0])]") in (
        result.stdout)


@pytest.mark.parametrize(("actions", "command"), [("[Warn]", "warning"), ("[Audit]", "notice")])
def test_validate_passes_warn_and_audit_and_annotates_them(
    tmp_path: Path, actions: str, command: str
) -> None:
    root = repo(tmp_path, 2, {"p.yaml": REPLICAS_AT_MOST_ONE.format(actions=actions)})
    result = run("validate", str(root), "--format", "github")
    assert result.exit_code == 0, result.output
    assert f"::{command} file={SVC},line=7," in result.stdout


def test_validate_reports_budget_usage_when_not_exceeded(tmp_path: Path) -> None:
    root = repo(tmp_path, 2, {"budget.yaml": BUDGET})
    result = run("validate", str(root), "-o", "json")
    assert result.exit_code == 0, result.output
    (usage,) = [f for f in json.loads(result.stdout) if f["rule"] == "policy.budget-usage"]
    assert (usage["file"], usage["line"], usage["severity"]) == ("policies/budget.yaml", 9,
                                                                  "notice")
    assert usage["message"] == ("GPU budget 'ml': namespace ml-team uses 2 of 4 MI300X units "
                                "(the budget)")


def test_validate_locates_an_invalid_policy_file(tmp_path: Path) -> None:
    root = repo(tmp_path, 1, {"budget.yaml": BUDGET.replace("maxUnits: 4", "maxUnits: many")})
    result = run("validate", str(root))
    assert result.exit_code == 2, result.output
    assert ("policies/budget.yaml:9:7: error: spec.limits[0].maxUnits: Required value: a whole "
            "number of accelerator units") in result.stdout


def test_validate_counts_the_profile_the_cluster_facts_choose(tmp_path: Path) -> None:
    root = repo(tmp_path, 3, {"budget.yaml": BUDGET})
    nodes = Path(__file__).resolve().parents[1] / "fixtures" / "nodes.yaml"
    result = run("validate", str(root), "--cluster-facts", str(nodes), "-o", "json")
    messages = [f["message"] for f in json.loads(result.stdout)
                if f["rule"] == "policy.budget-usage"]
    assert messages == ["GPU budget 'ml': namespace ml-team uses 3 of 4 MI300X units (the "
                        "budget)"], result.output


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    root = repo(tmp_path, 2, {"budget.yaml": BUDGET})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def test_diff_shows_budget_usage_before_and_after(committed: Path) -> None:
    path = committed / SVC
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 3"))
    result = run("diff", str(committed), "--base", "HEAD")
    assert result.exit_code == 1, result.output
    assert "GPU budgets:\n  MI300X 2 → 3 of 4 (ml: namespace ml-team)\n" in result.stdout
    document = json.loads(run("diff", str(committed), "--base", "HEAD", "-o", "json").stdout)
    assert document["budgets"] == [{
        "budget": "ml", "scope": "namespace ml-team", "accelerator": "MI300X", "before": 2,
        "after": 3, "limit": 4, "kind": "limit", "exceeded": False,
    }]


def test_diff_exits_2_when_the_new_side_is_denied_after_showing_the_diff(
    committed: Path,
) -> None:
    path = committed / SVC
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 5"))
    result = run("diff", str(committed), "--base", "HEAD")
    assert result.exit_code == 2, result.output
    assert "MI300X 2 → 5 of 4 (ml: namespace ml-team) EXCEEDED" in result.stdout
    assert (f"{SVC}:7:3: error: spec.replicas: GPU budget 'ml' (policies/budget.yaml) "
            "exceeded") in result.stderr
