"""ValidatingAdmissionPolicies from policies/, evaluated offline as kube-apiserver 1.36 does:
matching, validations and their messages, variables, params, failurePolicy and the binding's
validationActions; invalid policy files are located errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aimsync.core.facts import ClusterFacts
from aimsync.findings import Finding, Findings, Severity
from aimsync.load.repository import load_repository
from aimsync.policy import check_policies, read_policy_set
from aimsync.policy.check import PolicyReport
from aimsync.validate import validate_repository
from tests.support import CLUSTER_PROFILE, service, write_repo

SVC = "namespaces/ml-team/services/chat.yaml"


def policy(
    validations: str, *, name: str = "p", resources: str = "[aimservices]",
    group: str = "aim.eai.amd.com", version: str = "v1alpha2", extra: str = "",
    actions: str = "[Deny]", binding_extra: str = "", match_extra: str = "",
) -> str:
    spec_extra = textwrap.indent(textwrap.dedent(extra).strip("\n"), "  ") + "\n" if extra else ""
    match_more = (textwrap.indent(textwrap.dedent(match_extra).strip("\n"), "    ") + "\n"
                  if match_extra else "")
    bind_more = (textwrap.indent(textwrap.dedent(binding_extra).strip("\n"), "  ") + "\n"
                 if binding_extra else "")
    return (
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        f"metadata:\n  name: {name}\nspec:\n" + spec_extra
        + "  matchConstraints:\n    resourceRules:\n"
        f"      - apiGroups: [\"{group}\"]\n        apiVersions: [{version}]\n"
        f"        resources: {resources}\n        operations: [CREATE, UPDATE]\n"
        + match_more
        + "  validations:\n"
        + textwrap.indent(textwrap.dedent(validations).strip("\n"), "    ") + "\n"
        "---\napiVersion: admissionregistration.k8s.io/v1\n"
        f"kind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: {name}-binding\nspec:\n"
        f"  policyName: {name}\n  validationActions: {actions}\n" + bind_more
    )


def check(tmp_path: Path, files: dict[str, str], facts: ClusterFacts | None = None,
          ) -> tuple[Findings, PolicyReport]:
    base: dict[str, str | bytes] = {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        SVC: service("profile: {name: qwen}\nreplicas: 2", metadata="  labels: {team: ml}\n"),
    }
    base.update(files)
    write_repo(tmp_path, base)
    loaded = load_repository(tmp_path)
    result = validate_repository(loaded)
    policies = read_policy_set(loaded.policy_documents, result.findings)
    report = check_policies(policies, result.specs, facts or ClusterFacts.unknown(),
                            complete=result.ok)
    return result.findings, report


def policy_findings(report: PolicyReport) -> list[Finding]:
    return [f for f in report.findings.sorted() if f.rule != "policy.budget-usage"]


def test_deny_is_an_error_at_the_field_the_expression_reads(tmp_path: Path) -> None:
    _, report = check(tmp_path, {"policies/p.yaml": policy("""\
        - expression: object.spec.replicas <= 1
          message: at most one replica""")})
    (finding,) = policy_findings(report)
    assert finding.severity is Severity.ERROR and finding.rule == "policy.deny"
    assert (finding.location.path, finding.location.line, finding.field) == (
        SVC, 8, "spec.replicas")
    assert finding.message.startswith(
        "ValidatingAdmissionPolicy 'p' with binding 'p-binding' denied request: at most one "
        "replica [policies/p.yaml:13 (spec.validations[0])]")


@pytest.mark.parametrize(("actions", "severity", "start"), [
    ("[Warn]", Severity.WARNING,
     "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'p-binding': no"),
    ("[Audit]", Severity.NOTICE, "Audit: ValidatingAdmissionPolicy 'p' with binding"),
    ("[Warn, Audit]", Severity.WARNING, "Validation failed"),
])
def test_warn_and_audit_do_not_fail(
    tmp_path: Path, actions: str, severity: Severity, start: str
) -> None:
    _, report = check(tmp_path, {"policies/p.yaml": policy(
        "- expression: 'false'\n  message: 'no'", actions=actions)})
    assert report.ok
    found = policy_findings(report)
    assert found and found[0].severity is severity and found[0].message.startswith(start)
    assert len(found) == len(actions.split(","))


def test_deny_and_warn_together_are_refused_as_the_api_server_refuses_them(
    tmp_path: Path,
) -> None:
    findings, _ = check(tmp_path, {"policies/p.yaml": policy(
        "- expression: 'true'", actions="[Deny, Warn]")})
    (error,) = [f for f in findings.errors if f.rule.startswith("policy.")]
    assert error.field == "spec.validationActions" and "must not contain both" in error.message


@pytest.mark.parametrize(("validation", "message"), [
    ("- expression: 'false'\n  messageExpression: \"'replicas: ' + "
     "string(object.spec.replicas)\"\n  message: static", "replicas: 2"),
    ("- expression: 'false'\n  messageExpression: \"object.spec.nothing\"\n  message: static",
     "static"),  # a failing messageExpression falls back to message
    ("- expression: 'false'\n  messageExpression: \"'two\\\\nlines'\"\n  message: static",
     "static"),  # a message with a line break is not used
    ("- expression: object.spec.replicas < 2", "failed expression: object.spec.replicas < 2"),
])
def test_the_message_is_chosen_as_the_api_server_chooses_it(
    tmp_path: Path, validation: str, message: str
) -> None:
    _, report = check(tmp_path, {"policies/p.yaml": policy(validation)})
    (finding,) = policy_findings(report)
    assert f"denied request: {message} [" in finding.message


@pytest.mark.parametrize(("failure_policy", "denied"), [("Fail", True), ("Ignore", False)])
def test_failure_policy_on_an_expression_error(
    tmp_path: Path, failure_policy: str, denied: bool
) -> None:
    _, report = check(tmp_path, {"policies/p.yaml": policy(
        "- expression: object.spec.nothing == 1", extra=f"failurePolicy: {failure_policy}")})
    found = policy_findings(report)
    assert bool(found) is denied
    if denied:
        assert ("denied request: expression 'object.spec.nothing == 1' resulted in error: no "
                "such key: nothing") in found[0].message


def test_a_failing_variable_is_named_as_the_api_server_names_it(tmp_path: Path) -> None:
    _, report = check(tmp_path, {"policies/p.yaml": policy(
        "- expression: variables.x == 1",
        extra="variables:\n  - name: x\n    expression: object.spec.nothing")})
    (finding,) = policy_findings(report)
    assert ("expression 'variables.x == 1' resulted in error: composited variable \"x\" fails "
            "to evaluate: no such key: nothing") in finding.message


def test_match_conditions_select_and_their_errors_follow_the_failure_policy(
    tmp_path: Path,
) -> None:
    conditions = "matchConditions:\n  - name: big\n    expression: object.spec.replicas > 5"
    _, report = check(tmp_path, {"policies/p.yaml": policy("- expression: 'false'",
                                                           extra=conditions)})
    assert policy_findings(report) == []
    broken = "matchConditions:\n  - name: broken\n    expression: object.spec.nothing > 5"
    _, report = check(tmp_path, {"policies/p.yaml": policy("- expression: 'true'",
                                                           extra=broken)})
    (finding,) = policy_findings(report)
    assert "expression 'object.spec.nothing > 5' resulted in error" in finding.message


def test_selectors_resource_names_and_excluded_rules(tmp_path: Path) -> None:
    namespace = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml-team\n"
                 "  labels: {tier: gold}\n")
    cases = {
        "namespaceSelector:\n  matchLabels: {tier: gold}": True,
        "namespaceSelector:\n  matchLabels: {tier: silver}": False,
        "namespaceSelector:\n  matchLabels: {kubernetes.io/metadata.name: ml-team}": True,
        "objectSelector:\n  matchExpressions: [{key: team, operator: In, values: [ml]}]": True,
        "objectSelector:\n  matchExpressions: [{key: team, operator: DoesNotExist}]": False,
        "excludeResourceRules:\n  - {apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], "
        "operations: ['*']}": False,
    }
    for match, matched in cases.items():
        _, report = check(tmp_path, {"policies/p.yaml": policy(
            "- expression: 'false'", match_extra=match), "policies/ns.yaml": namespace})
        assert bool(policy_findings(report)) is matched, match
    _, report = check(tmp_path, {"policies/p.yaml": policy(
        "- expression: 'false'", resources="[aimservices]",
        binding_extra="matchResources:\n  namespaceSelector:\n    matchLabels: {tier: x}")})
    assert policy_findings(report) == []


PARAM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: limits
  namespace: ml-team
  labels: {kind: limits}
data:
  max: "1"
"""


