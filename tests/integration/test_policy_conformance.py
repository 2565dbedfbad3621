"""Conformance of aimsync's offline policy evaluation with the real admission path.

Every shipped baseline policy (repo-layout/policies/) and a few test policies for the derived
objects (InferenceService, PVC, Job, ConfigMap, HTTPRoute, ScaledObject: messageExpression,
variables, params, matchConditions, quantity, Warn, Warn + Audit, failurePolicy Fail and
Ignore on an expression error) are installed in the test control plane's kube-apiserver as
they are written. Each binding is scoped to this test's objects (a matchResources
objectSelector on a run label), and aimsync evaluates exactly those bindings too. A corpus of
AIM specs and of the objects aimsync derives from them is then created by server-side apply
with dryRun=All (validating admission runs on dry-run; nothing is stored; one admitted and one
refused object of every kind is applied for real too, and answers as its dry run), in a fresh
namespace, and for every object:

* verdict: the API server refuses it exactly when aimsync has a Deny decision for it;
* message: the API server's message is `<resource> "<name>" is forbidden: ` + one of
  aimsync's Deny messages, word for word, with the status code of the validation's reason;
* warnings: the API server's `Validation failed for ValidatingAdmissionPolicy ...` warnings
  are exactly aimsync's Warn messages; an Audit-only failure is admitted by both.

The test fails on any disagreement and lists them all. Then: a repository over a GPU budget
is refused by `sync` (exit 2) before anything is written.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from kubernetes import client

from aimsync.cli import cli
from aimsync.core.facts import ClusterFacts
from aimsync.load.repository import load_repository
from aimsync.policy import read_policy_set
from aimsync.policy.admission import Candidate, Decision, Evaluator, Resource
from aimsync.policy.check import DERIVED_RESOURCES, derived_candidate, spec_candidate
from aimsync.policy.model import Action
from aimsync.render.render import render
from aimsync.resolve.resolver import resolve_all
from aimsync.validate import validate_repository
from tests.cluster import ClusterAccess, KubeApiError, resource_path
from tests.cluster import request as kube_request
from tests.integration.conftest import TEST_NAMESPACE_LABEL
from tests.support import write_repo

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "repo-layout" / "policies"
RUN_LABEL = "aimsync.test/policy-run"
ADMISSION = "/apis/admissionregistration.k8s.io/v1"
MIN_CORPUS = 60
CODES = {"Invalid": 422, "Forbidden": 403, "Unauthorized": 401, "RequestEntityTooLarge": 413}

# Test policies for the derived objects (and the behaviours the baseline does not show).
TEST_POLICIES = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-isvc-mirror}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
      - apiGroups: [serving.kserve.io]
        apiVersions: [v1beta1]
        resources: [inferenceservices]
        operations: [CREATE, UPDATE]
  variables:
    - name: images
      expression: object.spec.predictor.containers.map(c, c.image)
    - name: mirrors
      expression: params.data.mirrors.split(',')
  validations:
    - expression: variables.images.all(i, variables.mirrors.exists(m, i.startsWith(m)))
      messageExpression: >-
        'InferenceService ' + object.metadata.name + ' runs ' + variables.images.join(', ') +
        ', which no mirror (' + params.data.mirrors + ') serves'
      reason: Forbidden
    - expression: >-
        object.spec.predictor.containers.all(c, !has(c.resources.limits) ||
        !('amd.com/gpu' in c.resources.limits) ||
        int(c.resources.limits['amd.com/gpu']) <= 2)
      message: at most 2 GPUs per replica
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-pvc-size}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        resources: [persistentvolumeclaims]
        operations: ["*"]
  validations:
    - expression: >-
        quantity(object.spec.resources.requests.storage).isLessThan(quantity('40Gi'))
      messageExpression: >-
        'a cache of ' + object.spec.resources.requests.storage + ' is more than 40Gi'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-job-backoff}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [batch]
        apiVersions: [v1]
        resources: [jobs]
        operations: [CREATE]
  matchConditions:
    - name: downloads-only
      expression: "'app.kubernetes.io/managed-by' in object.metadata.labels"
  validations:
    - expression: object.spec.backoffLimit <= 1
      message: a download Job retries at most once
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-error-fail}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        resources: [configmaps]
        operations: [CREATE, UPDATE]
  validations:
    - expression: object.data.nothing == 'x'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-error-ignore}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
      - apiGroups: [gateway.networking.k8s.io]
        apiVersions: [v1]
        resources: [httproutes]
        operations: [CREATE, UPDATE]
  validations:
    - expression: object.spec.nothing == 'x'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: conf-scaling}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [keda.sh]
        apiVersions: [v1alpha1]
        resources: [scaledobjects]
        operations: [CREATE, UPDATE]
  validations:
    - expression: object.spec.maxReplicaCount <= 3
      messageExpression: "'maxReplicaCount ' + string(object.spec.maxReplicaCount) + ' > 3'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-isvc-mirror}
spec:
  policyName: conf-isvc-mirror
  validationActions: [Deny]
  paramRef: {name: mirrors, parameterNotFoundAction: Deny}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-pvc-size}
spec:
  policyName: conf-pvc-size
  validationActions: [Warn, Audit]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-job-backoff}
spec:
  policyName: conf-job-backoff
  validationActions: [Audit]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-error-fail}
spec:
  policyName: conf-error-fail
  validationActions: [Deny]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-error-ignore}
spec:
  policyName: conf-error-ignore
  validationActions: [Deny]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: conf-scaling}
spec:
  policyName: conf-scaling
  validationActions: [Warn]
"""


