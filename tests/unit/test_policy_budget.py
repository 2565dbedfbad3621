"""GPU budgets (aimsync.io/v1alpha1 GPUBudget): accelerator units per namespace or group of
namespaces and accelerator model, counted over the resolved profiles before anything is
applied; reported even when not exceeded; every contributing service located when exceeded.
And the commands: `validate` refuses an exceeded budget (exit 2), `policy test` runs the tests
beside the policies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from aimsync.cli import cli
from aimsync.core.facts import ClusterFacts
from aimsync.findings import Finding, Findings, Severity
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.load.repository import load_repository
from aimsync.policy import budget_changes, check_policies, read_policy_set
from aimsync.policy.check import PolicyReport
from aimsync.resolve.resolver import resolve_all
from aimsync.validate import validate_repository
from tests.support import service, write_repo

ROOT = Path(__file__).resolve().parents[2]


def gpu_profile(name: str, count: int, mode: str = "") -> str:
    partitioning = f"  acceleratorPartitioningMode: {mode}\n" if mode else ""
    return f"""\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMClusterProfile
metadata:
  name: {name}
spec:
  aimId: qwen/qwen3-32b
  image: docker.io/amdenterpriseai/aim-qwen:0.8.5
  acceleratorType: gpu
  acceleratorModel: MI300X
  acceleratorCount: {count}
{partitioning}  modelSources:
    - {{modelId: qwen/qwen3-32b, sourceUri: hf://Qwen/Qwen3-32B, size: 35Gi}}
"""


def budget(spec: str, name: str = "team") -> str:
    return (f"apiVersion: aimsync.io/v1alpha1\nkind: GPUBudget\nmetadata:\n  name: {name}\n"
            f"spec:\n{spec}")


LIMIT_16 = "  namespaces: [ml-team]\n  limits:\n    - {acceleratorModel: MI300X, maxUnits: 16}\n"


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {"cluster/profiles/tp4.yaml": gpu_profile("tp4", 4)}
    base.update(files)
    write_repo(tmp_path, dict(base))
    return tmp_path


def report_of(root: Path, facts: ClusterFacts | None = None) -> PolicyReport:
    loaded = load_repository(root)
    result = validate_repository(loaded)
    assert result.ok, result.findings.sorted()
    policies = read_policy_set(loaded.policy_documents, result.findings)
    assert not result.findings.has_errors, result.findings.sorted()
    return check_policies(policies, result.specs, facts or ClusterFacts.unknown())


def exceeded(report: PolicyReport) -> list[Finding]:
    return [f for f in report.findings.sorted() if f.rule == "policy.budget-exceeded"]


def test_an_exceeded_budget_locates_every_contributing_service(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "policies/budget.yaml": budget(LIMIT_16),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 3", "a"),
        "namespaces/ml-team/services/b.yaml": service("profile: {name: tp4}\nreplicas: 2", "b"),
        "namespaces/ml-team/services/c.yaml": service("profile: {name: tp4}", "c"),
    })
    report = report_of(root)
    assert not report.ok
    found = exceeded(report)
    assert [(f.location.path, f.location.line, f.field) for f in found] == [
        ("namespaces/ml-team/services/a.yaml", 7, "spec.replicas"),
        ("namespaces/ml-team/services/b.yaml", 7, "spec.replicas"),
        ("namespaces/ml-team/services/c.yaml", 4, "metadata.name"),
        ("policies/budget.yaml", 8, "spec.limits[0].maxUnits"),
    ]
    assert all(f.severity is Severity.ERROR for f in found)
    assert found[0].message == (
        "GPU budget 'team' (policies/budget.yaml) exceeded: namespace ml-team would use 24 "
        "MI300X units and the budget allows at most 16; this service asks for 12 (4 per "
        "replica x 3 replicas, profile tp4)")
    assert "(AIMService ml-team/a: 12; AIMService ml-team/b: 8; AIMService ml-team/c: 4)" in (
        found[-1].message)
    (usage,) = report.budgets
    assert (usage.used, usage.limit, usage.exceeded) == (24, 16, True)


def test_usage_is_reported_when_not_exceeded(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "policies/budget.yaml": budget(LIMIT_16),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 3", "a"),
        "namespaces/research/services/b.yaml": service("profile: {name: tp4}\nreplicas: 9", "b"),
    })
    report = report_of(root)
    assert report.ok and not exceeded(report)
    (notice,) = [f for f in report.findings if f.rule == "policy.budget-usage"]
    assert notice.severity is Severity.NOTICE
    assert notice.message == ("GPU budget 'team': namespace ml-team uses 12 of 16 MI300X units "
                              "(the budget)")


def test_partitions_resources_and_autoscaling_count_as_the_api_server_counts(
    tmp_path: Path,
) -> None:
    root = repo(tmp_path, {
        "cluster/profiles/cpx.yaml": gpu_profile("cpx", 2, "cpx"),
        "policies/budget.yaml": budget(LIMIT_16.replace("16", "100")),
        # two CPX slices per replica, 3 replicas: 6 units
        "namespaces/ml-team/services/a.yaml": service("profile: {name: cpx}\nreplicas: 3", "a"),
        # the service's own amd.com/gpu request wins over the profile's 4
        "namespaces/ml-team/services/b.yaml": service(
            "profile: {name: tp4}\nresources:\n  requests: {amd.com/gpu: '1'}\n"
            "  limits: {amd.com/gpu: '1'}", "b"),
        # autoscaled: maxReplicas counts
        "namespaces/ml-team/services/c.yaml": service(
            "profile: {name: tp4}\nminReplicas: 1\nmaxReplicas: 3\nautoScaling:\n  metrics:\n"
            "    - type: PodMetric\n      podmetric:\n        metric: {query: q}\n"
            "        target: {type: AverageValue, averageValue: '1'}", "c"),
    })
    (usage,) = report_of(root).budgets
    units = {d.service[1]: d.units for d in usage.contributors}
    assert units == {"a": 6, "b": 1, "c": 12}
    assert usage.used == 19


def test_label_selected_namespaces_per_namespace_or_together(tmp_path: Path) -> None:
    namespaces = "".join(
        f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
        f"  labels: {{division: research}}\n" for ns in ("r1", "r2"))
    files = {
        "policies/namespaces.yaml": namespaces,
        "namespaces/r1/services/a.yaml": service("profile: {name: tp4}\nreplicas: 2", "a"),
        "namespaces/r2/services/b.yaml": service("profile: {name: tp4}\nreplicas: 2", "b"),
        "namespaces/other/services/c.yaml": service("profile: {name: tp4}\nreplicas: 9", "c"),
    }
    selector = ("  namespaceSelector: {matchLabels: {division: research}}\n"
                "  limits: [{acceleratorModel: MI300X, maxUnits: 10}]\n")
    together = report_of(repo(tmp_path / "a", {**files, "policies/b.yaml": budget(selector)}))
    assert [(u.scope, u.used) for u in together.budgets] == [("namespaces r1, r2", 16)]
    assert not together.ok
    apart = report_of(repo(tmp_path / "b", {
        **files, "policies/b.yaml": budget(selector + "  perNamespace: true\n")}))
    assert [(u.scope, u.used) for u in apart.budgets] == [("namespace r1", 8), ("namespace r2", 8)]
    assert apart.ok


def test_node_capacity_with_cluster_facts(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "policies/b.yaml": budget("  nodeCapacity: true\n  action: Warn\n", "nodes"),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 3", "a"),
    })
    unknown = report_of(root)
    assert [f.message for f in unknown.findings if f.rule == "policy.budget-usage"] == [
        "GPU budget 'nodes': not checked for all namespaces: what the nodes offer is not "
        "known (pass --cluster-facts, or run diff or sync against the cluster)"]
    facts = load_cluster_facts(ROOT / "tests/fixtures/nodes.yaml", Findings())
    known = report_of(root, facts)
    (usage,) = known.budgets
    assert (usage.model, usage.used, usage.limit) == ("MI300X", 12, 9)  # 8 + 1 on the nodes
    assert known.ok  # Warn: a warning, not an error
    assert {f.severity for f in exceeded(known)} == {Severity.WARNING}


def test_budget_changes_before_and_after(tmp_path: Path) -> None:
    before = repo(tmp_path / "before", {
        "policies/b.yaml": budget(LIMIT_16),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 2", "a"),
    })
    after = repo(tmp_path / "after", {
        "policies/b.yaml": budget(LIMIT_16),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 5", "a"),
    })
    sides = []
    for root in (before, after):
        loaded = load_repository(root)
        specs = validate_repository(loaded).specs
        sides.append((specs, resolve_all(specs, ClusterFacts.unknown()).resolutions))
    policies = read_policy_set(load_repository(after).policy_documents, Findings())
    (change,) = budget_changes(policies, sides[0], sides[1], ClusterFacts.unknown())
    assert change.shown == "MI300X 8 → 20 of 16 (team: namespace ml-team) EXCEEDED"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_validate_refuses_an_exceeded_budget_with_every_service_located(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "policies/budget.yaml": budget(LIMIT_16),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 3", "a"),
        "namespaces/ml-team/services/b.yaml": service("profile: {name: tp4}\nreplicas: 2", "b"),
    })
    code, output = invoke("validate", str(root), "-o", "json")
    assert code == 2, output
    findings = json.loads(output)
    located = {(f["file"], f["line"]) for f in findings if f["rule"] == "policy.budget-exceeded"}
    assert located == {("namespaces/ml-team/services/a.yaml", 7),
                       ("namespaces/ml-team/services/b.yaml", 7), ("policies/budget.yaml", 8)}
    code, output = invoke("validate", str(root), "--format", "github")
    assert code == 2
    assert "::error file=namespaces/ml-team/services/a.yaml,line=7,col=" in output
    assert "title=aimsync policy.budget-exceeded::spec.replicas: GPU budget 'team'" in output


def test_validate_passes_warn_and_audit(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "policies/budget.yaml": budget(LIMIT_16 + "  action: Warn\n"),
        "namespaces/ml-team/services/a.yaml": service("profile: {name: tp4}\nreplicas: 5", "a"),
    })
    code, output = invoke("validate", str(root))
    assert code == 0, output
    assert "warning: spec.replicas: GPU budget 'team' (policies/budget.yaml) exceeded" in output


def test_policy_test_runs_the_shipped_baseline(tmp_path: Path) -> None:
    code, output = invoke("policy", "test", str(ROOT / "repo-layout"))
    assert code == 0, output
    assert output.splitlines()[-1] == "14 passed, 0 failed"


def test_policy_test_reports_a_failing_case(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "repo-layout" / "policies", tmp_path / "policies")
    test = tmp_path / "policies" / "team-label.test.yaml"
    test.write_text(test.read_text().replace("expect: deny", "expect: allow"))
    code, output = invoke("policy", "test", str(tmp_path))
    assert code == 2
    assert ("FAIL policies/team-label.test.yaml:15: team-label: a service without one is "
            "refused: expected allow, got deny") in output
    assert output.splitlines()[-1] == "13 passed, 1 failed"