@pytest.mark.parametrize(("ref", "outcome"), [
    ("paramRef: {name: limits, parameterNotFoundAction: Deny}", "denied request: too many"),
    ("paramRef: {selector: {matchLabels: {kind: limits}}, parameterNotFoundAction: Deny}",
     "denied request: too many"),
    ("paramRef: {name: missing, parameterNotFoundAction: Allow}", ""),
    ("paramRef: {name: missing, parameterNotFoundAction: Deny}",
     "failed to configure binding: no params found for policy binding with `Deny` "
     "parameterNotFoundAction"),
])
def test_params(tmp_path: Path, ref: str, outcome: str) -> None:
    _, report = check(tmp_path, {
        "policies/p.yaml": policy(
            "- expression: object.spec.replicas <= int(params.data.max)\n  message: too many",
            extra="paramKind: {apiVersion: v1, kind: ConfigMap}", binding_extra=ref),
        "policies/params.yaml": PARAM,
    })
    found = policy_findings(report)
    if not outcome:
        assert found == []
    else:
        (finding,) = found
        assert outcome in finding.message


@pytest.mark.parametrize(("text", "line", "field", "fragment"), [
    (policy("- expression: 'true'", extra="failurePolicy: Sometimes"), 6,
     "spec.failurePolicy", 'supported values: "Fail", "Ignore"'),
    (policy("- expression: object.spec.replicas >"), 13, "spec.validations[0].expression",
     "compilation failed: ERROR"),
    (policy("- expression: 'true'\n  reason: Teapot"), 14, "spec.validations[0].reason",
     "Unsupported value: 'Teapot'"),
    (policy("- expression: 'true'\n  colour: red"), 14, "spec.validations[0].colour",
     "unknown field 'colour'"),
    (policy("- expression: 'true'", actions="[Deny, Deny]"), 21, "spec.validationActions[1]",
     "Duplicate value"),
    (policy("- expression: 'true'", binding_extra="paramRef: {name: a, selector: {}, "
            "parameterNotFoundAction: Deny}"), 22, "spec.paramRef",
     "exactly one of name or selector"),
    ("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", 2, "kind",
     "is not read from policies/"),
    ("apiVersion: aimsync.io/v1alpha1\nkind: GPUBudget\nmetadata: {name: b}\nspec:\n"
     "  limits: [{acceleratorModel: MI300X, maxUnits: -1}]\n", 5, "spec.limits[0].maxUnits",
     "a whole number of accelerator units"),
])
def test_an_invalid_policy_file_is_a_located_error(
    tmp_path: Path, text: str, line: int, field: str, fragment: str
) -> None:
    findings, _ = check(tmp_path, {"policies/bad.yaml": text})
    errors = [f for f in findings.errors if f.location.path == "policies/bad.yaml"]
    assert errors, findings.sorted()
    assert (errors[0].location.line, errors[0].field) == (line, field), errors
    assert fragment in errors[0].message