def _mirrors(namespace: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: mirrors, namespace: {namespace}}}
        data:
          mirrors: docker.io/amdenterpriseai/aim-qwen,registry.internal/
        """)


# -- the corpus: AIM specs that pass and fail each policy, and what aimsync derives -----------

GOOD = "docker.io/amdenterpriseai/aim-qwen-qwen3-32b:0.8.5"
IMAGES = [
    GOOD, "docker.io/amdenterpriseai/aim-qwen:latest", "docker.io/amdenterpriseai/aim-qwen",
    "docker.io/amdenterpriseai/aim-qwen@sha256:" + "a" * 64, "ghcr.io/amd/aim-llama:1.2",
    "quay.io/other/aim:1.0", "registry.internal:5000/aim-qwen", "registry.internal:5000/aim:2",
    "ghcr.io/amd/aim:latest", "docker.io/amdenterpriseai/aim-x:v1-rc.1",
]
ENVS: list[list[dict[str, Any]]] = [
    [],
    [{"name": "LOG_LEVEL", "value": "info"}],
    [{"name": "HF_TOKEN", "value": "hf_literal"}],
    [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}],
    [{"name": "MAX_TOKENS", "value": "4096"}, {"name": "DB_PASSWORD", "value": "x"}],
    [{"name": "api-key", "value": "x"}],
]


def _profile(name: str, image: str, *, namespace: str | None, count: int,
             source_env: list[dict[str, Any]] | None = None, labels: dict[str, str],
             size: str = "35Gi") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if namespace:
        metadata["namespace"] = namespace
    # one source per profile: every service gets its own cache (PVC + download Job)
    source: dict[str, Any] = {"modelId": "qwen/qwen3-32b-fp8",
                              "sourceUri": f"hf://Qwen/Qwen3-32B-FP8-{name}", "size": size}
    if source_env:
        source["env"] = source_env
    return {
        "apiVersion": "aim.eai.amd.com/v1alpha2",
        "kind": "AIMProfile" if namespace else "AIMClusterProfile", "metadata": metadata,
        "spec": {"aimId": "qwen/qwen3-32b", "image": image, "metric": "latency",
                 "precision": "fp8", "type": "optimized", "acceleratorType": "gpu",
                 "acceleratorModel": "MI300X", "acceleratorCount": count,
                 "modelSources": [source]},
    }


def _service(name: str, namespace: str, profile: str, *, labels: dict[str, str],
             env: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"profile": {"name": profile}, "replicas": 1}
    if env:
        spec["env"] = env
    spec.update(extra or {})
    return {"apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMService",
            "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec}


def corpus_repository(root: Path, namespace: str, run: str) -> None:
    """AIM specs that exercise every policy; the services render every kind of object."""
    mark = {RUN_LABEL: run}
    documents: list[dict[str, Any]] = []
    for i, image in enumerate(IMAGES):
        documents.append(_profile(f"c-{run}-{i}", image, namespace=None, count=1 + i % 3,
                                  labels=mark, size="45Gi" if i % 2 else "30Gi"))
    for i, env in enumerate(ENVS):
        documents.append(_profile(f"p{i}", IMAGES[i % 4 + 1] if i % 2 else GOOD,
                                  namespace=namespace, count=1, source_env=env, labels=mark))
    services = [
        ("chat", {"team": "ml", **mark}, [], f"c-{run}-0",
         {"routing": {"enabled": True, "gatewayRef": {"name": "gw", "namespace": namespace}}}),
        ("batch", {"team": "ml", **mark}, ENVS[1], f"c-{run}-4",
         {"minReplicas": 1, "maxReplicas": 5, "replicas": 1, "autoScaling": {"metrics": [
             {"type": "PodMetric", "podmetric": {"metric": {"query": "q"},
              "target": {"type": "AverageValue", "averageValue": "8"}}}]}}),
        ("small", {"team": "ml", **mark}, ENVS[3], f"c-{run}-3",
         {"minReplicas": 1, "maxReplicas": 2, "autoScaling": {"metrics": [
             {"type": "PodMetric", "podmetric": {"metric": {"query": "q"},
              "target": {"type": "AverageValue", "averageValue": "8"}}}]}}),
        ("nolabel", dict(mark), [], f"c-{run}-2", {}),
        ("token", {"team": "ml", **mark}, ENVS[2], "p0", {}),
        ("both", dict(mark), ENVS[4], "p1", {}),
        ("dashes", {"team": "", **mark}, ENVS[5], f"c-{run}-1", {}),
        ("fine", {"team": "research", **mark}, ENVS[3], "p2", {}),
    ]
    for name, labels, env, profile, extra in services:
        documents.append(_service(name, namespace, profile, labels=labels, env=env,
                                  extra=extra))
    documents.append({"apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMProfileCache",
                      "metadata": {"name": "warm", "namespace": namespace, "labels": mark},
                      "spec": {"profileName": "p2", "profileScope": "Namespace", "env": ENVS[2]}})
    documents.append({"apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMProfileCache",
                      "metadata": {"name": "warm-ok", "namespace": namespace, "labels": mark},
                      "spec": {"profileName": "p3", "profileScope": "Namespace"}})
    write_repo(root, {
        "aimsync.yaml": f"namespaces: [{namespace}]\n",
        "specs.yaml": yaml.safe_dump_all(documents, sort_keys=False),
    })


def scoped(policy_docs: list[dict[str, Any]], run: str, params_namespace: str,
           ) -> list[dict[str, Any]]:
    """The documents with every binding limited to this run's objects (cluster-wide
    policies must not touch the other tests), and params in this run's namespace."""
    out = []
    for doc in policy_docs:
        doc = json.loads(json.dumps(doc))
        if doc.get("kind") == "ValidatingAdmissionPolicyBinding":
            doc["spec"]["matchResources"] = {"objectSelector": {"matchLabels": {RUN_LABEL: run}}}
            ref = doc["spec"].get("paramRef")
            if ref is not None and "namespace" in ref:
                ref["namespace"] = params_namespace
        if doc.get("kind") == "ConfigMap" and doc["metadata"]["namespace"] == "aimsync-policies":
            doc["metadata"]["namespace"] = params_namespace
        out.append(doc)
    return out


