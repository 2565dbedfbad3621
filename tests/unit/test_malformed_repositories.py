"""Table-driven tests: broken repositories and the findings `aimsync validate` reports for them.

Every case starts from a minimal valid repository (one cluster profile and one service that
names it), breaks one thing, and checks that the command line exits 2 and reports the problem
at the right file, line and field, with a message that says what is wrong or what is allowed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aimsync.cli import cli

PROFILE_FILE = "cluster/profiles/qwen-fp8.yaml"
SERVICE_FILE = "namespaces/team/services/chat.yaml"
CACHE_FILE = "namespaces/team/caches/warm.yaml"

# Line numbers used by the cases below are those of these two texts.
PROFILE = """\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMClusterProfile
metadata:
  name: qwen-fp8
spec:
  aimId: qwen/qwen3-32b
  image: docker.io/amd/aim-qwen:0.8.5
  acceleratorType: gpu
  acceleratorModel: MI300X
  acceleratorCount: 1
  modelSources:
    - modelId: qwen/qwen3-32b-fp8
      sourceUri: hf://Qwen/Qwen3-32B-FP8
      size: 35Gi
"""

SERVICE = """\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMService
metadata:
  name: chat
spec:
  profile:
    name: qwen-fp8
  replicas: 1
"""

CACHE = """\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMProfileCache
metadata:
  name: warm
spec:
  profileName: qwen-fp8
  profileScope: Cluster
"""


@dataclass(frozen=True)
class Link:
    """A symbolic link; `{outside}` in the target stands for a folder beside the repository."""

    target: str


FileContent = str | bytes | Link


@dataclass(frozen=True)
class Expect:
    file: str
    line: int
    field: str
    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, FileContent]
    expect: tuple[Expect, ...]
    # Rules that must not be reported (follow-on errors of the one broken thing).
    absent_rules: tuple[str, ...] = ()


def edit(text: str, old: str, new: str) -> str:
    assert old in text, f"test setup: {old!r} not in text"
    return text.replace(old, new, 1)


def repo(
    profile: FileContent = PROFILE, service: FileContent = SERVICE, **more: FileContent
) -> dict[str, FileContent]:
    """The base repository (profile + service), with parts replaced or files added."""
    files: dict[str, FileContent] = {PROFILE_FILE: profile, SERVICE_FILE: service}
    files.update({_path(name): content for name, content in more.items()})
    return files


def _path(name: str) -> str:
    """Keyword names stand for paths: `namespaces__team__x_yaml` is namespaces/team/x.yaml."""
    path = name.replace("__", "/")
    return path[: -len("_yaml")] + ".yaml" if path.endswith("_yaml") else path


def svc(old: str, new: str) -> dict[str, FileContent]:
    """The base repository with one edit to the service."""
    return repo(service=edit(SERVICE, old, new))


def prof(old: str, new: str) -> dict[str, FileContent]:
    """The base repository with one edit to the cluster profile."""
    return repo(profile=edit(PROFILE, old, new))


def svc_plus(text: str) -> dict[str, FileContent]:
    """The base repository with lines appended to the service's spec (from line 9)."""
    return repo(service=SERVICE + text)


def at_service(line: int, field: str, *fragments: str) -> Expect:
    return Expect(SERVICE_FILE, line, field, fragments)


def at_profile(line: int, field: str, *fragments: str) -> Expect:
    return Expect(PROFILE_FILE, line, field, fragments)


def case(
    id: str,
    files: dict[str, FileContent],
    *expect: Expect,
    absent_rules: tuple[str, ...] = (),
) -> Case:
    return Case(id, files, expect, absent_rules)


def _alias_bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _deep_block_service() -> str:
    head = edit(SERVICE, "  replicas: 1\n", "")
    nested = "".join("  " * (i + 2) + f"k{i}:\n" for i in range(70)) + "  " * 72 + "v: 1\n"
    # lines 1-7 are the service without replicas; engineArgs below profileOverrides.
    return (
        head
        + "  profileOverrides:\n    engineArgs:\n"
        + "".join("  " + line + "\n" for line in nested.splitlines())
    )


