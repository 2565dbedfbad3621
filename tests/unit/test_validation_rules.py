"""Every validation rule, positive and negative, with the exact field path and line.

Each negative case writes one broken document into a small repository that is otherwise valid
and asserts the one finding it must produce: its severity, file, line, field and message.
Service documents put `spec:` on line 5, so the first spec field is on line 6.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from aimsync.findings import Severity
from tests.support import CLUSTER_PROFILE, profile, service, validate_files

SVC = "namespaces/team/services/chat.yaml"
PRF = "namespaces/team/profiles/p.yaml"
CLP = "cluster/profiles/qwen.yaml"

DEPLOYABLE = """\
aimId: team/model
image: img:1.0
modelSources:
  - modelId: team/model
    sourceUri: hf://team/model
    size: 1Gi
"""


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]
    file: str
    line: int
    field: str
    fragment: str
    severity: Severity = Severity.ERROR


def svc(spec: str, **kw: str) -> dict[str, str]:
    return {CLP: CLUSTER_PROFILE, SVC: service(spec, **kw)}


def prf(spec: str, kind: str = "AIMProfile") -> dict[str, str]:
    path = PRF if kind == "AIMProfile" else "cluster/profiles/p.yaml"
    return {CLP: CLUSTER_PROFILE, path: profile(spec, kind=kind)}


# One usable PodMetric (after the operator's test helper validVLLMMetric). Right after
# `profile:`, `autoScaling` is line 7, the metric's `query` line 12 and the target's `type` 14.
METRICS = """\
autoScaling:
  metrics:
    - type: PodMetric
      podmetric:
        metric:
          query: "vllm:num_requests_running"
        target:
          type: Value
          value: "1"