# -- the two sides ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    reason: str
    message: str
    warnings: tuple[str, ...]

    @property
    def admitted(self) -> bool:
        return 200 <= self.status < 300


def _warnings(headers: Any) -> tuple[str, ...]:
    values = headers.getlist("Warning") if hasattr(headers, "getlist") else (
        [headers["Warning"]] if "Warning" in headers else [])
    out = []
    for value in values:
        # RFC 7234: 299 - "text" (quotes and backslashes escaped)
        text = value.split(" ", 2)[2] if value.startswith("299 ") else value
        if text.startswith('"') and text.endswith('"'):
            text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if text.startswith("Validation failed for ValidatingAdmissionPolicy"):
            out.append(text)
    return tuple(sorted(out))


def object_path(candidate: Candidate) -> str:
    resource = candidate.resource
    return resource_path(resource.api_version, resource.resource, candidate.name,
                         candidate.namespace or None)


def dry_run_apply(api: client.ApiClient, candidate: Candidate, *,
                  dry_run: bool = True) -> ApiAnswer:
    """Server-side apply, as aimsync applies (dryRun=All unless `dry_run` is False)."""
    path = object_path(candidate)
    query = [("fieldManager", "aimsync"), ("fieldValidation", "Strict")]
    if dry_run:
        query.append(("dryRun", "All"))
    headers = {"Accept": "application/json", "Content-Type": "application/apply-patch+yaml"}
    _method, url, header_params, body, _post = api.param_serialize(
        method="PATCH", resource_path=path, query_params=query, header_params=headers,
        body=dict(candidate.obj), auth_settings=["BearerToken"])
    response = api.call_api("PATCH", url, header_params=header_params, body=body,
                            _request_timeout=30)
    response.read()  # type: ignore[no-untyped-call]
    data = json.loads(response.data.decode() if response.data else "{}")
    headers = response.getheaders()  # type: ignore[no-untyped-call]
    return ApiAnswer(response.status, str(data.get("reason", "")),
                     str(data.get("message", "")), _warnings(headers))