def test_a_policy_without_binding_is_a_warning(tmp_path: Path) -> None:
    text = policy("- expression: 'false'").split("---")[0]
    findings, report = check(tmp_path, {"policies/p.yaml": text})
    assert not findings.has_errors and report.ok
    (warning,) = [f for f in findings.warnings if f.rule == "policy.unbound"]
    assert "has no ValidatingAdmissionPolicyBinding" in warning.message


def test_policy_test_files_are_not_policies(tmp_path: Path) -> None:
    findings, _ = check(tmp_path, {"policies/p.test.yaml": "kind: PolicyTest\n"})
    assert not findings.items


def test_derived_objects_are_judged_and_located_at_their_spec(tmp_path: Path) -> None:
    text = policy(
        "- expression: >-\n    object.spec.predictor.containers.all(c,\n"
        "    c.image.startsWith('registry.internal/'))\n"
        "  messageExpression: \"'image ' + object.spec.predictor.containers[0].image + "
        "' is not mirrored'\"",
        group="serving.kserve.io", version="v1beta1", resources="[inferenceservices]")
    _, report = check(tmp_path, {"policies/p.yaml": text})
    (finding,) = policy_findings(report)
    assert finding.location.path == SVC and finding.field == "metadata.name"
    assert finding.message.startswith("InferenceService ml-team/")
    assert ("(derived from AIMService ml-team/chat): ValidatingAdmissionPolicy 'p' with "
            "binding 'p-binding' denied request: image docker.io/amdenterpriseai/"
            "aim-qwen-qwen3-32b:0.8.5 is not mirrored") in finding.message
    judged = {j.candidate.resource.kind for j in report.judged}
    assert "InferenceService" in judged