NO_MODEL_SOURCES = PROFILE.split("  modelSources:")[0]  # 10 lines: aimId, no modelSources
BASE_PROFILE = edit(NO_MODEL_SOURCES, "  aimId: qwen/qwen3-32b\n", "")
LONG_NAMESPACE = "n" * 43

CASES: list[Case] = [
    # -- YAML syntax ---------------------------------------------------------------------
    case(
        "yaml-unclosed-flow-sequence",
        svc("replicas: 1", "replicas: [1"),
        at_service(9, "", "YAML syntax error", "flow sequence"),
    ),
    case(
        "yaml-bad-indentation",
        svc("  replicas: 1", "   replicas: 1"),
        at_service(8, "", "YAML syntax error"),
    ),
    case(
        "yaml-tab-indentation",
        svc("  replicas: 1", "\treplicas: 1"),
        at_service(8, "", "tab character"),
    ),
    case(
        "yaml-duplicate-key",
        svc_plus("  replicas: 2\n"),
        at_service(9, "", "duplicate key 'replicas'", "first at line 8"),
    ),
    case(
        "yaml-python-object-tag",
        svc("replicas: 1", "replicas: !!python/object:os.system 1"),
        at_service(8, "spec.replicas", "unsupported YAML tag", "python/object"),
    ),
    case(
        "yaml-custom-ref-tag",
        svc("name: qwen-fp8", "name: !Ref qwen-fp8"),
        at_service(7, "spec.profile.name", "unsupported YAML tag", "!Ref"),
    ),
    case(
        "yaml-recursive-alias",
        svc("  replicas: 1\n", "  env: &a\n    - *a\n"),
        at_service(9, "", "recursive alias *a"),
    ),
    case(
        "yaml-alias-bomb",
        repo(namespaces__team__bomb_yaml=_alias_bomb()),
        Expect("namespaces/team/bomb.yaml", 5, "", ("alias bomb", "50000")),
    ),
    case(
        "yaml-deep-flow-nesting",
        repo(namespaces__team__deep_yaml="x: " + "[" * 70 + "]" * 70 + "\n"),
        Expect("namespaces/team/deep.yaml", 1, "", ("deeper than 64 levels",)),
    ),
    case(
        "yaml-deep-block-nesting",
        repo(service=_deep_block_service()),
        # Levels: the document (line 1), spec (6), profileOverrides (9), engineArgs (10),
        # then the mapping under k<i> (line 11 + i) is level 5 + i: level 65 is on line 71.
        at_service(71, "", "deeper than 64 levels"),
    ),
    case(
        "yaml-nan",
        svc("replicas: 1", "replicas: .nan"),
        at_service(8, "spec.replicas", "NaN", "JSON"),
    ),
    case(
        "yaml-negative-infinity",
        svc("replicas: 1", "replicas: -.inf"),
        at_service(8, "spec.replicas", "infinity", "JSON"),
    ),
    case(
        # 1e400 overflows to inf: it must be refused like .inf, not slip into engineArgs.
        "yaml-float-overflow-is-infinity",
        prof("  acceleratorCount: 1\n", "  acceleratorCount: 1\n  engineArgs:\n    x: 1e400\n"),
        at_profile(12, "spec.engineArgs.x", "JSON"),
    ),
    case(
        # Python refuses int("9" * 5000); the reader must report it, not crash.
        "yaml-integer-with-5000-digits",
        svc("replicas: 1", "replicas: " + "9" * 5000),
        at_service(8, "spec.replicas", "number"),
    ),
    case(
        "yaml-control-character",
        svc("name: chat", "name: ch\x07at"),
        at_service(4, "", "control character"),
    ),
    case(
        # YAML 1.2 has two line breaks (LF, CR); a U+2028 pasted into a string must not
        # shift the line of every later finding (editors show replicas on line 10).
        "yaml-unicode-line-separator-keeps-line-numbers",
        repo(
            service=edit(
                edit(
                    SERVICE,
                    "  name: chat\n",
                    '  name: chat\n  annotations:\n    note: "a\u2028b"\n',
                ),
                "replicas: 1",
                "replicas: x",
            )
        ),
        at_service(10, "spec.replicas", "expected a whole number"),
    ),
    case(
        "yaml-merge-key-not-mapping",
        svc("  replicas: 1\n", "  <<: 5\n"),
        at_service(8, "", "merge key (<<) must refer to a mapping"),
    ),
    # -- encoding ------------------------------------------------------------------------
    case(
        "encoding-latin-1",
        repo(service=edit(SERVICE, "name: chat", "name: ch\u00e4t").encode("latin-1")),
        at_service(4, "", "not UTF-8", "0xe4", "save it as UTF-8"),
    ),
    case(
        "encoding-utf-16-with-bom",
        repo(service=SERVICE.encode("utf-16")),
        at_service(1, "", "not UTF-8"),
    ),
    case(
        # Without a BOM, UTF-16 text decodes as UTF-8 with NUL bytes: the message must still
        # say that the file is not UTF-8, not talk about control characters.
        "encoding-utf-16-le-without-bom",
        repo(service=SERVICE.encode("utf-16-le")),
        at_service(1, "", "UTF-8"),
    ),
    case(
        "encoding-utf-8-bom-keeps-line-numbers",
        repo(service=b"\xef\xbb\xbf" + edit(SERVICE, "replicas: 1", "replicas: x").encode()),
        at_service(8, "spec.replicas", "expected a whole number", "'x'"),
    ),
    # -- limits --------------------------------------------------------------------------
    case(
        "limits-max-file-bytes-setting",
        repo(
            aimsync_yaml="limits: {maxFileBytes: 1024}\n",
            namespaces__team__services__big_yaml=edit(SERVICE, "name: chat", "name: big")
            + "# "
            + "x" * 2000
            + "\n",
        ),
        Expect(
            "namespaces/team/services/big.yaml",
            1,
            "",
            ("at most 1024 bytes", "limits.maxFileBytes"),
        ),
    ),
    case(
        "limits-file-over-1-mib",
        repo(
            namespaces__team__services__big_yaml=edit(SERVICE, "name: chat", "name: big")
            + "#"
            + "x" * (1024 * 1024)
            + "\n"
        ),
        Expect("namespaces/team/services/big.yaml", 1, "", ("at most 1048576 bytes",)),
    ),
    case(
        "limits-too-many-documents",
        repo(namespaces__team__many_yaml="---\n" * 1001),
        Expect("namespaces/team/many.yaml", 1001, "", ("more than 1000 documents",)),
    ),
    case(
        "limits-max-files-setting",
        repo(aimsync_yaml="limits: {maxFiles: 1}\n"),
        at_service(1, "", "more than 1 spec files", "limits.maxFiles"),
    ),
    # -- structure -----------------------------------------------------------------------
    case(
        "structure-list-document",
        repo(service="- a\n- b\n"),
        at_service(1, "", "must be a mapping", "found a list"),
    ),
    case(
        "structure-scalar-document",
        repo(service="just a string\n"),
        at_service(1, "", "must be a mapping", "the string 'just a string'"),
    ),
    case(
        "structure-missing-apiversion",
        svc("apiVersion: aim.eai.amd.com/v1alpha2\n", ""),
        at_service(1, "apiVersion", "required field 'apiVersion' is missing"),
    ),
    case(
        "structure-missing-kind",
        svc("kind: AIMService\n", ""),
        at_service(1, "kind", "required field 'kind' is missing"),
    ),
    case(
        "structure-missing-metadata",
        svc("metadata:\n  name: chat\n", ""),
        at_service(1, "metadata", "metadata is missing", "name"),
    ),
    case(
        "structure-missing-metadata-name",
        svc("  name: chat\n", "  labels: {app: chat}\n"),
        at_service(3, "metadata.name", "metadata.name is missing"),
    ),
    case(
        "structure-metadata-name-not-a-string",
        svc("name: chat", "name: 42"),
        at_service(4, "metadata.name", "non-empty string", "the number 42"),
    ),
    case(
        "structure-unknown-kind-with-suggestion",
        svc("kind: AIMService", "kind: AIMServise"),
        at_service(2, "kind", "unknown kind 'AIMServise'", "did you mean AIMService?"),
    ),
    case(
        "structure-aimmodel-kind",
        svc("kind: AIMService", "kind: AIMModel"),
        at_service(2, "kind", "AIMModel is not supported", "AIMProfile"),
    ),
    case(
        "structure-v1alpha1-apiversion",
        svc("v1alpha2", "v1alpha1"),
        at_service(1, "apiVersion", "v1alpha1 is not supported", "aim.eai.amd.com/v1alpha2"),
    ),
    case(
        "structure-wrong-group",
        svc("aim.eai.amd.com/v1alpha2", "apps/v1"),
        at_service(1, "apiVersion", "'apps/v1' does not serve AIMService"),
    ),
    case(
        "structure-namespace-missing",
        {PROFILE_FILE: PROFILE, "services/chat.yaml": SERVICE},
        Expect("services/chat.yaml", 3, "metadata.namespace", ("has no namespace",)),
    ),
    case(
        "structure-namespace-contradicts-folder",
        svc("  name: chat\n", "  name: chat\n  namespace: other\n"),
        at_service(5, "metadata.namespace", "'other'", "namespaces/team/"),
    ),
    case(
        # The profile exists but is refused: the service must not also be told that no
        # profile of that name is defined.
        "structure-cluster-profile-with-namespace",
        prof("  name: qwen-fp8\n", "  name: qwen-fp8\n  namespace: team\n"),
        at_profile(5, "metadata.namespace", "cluster-scoped", "remove metadata.namespace"),
        absent_rules=("ref.profile-not-found",),
    ),
    case(
        "structure-duplicate-across-files",
        repo(namespaces__team__services__chat2_yaml="# a copy\n" + SERVICE),
        at_service(4, "metadata.name", "defined twice", "chat2.yaml:5"),
        Expect(
            "namespaces/team/services/chat2.yaml",
            5,
            "metadata.name",
            ("defined twice", "chat.yaml:4"),
        ),
    ),
    case(
        "structure-duplicate-in-one-file",
        repo(service="---\n" + SERVICE + "---\n" + SERVICE),
        at_service(5, "metadata.name", "defined twice", "chat.yaml:14"),
        at_service(14, "metadata.name", "defined twice", "chat.yaml:5"),
    ),
    # -- types ---------------------------------------------------------------------------
    case(
        "types-string-for-int",
        svc("replicas: 1", 'replicas: "2"'),
        at_service(8, "spec.replicas", "expected a whole number", "the string '2'"),
    ),
    case(
        "types-int-for-string",
        prof("image: docker.io/amd/aim-qwen:0.8.5", "image: 42"),
        at_profile(7, "spec.image", "expected a string", "the number 42", "quote it"),
    ),
    case(
        "types-yes-for-bool",
        prof("  acceleratorCount: 1\n", "  acceleratorCount: 1\n  manualSelectionOnly: yes\n"),
        at_profile(11, "spec.manualSelectionOnly", "expected a boolean", "YAML 1.2"),
    ),
    case(
        "types-list-for-mapping",
        svc_plus("  routing:\n    - enabled\n"),
        at_service(9, "spec.routing", "expected a mapping", "got a list"),
    ),
    case(
        "types-bool-for-quantity",
        prof("size: 35Gi", "size: true"),
        at_profile(14, "spec.modelSources[0].size", "Kubernetes quantity", "10Gi"),
    ),
    case(
        "types-string-for-list",
        svc_plus("  env: LOG_LEVEL=info\n"),
        at_service(9, "spec.env", "expected a list", "the string"),
    ),
    # -- enums ---------------------------------------------------------------------------
    case(
        "enum-metric",
        prof("  acceleratorCount: 1\n", "  acceleratorCount: 1\n  metric: fast\n"),
        at_profile(11, "spec.metric", "'fast' is not allowed", "latency, throughput"),
    ),
    case(
        "enum-profile-precision-auto",
        prof("  acceleratorCount: 1\n", "  acceleratorCount: 1\n  precision: auto\n"),
        at_profile(11, "spec.precision", "'auto' is not allowed", "fp8", "bf16"),
    ),
    case(
        "enum-caching-mode",
        svc_plus("  caching:\n    mode: shared\n"),
        at_service(10, "spec.caching.mode", "'shared' is not allowed", "did you mean 'Shared'"),
    ),
    case(
        "enum-accelerator-type",
        prof("acceleratorType: gpu", "acceleratorType: npu"),
        at_profile(8, "spec.acceleratorType", "'npu' is not allowed", "gpu, cpu"),
    ),
    case(
        "enum-cache-profile-scope",
        repo(namespaces__team__caches__warm_yaml=edit(CACHE, "Cluster", "cluster")),
        Expect(CACHE_FILE, 7, "spec.profileScope", ("did you mean 'Cluster'",)),
    ),
    # -- patterns ------------------------------------------------------------------------
    case(
        "pattern-model-id",
        prof("- modelId: qwen/qwen3-32b-fp8", "- modelId: qwen3-32b-fp8"),
        at_profile(12, "spec.modelSources[0].modelId", "'qwen3-32b-fp8'", "{org}/{name}"),
    ),
    case(
        "pattern-source-uri-with-space",
        prof("sourceUri: hf://Qwen/Qwen3-32B-FP8", "sourceUri: hf://Qwen/Qwen3 32B"),
        at_profile(13, "spec.modelSources[0].sourceUri", "hf:// or s3://", "without spaces"),
    ),
    case(
        "pattern-source-uri-http",
        prof("sourceUri: hf://Qwen/Qwen3-32B-FP8", "sourceUri: http://example.com/qwen"),
        at_profile(13, "spec.modelSources[0].sourceUri", "'http://example.com/qwen'", "hf://"),
    ),
    case(
        "pattern-accelerator-model",
        prof("acceleratorModel: MI300X", "acceleratorModel: MI300X!"),
        at_profile(9, "spec.acceleratorModel", "'MI300X!'", "letters, digits"),
    ),
    case(
        "pattern-metadata-name-uppercase",
        svc("name: chat", "name: Chat"),
        at_service(4, "metadata.name", "'Chat'", "lowercase"),
    ),
    case(
        "pattern-label-key-two-slashes",
        prof("  name: qwen-fp8\n", "  name: qwen-fp8\n  labels:\n    a/b/c: x\n"),
        at_profile(6, "metadata.labels.a/b/c", "'a/b/c'", "more than one '/'"),
    ),
    case(
        "pattern-label-value",
        prof("  name: qwen-fp8\n", "  name: qwen-fp8\n  labels:\n    team: bad value!\n"),
        at_profile(6, "metadata.labels.team", "label value 'bad value!'", "at most 63"),
    ),
    # -- bounds --------------------------------------------------------------------------
    case(
        "bounds-accelerator-count-negative",
        prof("acceleratorCount: 1", "acceleratorCount: -1"),
        at_profile(10, "spec.acceleratorCount", "-1 is too small", "minimum is 0"),
    ),
    case(
        "bounds-max-replicas-zero",
        svc("  replicas: 1\n", "  maxReplicas: 0\n"),
        at_service(8, "spec.maxReplicas", "0 is too small", "minimum is 1"),
    ),
    case(
        "bounds-replicas-over-int32",
        svc("replicas: 1", "replicas: 2147483648"),
        at_service(8, "spec.replicas", "too large", "maximum is 2147483647"),
    ),
    case(
        "bounds-pvc-headroom-negative",
        svc("  replicas: 1\n", "  storage:\n    pvcHeadroomPercent: -1\n"),
        at_service(9, "spec.storage.pvcHeadroomPercent", "-1 is too small", "minimum is 0"),
    ),
    case(
        "bounds-string-too-long",
        prof("acceleratorModel: MI300X", "acceleratorModel: " + "M" * 64),
        at_profile(9, "spec.acceleratorModel", "64 characters long", "at most 63"),
    ),
    case(
        "bounds-name-too-long",
        svc("name: chat", "name: " + "c" * 64),
        at_service(4, "metadata.name", "64 characters long", "at most 63"),
    ),
    # -- unknown fields ------------------------------------------------------------------
    case(
        "unknown-field-spec",
        svc("replicas: 1", "replica: 1"),
        at_service(8, "spec.replica", "unknown field 'replica'", "did you mean 'replicas'"),
    ),
    case(
        "unknown-field-known-mistake",
        prof("sourceUri:", "sourceURI:"),
        at_profile(
            13, "spec.modelSources[0].sourceURI", "did you mean 'sourceUri'", "allowed fields"
        ),
    ),
    case(
        "unknown-field-metadata",
        svc("  name: chat\n", "  name: chat\n  lables: {a: b}\n"),
        at_service(5, "metadata.lables", "did you mean 'labels'", "annotations"),
    ),
    case(
        "unknown-field-top-level",
        svc("kind: AIMService\n", "kind: AIMService\nstatuss: {}\n"),
        at_service(3, "statuss", "did you mean 'status'"),
    ),
    case(
        "unknown-field-nested",
        svc("    name: qwen-fp8\n", "    nmae: qwen-fp8\n"),
        at_service(7, "spec.profile.nmae", "did you mean 'name'"),
    ),
    case(
        # pydantic tags union members with 'str', 'int', ... in error locations; a user key
        # of that name is still the key to point at.
        "unknown-field-named-like-a-type-tag",
        svc_plus("  str: 1\n"),
        at_service(9, "spec.str", "unknown field 'str'"),
    ),
    # -- CEL rules -----------------------------------------------------------------------
    case(
        "cel-aimid-without-model-sources",
        repo(profile=NO_MODEL_SOURCES),
        at_profile(6, "spec.aimId", "both be set", "base profile"),
    ),
    case(
        "cel-model-sources-without-aimid",
        prof("  aimId: qwen/qwen3-32b\n", ""),
        at_profile(10, "spec.modelSources", "both be set"),
    ),
    case(
        "cel-cpu-partitioned",
        repo(
            profile=edit(
                edit(PROFILE, "acceleratorType: gpu", "acceleratorType: cpu"),
                "  acceleratorCount: 1\n",
                "  acceleratorCount: 1\n  acceleratorPartitioningMode: CPX\n",
            )
        ),
        at_profile(11, "spec.acceleratorPartitioningMode", "'unpartitioned'", "cpu"),
    ),
    case(
        "cel-profile-overrides-without-profile",
        svc("  profile:\n    name: qwen-fp8\n", "  profileOverrides:\n    acceleratorCount: 2\n"),
        at_service(6, "spec.profileOverrides", "requires spec.profile"),
    ),
    case(
        "cel-neither-model-nor-profile",
        svc("  profile:\n    name: qwen-fp8\n", ""),
        at_service(5, "spec", "spec.profile is required"),
    ),
    case(
        "cel-profile-name-and-selector",
        svc(
            "    name: qwen-fp8\n",
            "    name: qwen-fp8\n    selector:\n      aimId: qwen/qwen3-32b\n",
        ),
        at_service(8, "spec.profile.selector", "mutually exclusive"),
    ),
    case(
        "cel-profile-empty",
        svc("  profile:\n    name: qwen-fp8\n", "  profile: {}\n"),
        at_service(6, "spec.profile", "must set name or selector"),
    ),
    case(
        "cel-selector-without-aimid",
        svc("    name: qwen-fp8\n", "    selector:\n      metric: latency\n"),
        at_service(7, "spec.profile.selector", "must narrow on aimId"),
    ),
    case(
        "cel-selector-role-base",
        svc(
            "    name: qwen-fp8\n",
            "    selector:\n      aimId: qwen/qwen3-32b\n      role: base\n",
        ),
        at_service(9, "spec.profile.selector.role", "deployable", "base is reserved"),
    ),
    case(
        "cel-partition-override-without-count",
        svc_plus("  profileOverrides:\n    acceleratorPartitioningMode: CPX\n"),
        at_service(
            10,
            "spec.profileOverrides.acceleratorPartitioningMode",
            "acceleratorCount must be specified",
        ),
    ),
    case(
        "cel-min-replicas-over-max",
        svc("  replicas: 1\n", "  minReplicas: 3\n  maxReplicas: 2\n"),
        at_service(8, "spec.minReplicas", "minReplicas (3)", "maxReplicas (2)"),
    ),
    case(
        "cel-template",
        svc_plus("  template:\n    name: old\n"),
        at_service(9, "spec.template", "not supported on v1alpha2", "spec.profile"),
    ),
    case(
        "cel-overrides",
        svc_plus("  overrides:\n    metric: latency\n"),
        at_service(9, "spec.overrides", "not supported on v1alpha2", "spec.profileOverrides"),
    ),
    # -- unsupported by aimsync ----------------------------------------------------------
    case(
        "unsupported-spec-model",
        svc_plus("  model:\n    name: qwen\n"),
        at_service(9, "spec.model", "not supported by aimsync", "spec.profile.name"),
    ),
    case(
        # The CRD refuses an empty model ("exactly one of name, image, or custom").
        "unsupported-spec-model-empty",
        svc_plus("  model: {}\n"),
        at_service(9, "spec.model"),
    ),
    case(
        "unsupported-adapters",
        svc_plus("  adapters:\n    - name: lora\n"),
        at_service(9, "spec.adapters", "not supported by aimsync", "LoRA"),
    ),
    case(
        "unsupported-adapter-mode-dynamic",
        svc_plus("  adapterMode: dynamic\n"),
        at_service(9, "spec.adapterMode", "dynamic is not supported", "static"),
    ),
    case(
        "cel-autoscaling-metric-without-podmetric",
        svc_plus("  autoScaling:\n    metrics:\n      - type: PodMetric\n"),
        at_service(11, "spec.autoScaling.metrics[0]", "must set podmetric"),
    ),
    case(
        # The CRD refuses an empty block, and the operator would switch to external
        # autoscaling for it: it cannot pass silently.
        "cel-autoscaling-empty",
        svc_plus("  autoScaling: {}\n"),
        at_service(9, "spec.autoScaling", "spec.autoScaling must not be empty"),
    ),
    case(
        "unsupported-runtime-config-name",
        svc_plus("  runtimeConfigName: fast\n"),
        at_service(9, "spec.runtimeConfigName", "'fast' is not supported", "'default'"),
    ),
    case(
        "scale-to-zero-without-routing",
        svc("  replicas: 1\n", "  minReplicas: 0\n"),
        at_service(8, "spec.minReplicas", "RoutingRequiredForScaleToZero", "enable routing"),
    ),
    case(
        "autoscaling-without-metrics",
        svc("  replicas: 1\n", "  minReplicas: 1\n  maxReplicas: 3\n"),
        at_service(8, "spec.minReplicas", "AutoscalingRequiresMetrics"),
    ),
    case(
        "unsupported-selector-model-ref",
        svc(
            "    name: qwen-fp8\n",
            "    selector:\n      aimId: qwen/qwen3-32b\n      modelRef:\n        name: qwen\n",
        ),
        at_service(9, "spec.profile.selector.modelRef", "not supported by aimsync", "aimId"),
    ),
    # -- cross-references ----------------------------------------------------------------
    case(
        "ref-profile-name-not-found",
        svc("name: qwen-fp8", "name: qwen-fp9"),
        at_service(7, "spec.profile.name", "'qwen-fp9'", "did you mean 'qwen-fp8'"),
    ),
    case(
        "ref-base-profile",
        repo(profile=BASE_PROFILE),
        at_service(7, "spec.profile.name", "base profile", "deployable"),
    ),
    case(
        "ref-cache-profile-not-found-namespace-scope",
        repo(namespaces__team__caches__warm_yaml=edit(CACHE, "Cluster", "Namespace")),
        Expect(
            CACHE_FILE,
            6,
            "spec.profileName",
            ("no AIMProfile in namespace team", "'qwen-fp8'", "profileScope: Namespace"),
        ),
    ),
    case(
        "ref-cache-profile-not-found-cluster-scope",
        repo(namespaces__team__caches__warm_yaml=edit(CACHE, "qwen-fp8", "qwen-fp")),
        Expect(
            CACHE_FILE,
            6,
            "spec.profileName",
            ("no AIMClusterProfile", "profileScope: Cluster", "did you mean 'qwen-fp8'"),
        ),
    ),
    case(
        "ref-cache-of-base-profile",
        repo(profile=BASE_PROFILE, namespaces__team__caches__warm_yaml=CACHE),
        Expect(CACHE_FILE, 6, "spec.profileName", ("no modelSources", "nothing to cache")),
    ),
    case(
        "ref-namespace-too-long-for-inference-service",
        {PROFILE_FILE: PROFILE, f"namespaces/{LONG_NAMESPACE}/services/chat.yaml": SERVICE},
        Expect(
            f"namespaces/{LONG_NAMESPACE}/services/chat.yaml",
            3,
            "metadata.namespace",
            ("43 characters", "at most 42"),
        ),
    ),
    # -- settings file -------------------------------------------------------------------
    case(
        "settings-unknown-key",
        repo(aimsync_yaml="fieldManger: x\n"),
        Expect("aimsync.yaml", 1, "fieldManger", ("did you mean 'fieldManager'",)),
    ),
    case(
        "settings-wrong-type",
        repo(aimsync_yaml="pvcHeadroomPercent: ten\n"),
        Expect("aimsync.yaml", 1, "pvcHeadroomPercent", ("expected a whole number", "'ten'")),
    ),
    case(
        "settings-below-minimum",
        repo(aimsync_yaml="# limits\nlimits:\n  maxFileBytes: 10\n"),
        Expect("aimsync.yaml", 3, "limits.maxFileBytes", ("minimum is 1024",)),
    ),
    case(
        "settings-not-a-mapping",
        repo(aimsync_yaml="- a\n"),
        Expect("aimsync.yaml", 1, "", ("must be a mapping", "a list")),
    ),
    case(
        "settings-yaml-syntax-error",
        repo(aimsync_yaml="namespaces: [team\n"),
        Expect("aimsync.yaml", 2, "", ("YAML syntax error",)),
    ),
    case(
        "settings-unknown-key-with-bracket",
        repo(aimsync_yaml='"[": 1\n'),
        Expect("aimsync.yaml", 1, "[", ("unknown field '['",)),
    ),
    case(
        "settings-invalid-namespace",
        repo(aimsync_yaml="namespaces: [ML_Team]\n"),
        Expect("aimsync.yaml", 1, "namespaces[0]", ("'ML_Team'", "lowercase")),
    ),
    # -- discovery -----------------------------------------------------------------------
    case(
        "discovery-symlink-file-outside",
        repo(namespaces__team__evil_yaml=Link("{outside}/service.yaml")),
        Expect("namespaces/team/evil.yaml", 1, "", ("outside the repository",)),
    ),
    case(
        "discovery-symlink-folder-outside",
        repo(namespaces__team__linked=Link("{outside}")),
        Expect("namespaces/team/linked", 1, "", ("outside the repository",)),
    ),
    case(
        "discovery-broken-symlink",
        repo(namespaces__team__gone_yaml=Link("missing.yaml")),
        Expect("namespaces/team/gone.yaml", 1, "", ("broken",)),
    ),
]