def expected_prefix(candidate: Candidate) -> str:
    resource = candidate.resource
    qualified = f"{resource.resource}.{resource.group}" if resource.group else resource.resource
    return f'{qualified} "{candidate.name}" is forbidden: '


def disagreements(candidate: Candidate, api: ApiAnswer, decisions: list[Decision]) -> list[str]:
    denies = [d for d in decisions if d.action is Action.DENY]
    warns = tuple(sorted(d.api_message for d in decisions if d.action is Action.WARN))
    found = []
    if api.admitted and denies:
        found.append(f"aimsync denies ({denies[0].api_message}), the API server admits")
    if not api.admitted and not denies:
        found.append(f"the API server refuses ({api.status}: {api.message}), aimsync admits")
    if not api.admitted and denies:
        prefix = expected_prefix(candidate)
        ours = {prefix + d.api_message: d for d in denies}
        if api.message not in ours:
            found.append(f"messages differ: API {api.message!r}, aimsync {sorted(ours)}")
        else:
            reason = ours[api.message].reason or "Invalid"
            if api.status != CODES.get(reason, 422) or api.reason != reason:
                found.append(f"status {api.status} {api.reason}, aimsync says {reason}")
    if api.admitted and api.warnings != warns:
        found.append(f"warnings differ: API {api.warnings}, aimsync {warns}")
    return found


@dataclass(frozen=True)
class Judged:
    candidate: Candidate
    api: ApiAnswer
    decisions: list[Decision]
    stored: ApiAnswer | None = None  # the same apply without dryRun (a sample of the corpus)