def test_the_core_api_group_is_the_empty_string(tmp_path: Path) -> None:
    text = policy("- expression: \"'x' in object.data\"\n  message: no x", group="",
                  version="v1", resources="[configmaps]")
    findings, report = check(tmp_path, {"policies/p.yaml": text})
    assert not findings.has_errors, findings.sorted()
    (finding,) = policy_findings(report)
    assert finding.message.startswith("ConfigMap ml-team/")
    assert "denied request: no x [" in finding.message


def test_the_shipped_baseline_passes_its_own_example(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "repo-layout"
    loaded = load_repository(root)
    result = validate_repository(loaded)
    policies = read_policy_set(loaded.policy_documents, result.findings)
    assert set(policies.policies) == {
        "aimsync-image-pinned", "aimsync-registry-allowlist",
        "aimsync-no-literal-credentials", "aimsync-team-label",
    }
    assert [b.name for b in policies.budgets] == ["ml-team-mi300x", "cluster-capacity"]
    assert not [f for f in result.findings.errors if f.location.path.startswith("policies/")]


# -- each expression once per distinct input it reads -----------------------------------------

BASELINE = Path(__file__).resolve().parents[2] / "repo-layout" / "policies"
SERVICES = {  # name: (labels, env); several read alike, some fail, one fails to evaluate
    "a": ("{team: ml}", "[{name: LOG_LEVEL, value: info}]"),
    "b": ("{team: ml}", "[{name: LOG_LEVEL, value: info}]"),
    "c": ("{team: ''}", "[{name: HF_TOKEN, value: x}]"),
    "d": ("{other: x}", "[{name: HF_TOKEN, value: x}, {name: DB_PASSWORD, value: y}]"),
    "e": ("{team: ml}", "[{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}]"),
    "f": ("{other: x}", "[]"),
}
REPLICAS = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [aim.eai.amd.com], apiVersions: [v1alpha2], resources: [aimservices],
         operations: [CREATE]}
  validations:
    - expression: object.spec.replicas == 1
      messageExpression: "'AIMService ' + object.metadata.name + ' runs more than one'"
    - expression: "object.metadata.labels.team != 'x'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec: {policyName: replicas, validationActions: [Warn, Audit]}