def _write(root: Path, outside: Path, files: dict[str, FileContent]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target.replace("{outside}", str(outside)), path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", str(root), *args])


def _describe(findings: list[dict[str, object]]) -> str:
    return "\n".join(
        f"  {f['file']}:{f['line']}:{f['column']} [{f['field']}] ({f['rule']}) {f['message']}"
        for f in findings
    )


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_malformed_repository(case: Case, tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "service.yaml").write_text(SERVICE, encoding="utf-8")
    _write(root, outside, case.files)

    result = _invoke(root, "-o", "json")
    text = _invoke(root)  # the human format must not fail where JSON works
    for run in (result, text):
        assert "Traceback" not in run.output
        assert run.exception is None or isinstance(run.exception, SystemExit), run.output
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert text.exit_code == 2, text.output
    findings = json.loads(result.stdout)
    shown = _describe(findings)

    for expected in case.expect:
        matches = [
            f
            for f in findings
            if f["severity"] == "error"
            and f["file"] == expected.file
            and f["line"] == expected.line
            and f["field"] == expected.field
            and all(fragment in str(f["message"]) for fragment in expected.fragments)
        ]
        assert matches, f"no error like {expected} among:\n{shown}"
        assert f"{expected.file}:{expected.line}:" in text.stdout
    for rule in case.absent_rules:
        assert not [f for f in findings if f["rule"] == rule], (
            f"follow-on finding {rule} reported:\n{shown}"
        )
    for f in findings:
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert isinstance(f["column"], int) and f["column"] >= 1


def test_cases_are_many_and_uniquely_named() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60


def test_base_repository_is_valid(tmp_path: Path) -> None:
    """The starting point of every case: without the break, the repository validates."""
    root = tmp_path / "repo"
    _write(root, tmp_path, repo(namespaces__team__caches__warm_yaml=CACHE))
    result = _invoke(root, "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