def _sample(candidates: list[Candidate], answers: list[ApiAnswer]) -> set[int]:
    """One admitted and one refused object of every kind (where the corpus has one): these
    are also applied for real, to show that dry-run answers as the stored apply does."""
    chosen: dict[tuple[str, bool], int] = {}
    for index, (candidate, answer) in enumerate(zip(candidates, answers, strict=True)):
        chosen.setdefault((candidate.resource.kind, answer.admitted), index)
    return set(chosen.values())


@pytest.fixture(scope="module")
def judged(
    control_plane: ClusterAccess, api_client: client.ApiClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Judged]]:
    run = secrets.token_hex(3)
    namespace, params = f"t-policy-conformance-{run}", f"t-policy-params-{run}"
    for name in (namespace, params):
        kube_request(api_client, "POST", "/api/v1/namespaces", body={
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {TEST_NAMESPACE_LABEL: "true"}}})
    root = tmp_path_factory.mktemp("policy-conformance")
    corpus_repository(root, namespace, run)
    texts = [p.read_text() for p in sorted(BASELINE.glob("*.yaml"))
             if not p.name.endswith(".test.yaml")]
    texts += [TEST_POLICIES, _mirrors(namespace)]
    policy_docs = [d for t in texts for d in yaml.safe_load_all(t)
                   if d and d.get("kind") != "GPUBudget"]
    docs = scoped(policy_docs, run, params)
    (root / "policies").mkdir()
    (root / "policies" / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))

    loaded = load_repository(root)
    result = validate_repository(loaded)
    assert result.ok, result.findings.sorted()[:5]
    policies = read_policy_set(loaded.policy_documents, result.findings)
    assert not result.findings.has_errors, result.findings.sorted()
    desired = render(result.specs, resolve_all(result.specs, ClusterFacts.unknown()))
    candidates = [spec_candidate(s) for group in (
        result.specs.cluster_profiles, result.specs.profiles, result.specs.caches,
        result.specs.services) for s in group.values()]
    for obj in desired.objects:
        derived = derived_candidate(obj)
        assert derived is not None, obj.key
        labels = derived.obj["metadata"].setdefault("labels", {})
        labels[RUN_LABEL] = run
        candidates.append(derived)
    evaluator = Evaluator(policies)

    installed: list[str] = []
    created: list[str] = []
    try:
        for doc in docs:
            kind = doc["kind"]
            if kind == "ConfigMap":
                kube_request(api_client, "POST", resource_path(
                    "v1", "configmaps", namespace=doc["metadata"]["namespace"]), body=doc)
                continue
            plural = ("validatingadmissionpolicies" if kind == "ValidatingAdmissionPolicy"
                      else "validatingadmissionpolicybindings")
            kube_request(api_client, "POST", f"{ADMISSION}/{plural}", body=doc)
            installed.append(f"{ADMISSION}/{plural}/{doc['metadata']['name']}")
        _wait_until_enforced(api_client, namespace, run)
        answers = []
        for candidate in candidates:
            api = dry_run_apply(api_client, candidate)
            for _ in range(20):  # a param informer that has not synced yet says so
                if "not yet synced" not in api.message:
                    break
                time.sleep(0.5)
                api = dry_run_apply(api_client, candidate)
            answers.append(api)
        sample = _sample(candidates, answers)
        out = []
        for index, (candidate, api) in enumerate(zip(candidates, answers, strict=True)):
            stored = None
            if index in sample:
                stored = dry_run_apply(api_client, candidate, dry_run=False)
                if stored.admitted:
                    created.append(object_path(candidate))
            out.append(Judged(candidate, api, evaluator.evaluate(candidate), stored))
        yield out
    finally:
        for path in created:  # cluster-scoped ones outlive the namespace
            with contextlib.suppress(KubeApiError):
                kube_request(api_client, "DELETE", path)
        for path in reversed(installed):
            with contextlib.suppress(KubeApiError):
                kube_request(api_client, "DELETE", path)
        for name in (namespace, params):
            with contextlib.suppress(KubeApiError):
                kube_request(api_client, "DELETE", f"/api/v1/namespaces/{name}")
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_enforced(api: client.ApiClient, namespace: str, run: str) -> None:
    """The API server reloads its policies every second: wait until a ConfigMap of this run
    is refused by conf-error-fail (every policy and binding was created before it)."""
    probe = Candidate(
        derived_resource("ConfigMap"), "probe", namespace,
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "probe", "namespace": namespace, "labels": {RUN_LABEL: run}}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not dry_run_apply(api, probe).admitted:
            time.sleep(1.5)  # one more refresh: the policies created just before the probe's
            return
        time.sleep(0.3)
    raise AssertionError("the policies were not enforced within 60 s")