"""


def _memo_repository(tmp_path: Path) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        path.relative_to(BASELINE.parent).as_posix(): path.read_text()
        for path in BASELINE.glob("*.yaml") if not path.name.endswith(".test.yaml")}
    files["policies/replicas.yaml"] = REPLICAS
    for index, (name, (labels, env)) in enumerate(SERVICES.items()):
        files[f"namespaces/ml-team/services/{name}.yaml"] = service(
            f"profile: {{name: qwen}}\nreplicas: {1 + index % 2}\nenv: {env}", name=name,
            metadata=f"  labels: {labels}\n")
    return files


def test_remembered_values_decide_as_a_fresh_evaluation_would(tmp_path: Path) -> None:
    """One evaluator for all the objects (each value computed once per distinct input)
    decides what an evaluator per object decides: verdicts, messages, errors."""
    from aimsync.policy.admission import Evaluator
    from aimsync.policy.check import spec_candidate

    check(tmp_path, _memo_repository(tmp_path))
    loaded = load_repository(tmp_path)
    result = validate_repository(loaded)
    policies = read_policy_set(loaded.policy_documents, result.findings)
    report = check_policies(policies, result.specs, ClusterFacts.unknown())
    alone = {(spec.kind, spec.name): Evaluator(policies).evaluate(spec_candidate(spec))
             for group in (result.specs.cluster_profiles, result.specs.services)
             for spec in group.values()}
    shared = {(j.candidate.resource.kind, j.candidate.name): list(j.decisions)
              for j in report.judged}
    assert shared == {(kind.value, name): decisions for (kind, name), decisions in alone.items()}
    messages = [d.message for decisions in shared.values() for d in decisions]
    assert "AIMService b runs more than one" in messages  # the name read on failure only
    assert any("env HF_TOKEN, DB_PASSWORD must not hold" in m for m in messages)
    assert any("no such key: team" in m for m in messages)


def test_an_expression_runs_once_per_distinct_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aimsync.policy import cel

    runs: list[str] = []
    original = cel.Program.run

    def counted(self: cel.Program, context: object) -> object:
        runs.append(self.source)
        return original(self, context)

    monkeypatch.setattr(cel.Program, "run", counted)
    files = {"policies/p.yaml": policy(
        "- expression: \"object.metadata.labels.team == 'ml'\"\n"
        "  messageExpression: \"'no ml team: ' + object.metadata.name\"")}
    for name in ("a", "b", "c"):
        files[f"namespaces/ml-team/services/{name}.yaml"] = service(
            "profile: {name: qwen}", name=name, metadata="  labels: {team: ml}\n")
    files["namespaces/ml-team/services/d.yaml"] = service(
        "profile: {name: qwen}", name="d", metadata="  labels: {team: ops}\n")
    _, report = check(tmp_path, files)
    assert runs.count("object.metadata.labels.team == 'ml'") == 2  # {team: ml}, {team: ops}
    (finding,) = policy_findings(report)
    assert "no ml team: d [" in finding.message


@pytest.mark.parametrize("values", [(True, 1, 1.0, 1), ("1", 1, [1], 1)])
def test_values_python_equates_are_told_apart(tmp_path: Path, values: tuple[object, ...]) -> None:
    """True == 1 == 1.0 in Python, three values in CEL: each is evaluated for itself."""
    from aimsync.api import AIMKind
    from aimsync.policy.admission import Candidate, Evaluator
    from aimsync.policy.check import AIM_RESOURCES

    check(tmp_path, {"policies/p.yaml": policy(
        "- expression: \"type(object.spec.v) == int\"\n"
        "  messageExpression: \"'not an int: ' + object.metadata.name\"")})
    loaded = load_repository(tmp_path)
    policies = read_policy_set(loaded.policy_documents, Findings())
    evaluator = Evaluator(policies)
    denied = []
    for index, value in enumerate(values):
        name = f"s{index}"
        obj = {"metadata": {"name": name, "namespace": "ml-team"}, "spec": {"v": value}}
        decisions = evaluator.evaluate(
            Candidate(AIM_RESOURCES[AIMKind.SERVICE], name, "ml-team", obj))
        denied += [d.message for d in decisions]
    assert denied == [f"not an int: s{i}" for i, v in enumerate(values) if type(v) is not int]


@pytest.mark.parametrize("paths", [
    (("spec", "env"),), (("metadata", "labels"), ("metadata", "name")),
    (("spec", "profileOverrides", "containerEnv"),), (("spec", "env", "name"),),
    (("spec", "replicas", "x"),), (("spec",),), (("nothing", "x"),),
    (("spec", "image"), ("spec", "modelSources")), (("spec", "caching", "mode"),),
    (("spec", "routing", "gatewayRef", "kind"),),
])
def test_a_spec_dumped_for_some_paths_reads_as_the_whole_dump(
    tmp_path: Path, paths: tuple[tuple[str, ...], ...]
) -> None:
    from aimsync.policy.admission import pruned

    files = _memo_repository(tmp_path)
    files["namespaces/ml-team/services/r.yaml"] = service(
        "profile: {name: qwen}\nrouting: {enabled: true, gatewayRef: {name: g, namespace: n}}"
        "\nprofileOverrides: {containerEnv: [{name: A, value: b}]}\ncaching: {mode: Shared}",
        name="r")
    write_repo(tmp_path, files)
    write_repo(tmp_path, {"cluster/profiles/qwen.yaml": CLUSTER_PROFILE})
    result = validate_repository(load_repository(tmp_path))
    assert result.ok, result.findings.sorted()
    specs = [*result.specs.cluster_profiles.values(), *result.specs.services.values()]
    for spec in specs:
        assert pruned(spec.obj.to_api(paths), paths) == pruned(spec.obj.to_api(), paths)
    for a in specs:  # the JSON of the fields is a key: equal exactly for equal dumps
        for b in specs:
            if a.kind is b.kind:
                assert (a.obj.api_json(paths) == b.obj.api_json(paths)) is (
                    a.obj.to_api(paths) == b.obj.to_api(paths))


def test_a_model_with_a_float_field_has_no_json_key() -> None:
    from aimsync.api.base import APIModel

    class Tuning(APIModel):
        ratio: float | None = None

    class Holder(APIModel):
        tuning: list[Tuning] | None = None

    # NaN, inf and -inf are all null in JSON: the key would not tell them apart
    assert Holder(tuning=[Tuning(ratio=float("nan"))]).api_json((("tuning",),)) is None


def test_objects_that_read_alike_or_not_in_any_order_decide_as_alone(tmp_path: Path) -> None:
    """Many objects that read differently (a memo that finds nothing is dropped), then some
    that read alike, some that fail: one evaluator decides what one per object does."""
    from aimsync.api import AIMKind
    from aimsync.policy.admission import Candidate, Evaluator
    from aimsync.policy.check import AIM_RESOURCES

    check(tmp_path, _memo_repository(tmp_path))
    loaded = load_repository(tmp_path)
    policies = read_policy_set(loaded.policy_documents, Findings())
    candidates = []
    for i in range(100):
        env = [{"name": "LOG_LEVEL", "value": f"v{i if i < 80 else 0}"}]
        if i % 9 == 0:
            env.append({"name": "HF_TOKEN", "value": "x"})
        labels = {"team": "ml"} if i % 13 else {"other": "x"}
        obj = {"apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMService",
               "metadata": {"name": f"s{i}", "namespace": "ml-team", "labels": labels},
               "spec": {"profile": {"name": "qwen"}, "replicas": 1 + i % 2, "env": env}}
        candidates.append(Candidate(AIM_RESOURCES[AIMKind.SERVICE], f"s{i}", "ml-team", obj))
    shared = Evaluator(policies)
    assert [shared.evaluate(c) for c in candidates] == [
        Evaluator(policies).evaluate(c) for c in candidates]