"""

CASES = [
    # --- schema: types, enums, patterns, bounds (AIMService) ---
    Case("replicas-string", svc("profile: {name: qwen}\nreplicas: '2'"), SVC, 7, "spec.replicas",
         "expected a whole number, got the string '2'"),
    Case("replicas-over-int32", svc("profile: {name: qwen}\nreplicas: 3000000000"), SVC, 7,
         "spec.replicas", "the maximum is 2147483647"),
    Case("max-replicas-zero", svc("profile: {name: qwen}\nmaxReplicas: 0"), SVC, 7,
         "spec.maxReplicas", "the minimum is 1"),
    Case("caching-mode-enum", svc("profile: {name: qwen}\ncaching: {mode: always}"), SVC, 7,
         "spec.caching.mode", "allowed values: Dedicated, Shared, Auto, Always, Never"),
    Case("selector-precision-enum", svc("profile:\n  selector: {aimId: a/b, precision: fp64}"),
         SVC, 7, "spec.profile.selector.precision", "allowed values: auto, fp4"),
    Case("env-value-number", svc("profile: {name: qwen}\nenv:\n  - {name: A, value: 1}"), SVC, 8,
         "spec.env[0].value", 'quote it: "1"'),
    Case("env-name-missing", svc("profile: {name: qwen}\nenv:\n  - {value: x}"), SVC, 8,
         "spec.env[0].name", "required field 'name' is missing"),
    Case("env-value-and-value-from",
         svc("profile: {name: qwen}\nenv:\n  - name: A\n    value: x\n"
             "    valueFrom: {secretKeyRef: {name: s, key: k}}"),
         SVC, 8, "spec.env[0]", "set either value or valueFrom, not both"),
    Case("env-duplicate-names",
         svc("profile: {name: qwen}\nenv:\n  - {name: A, value: x}\n  - {name: A, value: y}"),
         SVC, 7, "spec.env", "duplicate env var name 'A'"),
    Case("env-value-from-empty", svc("profile: {name: qwen}\nenv:\n  - {name: A, valueFrom: {}}"),
         SVC, 8, "spec.env[0].valueFrom", "exactly one of"),
    Case("resources-bad-quantity",
         svc("profile: {name: qwen}\nresources:\n  requests: {memory: 10GB}"), SVC, 8,
         "spec.resources.requests.memory", "not a Kubernetes quantity"),
    Case("resources-bool-quantity",
         svc("profile: {name: qwen}\nresources:\n  limits: {cpu: true}"), SVC, 8,
         "spec.resources.limits.cpu", "expected a Kubernetes quantity"),
    Case("unknown-field-suggestion", svc("profile: {name: qwen}\nreplica: 2"), SVC, 7,
         "spec.replica", "unknown field 'replica' (did you mean 'replicas'?)"),
    Case("unknown-nested-field", svc("profile: {nmae: qwen}"), SVC, 6, "spec.profile.nmae",
         "did you mean 'name'?"),
    Case("gateway-port-range",
         svc("profile: {name: qwen}\nrouting:\n  enabled: true\n"
             "  gatewayRef: {name: gw, port: 70000}"),
         SVC, 9, "spec.routing.gatewayRef.port", "the maximum is 65535"),
    Case("headroom-negative", svc("profile: {name: qwen}\nstorage: {pvcHeadroomPercent: -1}"),
         SVC, 7, "spec.storage.pvcHeadroomPercent", "the minimum is 0"),
    Case("profile-name-empty", svc("profile: {name: ''}"), SVC, 6, "spec.profile.name",
         "must not be empty"),
    # --- schema: AIMProfile ---
    Case("image-missing", prf("aimId: a/b\nmodelSources: [{modelId: a/b, sourceUri: hf://a/b, "
                              "size: 1Gi}]"), PRF, 5, "spec.image",
         "required field 'image' is missing"),
    Case("primary-yes", prf(DEPLOYABLE + "primary: yes"), PRF, 12, "spec.primary",
         "yes/no/on/off are strings"),
    Case("precision-auto-on-profile", prf(DEPLOYABLE + "precision: auto"), PRF, 12,
         "spec.precision", "allowed values: fp4, fp8"),
    Case("metric-enum", prf(DEPLOYABLE + "metric: fast"), PRF, 12, "spec.metric",
         "allowed values: latency, throughput"),
    Case("accelerator-type-enum", prf(DEPLOYABLE + "acceleratorType: GPU"), PRF, 12,
         "spec.acceleratorType", "did you mean 'gpu'?"),
    Case("accelerator-count-negative", prf(DEPLOYABLE + "acceleratorCount: -1"), PRF, 12,
         "spec.acceleratorCount", "the minimum is 0"),
    Case("accelerator-model-pattern", prf(DEPLOYABLE + "acceleratorModel: MI300X!"), PRF, 12,
         "spec.acceleratorModel", "e.g. MI300X"),
    Case("accelerator-model-too-long", prf(DEPLOYABLE + "acceleratorModel: " + "A" * 64), PRF,
         12, "spec.acceleratorModel", "at most 63 allowed"),
    Case("model-id-pattern",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - {modelId: ab, sourceUri: hf://a/b, "
             "size: 1Gi}"), PRF, 9, "spec.modelSources[0].modelId", "{org}/{name}"),
    Case("source-uri-scheme",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - {modelId: a/b, sourceUri: "
             "'https://x/y', size: 1Gi}"), PRF, 9, "spec.modelSources[0].sourceUri",
         "hf:// or s3://"),
    Case("source-uri-space",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - {modelId: a/b, sourceUri: 'hf://a b', "
             "size: 1Gi}"), PRF, 9, "spec.modelSources[0].sourceUri", "without spaces"),
    Case("source-uri-wrong-case",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - modelId: a/b\n    sourceURI: hf://a/b\n"
             "    size: 1Gi"), PRF, 10, "spec.modelSources[0].sourceURI",
         "did you mean 'sourceUri'?"),
    Case("engine-env-number", prf(DEPLOYABLE + "engineEnv: {X: 1}"), PRF, 12, "spec.engineEnv.X",
         "expected a string"),
    Case("features-set", prf(DEPLOYABLE + "features: [a, a]"), PRF, 12, "spec.features",
         "only once"),
    Case("engine-args-list", prf(DEPLOYABLE + "engineArgs: [a]"), PRF, 12, "spec.engineArgs",
         "expected a mapping"),
    # --- CEL rules ---
    Case("aimid-without-sources", prf("aimId: a/b\nimage: i"), PRF, 6, "spec.aimId",
         "must both be set (deployable profile) or both be empty"),
    Case("sources-without-aimid",
         prf("image: i\nmodelSources: [{modelId: a/b, sourceUri: hf://a/b, size: 1Gi}]"), PRF, 7,
         "spec.modelSources", "must both be set"),
    Case("cpu-partitioned", prf(DEPLOYABLE + "acceleratorType: cpu\n"
                                "acceleratorPartitioningMode: CPX"), PRF, 13,
         "spec.acceleratorPartitioningMode", "must be 'unpartitioned' (or unset)"),
    Case("overrides-need-profile", svc("profileOverrides: {engineEnv: {A: b}}"), SVC, 6,
         "spec.profileOverrides", "requires spec.profile"),
    Case("profile-required", svc("replicas: 1"), SVC, 5, "spec", "spec.profile is required"),
    Case("name-and-selector", svc("profile:\n  name: qwen\n  selector: {aimId: a/b}"), SVC, 8,
         "spec.profile.selector", "mutually exclusive"),
    Case("neither-name-nor-selector", svc("profile: {}"), SVC, 6, "spec.profile",
         "must set name or selector"),
    Case("selector-must-narrow", svc("profile:\n  selector: {metric: latency}"), SVC, 7,
         "spec.profile.selector", "must narrow on aimId"),
    Case("selector-role-base", svc("profile:\n  selector: {aimId: a/b, role: base}"), SVC, 7,
         "spec.profile.selector.role", "may only be omitted or set to deployable"),
    Case("partition-override-needs-count",
         svc("profile: {name: qwen}\nprofileOverrides: {acceleratorPartitioningMode: CPX}"), SVC,
         7, "spec.profileOverrides.acceleratorPartitioningMode",
         "acceleratorCount must be specified"),
    Case("min-greater-than-max", svc("profile: {name: qwen}\nminReplicas: 3\nmaxReplicas: 2"),
         SVC, 7, "spec.minReplicas", "must be less than or equal to maxReplicas"),
    Case("template-rejected", svc("profile: {name: qwen}\ntemplate: {name: t}"), SVC, 7,
         "spec.template", "not supported on v1alpha2"),
    Case("overrides-rejected", svc("profile: {name: qwen}\noverrides: {metric: latency}"), SVC,
         7, "spec.overrides", "use spec.profileOverrides"),
    # --- not implemented by aimsync ---
    Case("model-unsupported", svc("model: {name: qwen}"), SVC, 6, "spec.model",
         "not supported by aimsync"),
    Case("adapters-unsupported",
         svc("profile: {name: qwen}\nadapters: [{kind: AIMArtifact, name: a}]"), SVC, 7,
         "spec.adapters", "not supported by aimsync"),
    Case("adapter-mode-dynamic", svc("profile: {name: qwen}\nadapterMode: dynamic"), SVC, 7,
         "spec.adapterMode", "not supported by aimsync"),
    Case("adapter-runtime-unsupported", svc("profile: {name: qwen}\nadapterRuntime: {maxRank: 8}"),
         SVC, 7, "spec.adapterRuntime", "not supported by aimsync"),
    Case("runtime-config-unsupported", svc("profile: {name: qwen}\nruntimeConfigName: gpu"), SVC,
         7, "spec.runtimeConfigName", "not supported by aimsync"),
    Case("model-ref-unsupported",
         svc("profile:\n  selector: {aimId: a/b, modelRef: {name: m}}"), SVC, 7,
         "spec.profile.selector.modelRef", "not supported by aimsync"),
    # --- autoscaling (KEDA) ---
    Case("scale-to-zero-needs-routing", svc("profile: {name: qwen}\nminReplicas: 0"), SVC, 7,
         "spec.minReplicas", "RoutingRequiredForScaleToZero"),
    Case("scale-to-zero-routing-disabled",
         svc("profile: {name: qwen}\nminReplicas: 0\nrouting:\n  enabled: false\n"
             "  gatewayRef: {name: gw}\n" + METRICS), SVC, 7, "spec.minReplicas",
         "enable routing (spec.routing.enabled: true"),
    Case("bounds-need-metrics", svc("profile: {name: qwen}\nminReplicas: 1\nmaxReplicas: 3"),
         SVC, 7, "spec.minReplicas", "AutoscalingRequiresMetrics"),
    Case("max-replicas-needs-metrics", svc("profile: {name: qwen}\nmaxReplicas: 3"), SVC, 7,
         "spec.maxReplicas", "no scaling trigger resolves"),
    Case("autoscaling-without-metrics",
         svc("profile: {name: qwen}\nautoScaling: {pollingInterval: 5}"), SVC, 7,
         "spec.autoScaling", "add a metric under spec.autoScaling.metrics"),
    Case("autoscaling-empty", svc("profile: {name: qwen}\nautoScaling: {}"), SVC, 7,
         "spec.autoScaling", "spec.autoScaling must not be empty"),
    Case("autoscaling-polling-zero",
         svc("profile: {name: qwen}\nautoScaling: {pollingInterval: 0}"), SVC, 7,
         "spec.autoScaling.pollingInterval", "the minimum is 1"),
    Case("autoscaling-cooldown-negative",
         svc("profile: {name: qwen}\nautoScaling: {cooldownPeriod: -1}"), SVC, 7,
         "spec.autoScaling.cooldownPeriod", "the minimum is 0"),
    Case("metric-type-enum",
         svc("profile: {name: qwen}\nautoScaling:\n  metrics:\n    - type: Resource"), SVC, 9,
         "spec.autoScaling.metrics[0].type", "it must be 'PodMetric'"),
    Case("metric-without-podmetric",
         svc("profile: {name: qwen}\nautoScaling:\n  metrics:\n    - type: PodMetric"), SVC, 9,
         "spec.autoScaling.metrics[0]", "must set podmetric"),
    Case("metric-podmetric-camel-case",
         svc("profile: {name: qwen}\n" + METRICS.replace("podmetric:", "podMetric:")), SVC, 10,
         "spec.autoScaling.metrics[0].podMetric", "did you mean 'podmetric'?"),
    Case("metric-without-query",
         svc("profile: {name: qwen}\n" + METRICS.replace(
             'query: "vllm:num_requests_running"', "operationOverTime: avg")), SVC, 11,
         "spec.autoScaling.metrics[0].podmetric.metric", "must set query or metricNames"),
    Case("metric-query-empty",
         svc("profile: {name: qwen}\n" + METRICS.replace('"vllm:num_requests_running"', '""')),
         SVC, 12, "spec.autoScaling.metrics[0].podmetric.metric.query",
         "gives the scaler nothing to query"),
    Case("metric-names-empty-name",
         svc("profile: {name: qwen}\n" + METRICS.replace(
             'query: "vllm:num_requests_running"', 'metricNames: [""]')), SVC, 12,
         "spec.autoScaling.metrics[0].podmetric.metric.metricNames",
         "no first metricNames entry"),
    Case("metric-backend-enum",
         svc("profile: {name: qwen}\n" + METRICS.replace(
             "    metric:\n", "    metric:\n          backend: prometheus\n")), SVC, 12,
         "spec.autoScaling.metrics[0].podmetric.metric.backend", "must be 'opentelemetry'"),
    Case("metric-target-missing",
         svc("profile: {name: qwen}\n" + METRICS.split("        target")[0]), SVC, 10,
         "spec.autoScaling.metrics[0].podmetric.target", "required field 'target' is missing"),
    Case("metric-target-type-enum",
         svc("profile: {name: qwen}\n" + METRICS.replace("type: Value", "type: Percent")), SVC,
         14, "spec.autoScaling.metrics[0].podmetric.target.type", "allowed values: Value"),
    Case("metric-target-value-missing",
         svc("profile: {name: qwen}\n" + METRICS.replace('value: "1"', "averageValue: '2'")),
         SVC, 13, "spec.autoScaling.metrics[0].podmetric.target",
         "target type Value requires target.value"),
    Case("metric-target-utilization-missing",
         svc("profile: {name: qwen}\n" + METRICS.replace("type: Value", "type: Utilization")),
         SVC, 13, "spec.autoScaling.metrics[0].podmetric.target",
         "target type Utilization requires target.averageUtilization"),
    Case("routing-without-gateway", svc("profile: {name: qwen}\nrouting: {enabled: true}"), SVC, 7,
         "spec.routing.enabled", "gatewayRef is not set"),
    Case("request-timeout-format",
         svc("profile: {name: qwen}\nrouting:\n  gatewayRef: {name: gw}\n  requestTimeout: 2 min"),
         SVC, 9, "spec.routing.requestTimeout", "not a Gateway API duration"),
    Case("source-size-zero",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - modelId: a/b\n    sourceUri: hf://a/b\n"
             "    size: 0"), PRF, 11, "spec.modelSources[0].size", "size 0 is not above zero"),
    Case("source-size-negative",
         prf("aimId: a/b\nimage: i\nmodelSources:\n  - modelId: a/b\n    sourceUri: hf://a/b\n"
             "    size: -10Gi"), PRF, 11, "spec.modelSources[0].size", "is not above zero"),
    Case("replicas-negative", svc("profile: {name: qwen}\nreplicas: -1"), SVC, 7,
         "spec.replicas", "replicas -1 is below zero"),
    Case("cluster-profile-caching", prf(DEPLOYABLE + "caching: {enabled: true}",
                                        kind="AIMClusterProfile"),
         "cluster/profiles/p.yaml", 12, "spec.caching", "AIMClusterProfile has no caching"),
    # --- warnings ---
    Case("cache-model-deprecated", svc("profile: {name: qwen}\ncacheModel: true"), SVC, 7,
         "spec.cacheModel", "deprecated", Severity.WARNING),
    Case("replicas-ignored-with-bounds",
         svc("profile: {name: qwen}\nreplicas: 2\nminReplicas: 1\nmaxReplicas: 3\n" + METRICS),
         SVC, 7, "spec.replicas", "replicas is ignored", Severity.WARNING),
    Case("replicas-ignored-with-autoscaling",
         svc("profile: {name: qwen}\nreplicas: 2\n" + METRICS), SVC, 7, "spec.replicas",
         "replicas is ignored", Severity.WARNING),
    Case("autoscaling-target-not-a-quantity",
         svc("profile: {name: qwen}\nminReplicas: 1\n" + METRICS.replace('"1"', "one")), SVC,
         16, "spec.autoScaling.metrics[0].podmetric.target.value",
         "'one' is not a Kubernetes quantity", Severity.WARNING),
    Case("adapter-disk-no-effect",
         svc("profile: {name: qwen}\nstorage: {adapterDiskSize: 10Gi}"), SVC, 7,
         "spec.storage.adapterDiskSize", "no effect", Severity.WARNING),
    Case("status-ignored", {CLP: CLUSTER_PROFILE, SVC: service("profile: {name: qwen}")
                            + "status: {status: Running}\n"}, SVC, 7, "status",
         "status is ignored", Severity.WARNING),
    Case("server-set-metadata",
         svc("profile: {name: qwen}", metadata="  uid: abc\n"), SVC, 5, "metadata.uid",
         "set by the API server", Severity.WARNING),
    Case("selector-matches-nothing", svc("profile:\n  selector: {aimId: other/model}"), SVC, 7,
         "spec.profile.selector", "matches no deployable", Severity.WARNING),
    Case("selector-only-manual-profiles",
         {CLP: CLUSTER_PROFILE.replace("  type: optimized\n",
                                       "  type: optimized\n  manualSelectionOnly: true\n"),
          SVC: service("profile:\n  selector: {aimId: qwen/qwen3-32b}")}, SVC, 7,
         "spec.profile.selector", "matches no deployable AIMProfile", Severity.WARNING),
    # --- metadata ---
    Case("name-uppercase", svc("profile: {name: qwen}", name="Chat"), SVC, 4, "metadata.name",
         "lowercase letters, digits and '-'"),
    Case("service-name-starts-with-digit", svc("profile: {name: qwen}", name="1chat"), SVC, 4,
         "metadata.name", "must start with a lowercase letter"),
    Case("name-too-long", svc("profile: {name: qwen}", name="a" * 64), SVC, 4, "metadata.name",
         "at most 63 allowed"),
    Case("label-key-two-slashes",
         svc("profile: {name: qwen}", metadata="  labels:\n    a/b/c: x\n"), SVC, 6,
         "metadata.labels.a/b/c", "more than one '/'"),
    Case("label-value-invalid",
         svc("profile: {name: qwen}", metadata="  labels:\n    team: 'a b'\n"), SVC, 6,
         "metadata.labels.team", "label value 'a b'"),
    Case("annotation-key-invalid",
         svc("profile: {name: qwen}", metadata="  annotations:\n    'bad key': x\n"), SVC, 6,
         "metadata.annotations.bad key", "invalid annotation"),
    Case("metadata-unknown-field",
         svc("profile: {name: qwen}", metadata="  generateName: chat-\n"), SVC, 5,
         "metadata.generateName", "allowed fields here: annotations, labels, name, namespace"),
    # --- cross references ---
    Case("profile-not-found", svc("profile: {name: qwne}"), SVC, 6, "spec.profile.name",
         "did you mean 'qwen'?"),
    Case("base-profile-by-name",
         {CLP: CLUSTER_PROFILE, "cluster/profiles/base.yaml":
          profile("image: i", name="base", kind="AIMClusterProfile"),
          SVC: service("profile: {name: base}")}, SVC, 6, "spec.profile.name",
         "is a base profile"),
    Case("cache-profile-not-found-namespace",
         {CLP: CLUSTER_PROFILE, "namespaces/team/caches/c.yaml": profile(
             "profileName: qwen\nprofileScope: Namespace", name="c", kind="AIMProfileCache")},
         "namespaces/team/caches/c.yaml", 6, "spec.profileName",
         "no AIMProfile in namespace team named 'qwen'"),
    Case("cache-profile-not-found-cluster",
         {"namespaces/team/caches/c.yaml": profile(
             "profileName: qwen\nprofileScope: Cluster", name="c", kind="AIMProfileCache")},
         "namespaces/team/caches/c.yaml", 6, "spec.profileName", "no AIMClusterProfile"),
    Case("namespace-too-long-for-isvc",
         {CLP: CLUSTER_PROFILE, f"namespaces/{'n' * 43}/services/chat.yaml":
          service("profile: {name: qwen}")}, f"namespaces/{'n' * 43}/services/chat.yaml", 3,
         "metadata.namespace", "namespaces may have at most 42 characters"),
    Case("caching-without-sources",
         prf("image: i\ncaching: {enabled: true}"), PRF, 7, "spec.caching.enabled", "no effect",
         Severity.WARNING),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_reports_exact_location(case: Case, tmp_path: Path) -> None:
    result = validate_files(tmp_path, dict(case.files))
    matching = [
        f
        for f in result.findings.sorted()
        if f.field == case.field and f.location.path == case.file
    ]
    assert matching, f"no finding on {case.field}: {result.findings.sorted()}"
    finding = matching[0]
    assert finding.severity is case.severity
    assert finding.location.line == case.line, finding
    assert case.fragment in finding.message, finding.message
    if case.severity is Severity.WARNING:
        assert not result.findings.has_errors, result.findings.errors


VALID = {
    "by-name": service("profile: {name: qwen}"),
    "by-selector": service("profile:\n  selector: {aimId: qwen/qwen3-32b, metric: latency}"),
    "legacy-caching-modes": service("profile: {name: qwen}\ncaching: {mode: Never}"),
    "bounds": service("profile: {name: qwen}\nminReplicas: 1\nmaxReplicas: 3\n" + METRICS),
    "autoscaling-only": service("profile: {name: qwen}\n" + METRICS),
    "scale-to-zero": service(
        "profile: {name: qwen}\nminReplicas: 0\nmaxReplicas: 4\nrouting:\n  enabled: true\n"
        "  gatewayRef: {name: gw}\n" + METRICS
    ),
    "scale-to-zero-gateway-trigger-only": service(
        "profile: {name: qwen}\nminReplicas: 0\nrouting:\n  enabled: true\n"
        "  gatewayRef: {name: gw}\nautoScaling: {pollingInterval: 10, cooldownPeriod: 0}"
    ),
    "metric-names-and-average-value": service(
        "profile: {name: qwen}\nminReplicas: 1\n" + METRICS.replace(
            'query: "vllm:num_requests_running"', "metricNames: [vllm:num_requests_waiting]"
        ).replace('type: Value\n          value: "1"', "type: AverageValue\n"
                  "          averageValue: 500m")
    ),
    "routing": service(
        "profile: {name: qwen}\nrouting:\n  enabled: true\n  gatewayRef: {name: gw}\n"
        "  requestTimeout: 1m30s"
    ),
    "env-from-secret": service(
        "profile: {name: qwen}\nenv:\n  - name: A\n    valueFrom: {secretKeyRef: {name: s, key: k}}"
    ),
    "quantities": service(
        "profile: {name: qwen}\nresources:\n  requests: {cpu: 500m, memory: 1.5Gi, amd.com/gpu: 1}"
    ),
    "overrides": service(
        "profile: {name: qwen}\nprofileOverrides:\n  acceleratorPartitioningMode: CPX\n"
        "  acceleratorCount: 8\n  engineArgs: {max-model-len: 8192}"
    ),
    "runtime-config-default": service("profile: {name: qwen}\nruntimeConfigName: default"),
    "adapter-mode-static": service("profile: {name: qwen}\nadapterMode: static"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_service_has_no_findings(name: str, tmp_path: Path) -> None:
    result = validate_files(tmp_path, {CLP: CLUSTER_PROFILE, SVC: VALID[name]})
    assert result.findings.sorted() == []
    assert list(result.specs.services) == [("team", "chat")]


def test_defaults_are_applied(tmp_path: Path) -> None:
    result = validate_files(
        tmp_path,
        {
            CLP: CLUSTER_PROFILE,
            SVC: service("profile: {name: qwen}\ncaching: {mode: Always}"),
            "namespaces/team/caches/c.yaml": profile(
                "profileName: qwen\nprofileScope: Cluster", name="c", kind="AIMProfileCache"
            ),
        },
    )
    assert result.ok
    chat = result.specs.services[("team", "chat")].obj.spec
    assert chat.replicas == 1
    assert chat.caching_mode == "Shared"  # legacy Always means Shared
    assert result.specs.cluster_profiles["qwen"].obj.spec.primary is False
    assert result.specs.caches[("team", "c")].obj.spec.mode == "Shared"


def test_default_cache_size_setting_allows_sources_without_size(tmp_path: Path) -> None:
    files = prf("aimId: a/b\nimage: i\nmodelSources:\n  - {modelId: a/b, sourceUri: hf://a/b}")
    files["aimsync.yaml"] = "defaultCacheSize: 100Gi\n"
    assert validate_files(tmp_path, files).ok


def test_reference_to_an_invalid_profile_is_not_reported_twice(tmp_path: Path) -> None:
    broken = CLUSTER_PROFILE.replace("metric: latency", "metric: fast")
    result = validate_files(tmp_path, {CLP: broken, SVC: service("profile: {name: qwen}")})
    assert [f.field for f in result.findings.errors] == ["spec.metric"]


def test_annotations_over_256_kib_in_total_are_refused(tmp_path: Path) -> None:
    big = "x" * (140 * 1024)
    metadata = f"  annotations:\n    a: {big}\n    b: {big}\n"
    result = validate_files(
        tmp_path, {CLP: CLUSTER_PROFILE, SVC: service("profile: {name: qwen}", metadata=metadata)}
    )
    (finding,) = [f for f in result.findings.errors if f.field == "metadata.annotations"]
    assert "Kubernetes allows at most 262144" in finding.message
    assert finding.location.line == 5


def test_a_validation_message_never_echoes_the_value_of_a_credential(tmp_path: Path) -> None:
    spec = DEPLOYABLE + "engineEnv:\n  HF_TOKEN: 123456789012345\n"
    result = validate_files(tmp_path, {CLP: CLUSTER_PROFILE, PRF: profile(spec)})
    (error,) = result.findings.errors
    assert error.field == "spec.engineEnv.HF_TOKEN"
    assert "123456789012345" not in error.message
    assert "not shown" in error.message


def test_a_validation_message_never_echoes_an_env_entry_of_a_credential(tmp_path: Path) -> None:
    files = svc("profile: {name: qwen}\nenv:\n  - {name: OPENAI_KEY, value: 424242424242}")
    (error,) = validate_files(tmp_path, files).findings.errors
    assert "424242424242" not in error.message


@pytest.mark.parametrize(("setting", "field", "fragment"), [
    ("defaultCacheSize: -5Gi", "defaultCacheSize", "-5Gi is not above zero"),
    ("defaultCacheSize: 0", "defaultCacheSize", "0 is not above zero"),
    ("reclaimFromManagers: ['']", "reclaimFromManagers[0]", "must not be empty"),
])
def test_settings_that_make_no_sense_are_located_errors(
    tmp_path: Path, setting: str, field: str, fragment: str
) -> None:
    result = validate_files(tmp_path, {"aimsync.yaml": setting + "\n", CLP: CLUSTER_PROFILE})
    (error,) = result.findings.errors
    assert (error.location.path, error.location.line, error.field) == ("aimsync.yaml", 1, field)
    assert fragment in error.message


def test_services_whose_derived_objects_would_collide_are_refused_at_both(
    tmp_path: Path
) -> None:
    """The HTTPRoute name is hashed on the namespace only (e837778): two long service names
    that agree on their first 54 characters would derive one route."""
    routed = "profile: {name: qwen}\nrouting: {enabled: true, gatewayRef: {name: gw}}"
    first, second = "a" * 54 + "-one", "a" * 54 + "-two"
    files = {
        CLP: CLUSTER_PROFILE,
        f"namespaces/team/services/{first}.yaml": service(routed, name=first),
        f"namespaces/team/services/{second}.yaml": service(routed, name=second),
    }
    errors = [f for f in validate_files(tmp_path, files).findings.errors
              if f.rule == "ref.derived-name-collision"]
    assert sorted(e.location.path for e in errors) == sorted(
        [f"namespaces/team/services/{first}.yaml", f"namespaces/team/services/{second}.yaml"]
    )
    assert all("derives HTTPRoute team/" in e.message for e in errors)


def test_services_in_a_long_namespace_derive_distinct_objects(tmp_path: Path) -> None:
    namespace = "qa-another-long-project-name-that-is-max"
    files = {CLP: CLUSTER_PROFILE}
    for name in ("wb-aim-c4b421e5", "wb-aim-7adf99e9"):
        files[f"namespaces/{namespace}/services/{name}.yaml"] = service(
            "profile: {name: qwen}", name=name
        )
    result = validate_files(tmp_path, files)
    assert not result.findings.errors