def derived_resource(kind: str) -> Resource:
    return next(r for r in DERIVED_RESOURCES.values() if r.kind == kind)


def test_aimsync_and_the_api_server_give_the_same_verdicts_and_messages(
    judged: list[Judged],
) -> None:
    assert len(judged) >= MIN_CORPUS, len(judged)
    problems = [
        f"{j.candidate.resource.kind} {j.candidate.namespace}/{j.candidate.name}: {problem}"
        for j in judged for problem in disagreements(j.candidate, j.api, j.decisions)
    ]
    assert not problems, "\n".join(problems)


def test_a_stored_apply_is_judged_as_its_dry_run(judged: list[Judged]) -> None:
    sampled = [j for j in judged if j.stored is not None]
    assert {j.candidate.resource.kind for j in sampled} == {
        j.candidate.resource.kind for j in judged}
    assert any(not j.api.admitted for j in sampled)
    problems = [
        f"{j.candidate.resource.kind} {j.candidate.name}: dry run {j.api}, stored {j.stored}"
        for j in sampled if j.stored is not None and (
            j.stored.admitted, j.stored.message, j.stored.warnings)
        != (j.api.admitted, j.api.message, j.api.warnings)
    ]
    assert not problems, "\n".join(problems)


def test_the_corpus_covers_every_policy_and_outcome(judged: list[Judged]) -> None:
    kinds = {j.candidate.resource.kind for j in judged}
    assert kinds == {"AIMClusterProfile", "AIMProfile", "AIMProfileCache", "AIMService",
                     "ConfigMap", "PersistentVolumeClaim", "Job", "InferenceService",
                     "HTTPRoute", "ScaledObject"}
    denied_by = {d.policy.name for j in judged for d in j.decisions if d.action is Action.DENY}
    assert {"aimsync-image-pinned", "aimsync-registry-allowlist",
            "aimsync-no-literal-credentials", "aimsync-team-label", "conf-isvc-mirror",
            "conf-error-fail"} <= denied_by
    assert any(not j.api.admitted for j in judged) and any(j.api.admitted for j in judged)
    passing = {d.policy.name for j in judged for d in j.decisions}
    assert "conf-error-ignore" not in passing  # an error under Ignore admits (both sides)


def test_warn_and_audit_admit_and_deny_refuses(judged: list[Judged]) -> None:
    warned = [j for j in judged if any(d.action is Action.WARN for d in j.decisions)]
    assert warned and all(j.api.admitted and j.api.warnings for j in warned
                          if not any(d.action is Action.DENY for d in j.decisions))
    audited = [j for j in judged if j.candidate.resource.kind == "Job"]
    assert audited and all(j.api.admitted for j in audited)
    assert all(d.action is Action.AUDIT for j in audited for d in j.decisions)
    pvcs = [j for j in judged if j.candidate.resource.kind == "PersistentVolumeClaim"]
    # Warn + Audit on one binding: the warning the API sends, and the same message audited
    for j in pvcs:
        actions = sorted(d.action.value for d in j.decisions)
        assert actions in ([], ["Audit", "Warn"]), actions


def test_failure_policy_on_an_expression_error_matches(judged: list[Judged]) -> None:
    configmaps = [j for j in judged if j.candidate.resource.kind == "ConfigMap"]
    assert configmaps
    for j in configmaps:
        assert not j.api.admitted
        assert j.api.message.endswith(
            "ValidatingAdmissionPolicy 'conf-error-fail' with binding 'conf-error-fail' denied "
            "request: expression 'object.data.nothing == 'x'' resulted in error: no such key: "
            "nothing"), j.api.message
    routes = [j for j in judged if j.candidate.resource.kind == "HTTPRoute"]
    assert routes and all(j.api.admitted for j in routes)


# -- a repository over its GPU budget: sync writes nothing ------------------------------------


def test_sync_refuses_a_repository_over_its_gpu_budget_and_writes_nothing(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path,
) -> None:
    profile = (BASELINE.parent / "cluster/profiles/qwen3-32b-fp8-mi300x-latency.yaml").read_text()
    profile = profile.replace("name: qwen3-32b-fp8-mi300x-latency", f"name: qwen-{namespace}")
    files = {
        "aimsync.yaml": (f"namespaces: [{namespace}]\nlock: {{namespace: {namespace}, name: "
                         f"aimsync-lock}}\ninventory: {{namespace: {namespace}, name: "
                         "aimsync-inventory}\n"),
        "cluster/profiles/qwen.yaml": profile,
        "policies/budget.yaml": textwrap.dedent(f"""\
            apiVersion: aimsync.io/v1alpha1
            kind: GPUBudget
            metadata: {{name: small}}
            spec:
              namespaces: [{namespace}]
              limits: [{{acceleratorModel: MI300X, maxUnits: 2}}]
            """),
    }
    for name in ("a", "b"):
        files[f"namespaces/{namespace}/services/{name}.yaml"] = textwrap.dedent(f"""\
            apiVersion: aim.eai.amd.com/v1alpha2
            kind: AIMService
            metadata:
              name: {name}
            spec:
              profile: {{name: qwen-{namespace}}}
              replicas: 2
            """)
    root = tmp_path / "repo"
    write_repo(root, dict(files))
    facts = str(ROOT / "tests/fixtures/nodes.yaml")
    result = CliRunner().invoke(cli, ["sync", str(root), "--cluster-facts", facts, "-o", "json",
                                      "--kubeconfig", str(control_plane.kubeconfig)],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["changes"] == [] and report["exitCode"] == 2
    located = sorted((f["file"], f["line"]) for f in report["findings"]
                     if f["rule"] == "policy.budget-exceeded")
    assert located == [(f"namespaces/{namespace}/services/a.yaml", 7),
                       (f"namespaces/{namespace}/services/b.yaml", 7),
                       ("policies/budget.yaml", 6)]
    # the run's own count: not one write (nor dry-run) was sent
    assert report["requests"]["writes"] == 0 and report["requests"]["dryRuns"] == 0, report
    # nothing was written: no lock, no inventory, no object in the namespace
    for api_version, plural in (("coordination.k8s.io/v1", "leases"), ("v1", "configmaps"),
                                ("v1", "persistentvolumeclaims"), ("batch/v1", "jobs")):
        listed = kube_request(api_client, "GET", resource_path(api_version, plural,
                                                               namespace=namespace))
        names = [o["metadata"]["name"] for o in listed["items"]
                 if o["metadata"]["name"] != "kube-root-ca.crt"]
        assert names == [], (plural, names)
    # a live diff plans (reads only), shows the budget before -> after, and exits 2
    result = CliRunner().invoke(cli, ["diff", str(root), "--cluster-facts", facts,
                                      "--kubeconfig", str(control_plane.kubeconfig)],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "GPU budgets:\n  MI300X 0 → 4 of 2 (small: namespace " in result.stdout
    assert f"namespaces/{namespace}/services/a.yaml:7:3: error: spec.replicas: GPU budget" in (
        result.stderr)
