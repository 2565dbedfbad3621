"""Property-based tests: the loader and the validator never crash, whatever the input.

(a) `read_yaml_documents` returns documents or a problem for any text; (b) random repositories
of JSON-like documents go through `load_repository` + `validate_repository` without raising,
and every finding points inside a file that was written; (c) the command line exits 0 or 2.
"""

from __future__ import annotations

import json
import re
import string
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from aimsync.cli import cli
from aimsync.load.repository import load_repository
from aimsync.load.yaml_reader import YamlLimits, read_yaml_documents, read_yaml_values
from aimsync.validate import validate_repository

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Whole repositories: each example writes files and runs the pipeline, so shrinking a failure
# would take minutes; a failure is reported as generated (the message names the exception).
REPOS = settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CLI = settings(REPOS, max_examples=40)

# -- strategies --------------------------------------------------------------------------

# Numbers written as YAML scalars, including ones that overflow a float or have more digits
# than Python converts by default (sys.get_int_max_str_digits()).
number_text = st.one_of(
    st.from_regex(r"[-+]?[0-9]{1,3}(\.[0-9]*)?[eE][-+]?[0-9]{1,4}", fullmatch=True),
    st.from_regex(r"0x[0-9a-f]{1,8}|0o[0-7]{1,8}|[-+]?[0-9]{1,30}", fullmatch=True),
    st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n),
)

yamlish_alphabet = "[]{}:,-?&*!|>'\"#%@`\n\t abc019.~<=\\"

any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=yamlish_alphabet, max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    number_text.map(lambda n: f"key: {n}\n"),
    st.integers(min_value=0, max_value=200).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=0, max_value=200).map(
        lambda n: "".join(f"{' ' * i}k:\n" for i in range(n))
    ),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


def json_values(scalars: st.SearchStrategy[Any] = json_scalars) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=10), children, max_size=4),
        ),
        max_leaves=25,
    )


# Strings that need no quoting doubts: the value read back must equal the value dumped.
plain_words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
round_trip_values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        plain_words,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(plain_words, children, max_size=4),
    ),
    max_leaves=25,
)

API_VERSIONS = [
    "aim.eai.amd.com/v1alpha2",
    "aim.eai.amd.com/v1alpha2",
    "aim.eai.amd.com/v1alpha1",
    "apps/v1",
    "",
]
KINDS = ["AIMClusterProfile", "AIMProfile", "AIMProfileCache", "AIMService", "AIMModel", "Pod"]
FIELD_NAMES = [
    # profiles
    "aimId", "modelId", "profileId", "engine", "metric", "precision", "type", "image",
    "primary", "manualSelectionOnly", "engineArgs", "engineEnv", "acceleratorModel",
    "acceleratorType", "acceleratorCount", "acceleratorPartitioningMode", "resources",
    "modelSources", "containerEnv", "imagePullSecrets", "serviceAccountName", "features",
    "caching", "sourceUri", "size", "env",
    # caches
    "profileName", "profileScope", "storageClassName", "mode", "requiresAdapterDisk",
    # services
    "profile", "profileOverrides", "replicas", "minReplicas", "maxReplicas",
    "runtimeConfigName", "storage", "routing", "model", "template", "overrides", "adapters",
    "adapterMode", "autoScaling", "cacheModel", "name", "selector", "role", "enabled",
    "gatewayRef", "requestTimeout", "pvcHeadroomPercent", "valueFrom", "value",
]  # fmt: skip
REAL_VALUES: list[Any] = [
    "qwen/qwen3-32b", "hf://Qwen/Qwen3-32B", "s3://bucket/model", "35Gi", "MI300X", "gpu",
    "cpu", "latency", "throughput", "fp8", "auto", "Shared", "Dedicated", "Cluster",
    "Namespace", "deployable", "base", "dynamic", "default", "30s", "qwen-fp8", "yes", 0, 1,
    -1, 2**31, True, False, None, [], {},
]  # fmt: skip

field_keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12))
field_scalars = st.one_of(st.sampled_from(REAL_VALUES), json_scalars)
spec_values = st.recursive(
    field_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(field_keys, children, max_size=5),
    ),
    max_leaves=30,
)
names = st.one_of(
    st.sampled_from(["qwen-fp8", "chat", "warm", "Chat", "a" * 64, "", "x.y"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
    json_scalars,
)
metadata = st.fixed_dictionaries(
    {"name": names},
    optional={
        "namespace": st.one_of(st.sampled_from(["team", "other", "n" * 43]), json_scalars),
        "labels": st.dictionaries(st.text(max_size=12), field_scalars, max_size=3),
        "uid": st.text(max_size=5),
    },
)
documents = st.one_of(
    st.fixed_dictionaries(
        {
            "apiVersion": st.one_of(st.sampled_from(API_VERSIONS), json_scalars),
            "kind": st.one_of(st.sampled_from(KINDS), json_scalars),
        },
        optional={
            "metadata": st.one_of(metadata, json_scalars),
            "spec": st.dictionaries(field_keys, spec_values, max_size=8),
            "status": spec_values,
        },
    ),
    json_values(),
)
PATHS = [
    "cluster/profiles/a.yaml",
    "namespaces/team/profiles/b.yaml",
    "namespaces/team/caches/c.yml",
    "namespaces/team/services/d.yaml",
    "namespaces/other/services/e.yaml",
    "top.yaml",
]
SETTINGS_VALUES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "defaultCacheSize": st.sampled_from(["10Gi", 5, "bad", True]),
            "pvcHeadroomPercent": st.sampled_from([10, -1, "ten"]),
            "namespaces": st.lists(st.sampled_from(["team", "other", "Bad_NS"]), max_size=2),
            # Unknown keys, some spelled like pydantic's own location tags.
            "unknownSetting": st.booleans(),
            "[": st.booleans(),
            "str": st.booleans(),
        },
    ),
    json_values(),
)


def _dump(docs: list[Any]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


repositories = st.fixed_dictionaries(
    {
        "files": st.dictionaries(
            st.sampled_from(PATHS), st.lists(documents, min_size=1, max_size=3), max_size=4
        ),
        "settings": SETTINGS_VALUES,
    }
)


def _write_repository(root: Path, repository: dict[str, Any]) -> dict[str, str]:
    """Write the files; return their texts by relative path."""
    texts: dict[str, str] = {}
    for relative, docs in repository["files"].items():
        texts[relative] = _dump(docs)
    if repository["settings"] is not None:
        texts["aimsync.yaml"] = yaml.safe_dump(repository["settings"], allow_unicode=True)
    for relative, text in texts.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return texts


# -- (a) the YAML reader -----------------------------------------------------------------


def line_count(text: str) -> int:
    """Lines as an editor counts them (YAML 1.2 line breaks: LF, CR LF, CR), the position
    just after a final line break included."""
    return len(re.split(r"\r\n|\r|\n", text))


def _check_read(text: str) -> None:
    docs, problem = read_yaml_documents(text, YamlLimits(max_nodes_per_document=5_000))
    lines = line_count(text)
    if problem is not None:
        assert problem.message
        assert 1 <= problem.position.line <= lines and problem.position.column >= 1
    for doc in docs:
        assert doc.start.line >= 1
        assert doc.value is not None
        # What the reader accepts can always be written as JSON (the cluster's format).
        json.dumps(doc.value, allow_nan=False)
        for position in doc.positions.values():
            assert 1 <= position.line <= lines and position.column >= 1


@FAST
@given(any_text)
@example("key: 1e400\n")  # overflows to inf: must be refused like .inf
@example("key: " + "9" * 5000 + "\n")  # more digits than int() converts by default
@example("key: 0x" + "f" * 5000 + "\n")
@example("a: b\u2028c\u2028\u2028d: [\n")  # not line breaks in YAML 1.2
@example("a: b\x85\x85\nb: [\n")
def test_reader_never_raises_on_any_text(text: str) -> None:
    _check_read(text)


@FAST
@given(json_values(), st.booleans(), st.booleans())
def test_reader_never_raises_on_dumped_values(value: Any, flow: bool, unicode: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=unicode)
    _check_read(text)


def _check_same_as_the_full_reader(text: str, limits: YamlLimits) -> None:
    full, full_problem = read_yaml_documents(text, limits)
    fast, fast_problem = read_yaml_values(text, limits)
    assert fast_problem == full_problem
    assert [(d.index, d.start, d.value) for d in fast] == [
        (d.index, d.start, d.value) for d in full
    ]
    assert [repr(d.value) for d in fast] == [repr(d.value) for d in full]  # 1 is not 1.0
    assert [d.positions for d in fast] == [d.positions for d in full]  # found when asked


SMALL_LIMITS = YamlLimits(max_depth=4, max_nodes_per_document=12, max_bytes_per_document=40,
                          max_documents_per_file=2)


@FAST
@given(any_text, st.booleans())
@example("a: 1\n---\nb: [1, 2\n", False)  # a document, then a syntax error
@example("a: &x 1\nb: *x\n<<: {c: 2}\n", False)  # what only the full reader reads
@example("a: 1\nb:\n- 2\n- {c: [3, {d: 4}]}\n---\n---\nx\n", True)
@example("k: 1\r\nl: 2\rm: 3\n", False)
def test_reading_without_positions_gives_what_the_full_reader_gives(
    text: str, small: bool
) -> None:
    _check_same_as_the_full_reader(text, SMALL_LIMITS if small else YamlLimits())


@FAST
@given(json_values(), st.booleans(), st.booleans(), st.booleans())
def test_reading_dumped_values_without_positions_gives_what_the_full_reader_gives(
    value: Any, flow: bool, unicode: bool, small: bool
) -> None:
    text = yaml.safe_dump_all([value, value], default_flow_style=flow, allow_unicode=unicode)
    _check_same_as_the_full_reader(text, SMALL_LIMITS if small else YamlLimits())


@FAST
@given(round_trip_values.filter(lambda v: v is not None))
def test_reader_reads_back_what_safe_dump_wrote(value: Any) -> None:
    docs, problem = read_yaml_documents(yaml.safe_dump(value))
    assert problem is None
    assert len(docs) == 1

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return type(a) is type(b) and a == b

    assert same(docs[0].value, value), (docs[0].value, value)


# -- (b) load + validate -----------------------------------------------------------------


def _check_findings_inside_files(root: Path, texts: dict[str, str]) -> None:
    loaded = load_repository(root)
    result = validate_repository(loaded)
    for finding in result.findings:
        location = finding.location
        assert location.path in texts, finding
        lines = line_count(texts[location.path])
        assert 1 <= location.line <= lines, finding
        assert location.column >= 1, finding
        assert finding.message, finding
    assert result.ok == (not result.findings.errors)


@REPOS
@given(repositories)
def test_load_and_validate_never_raise(repository: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        texts = _write_repository(root, repository)
        _check_findings_inside_files(root, texts)


@REPOS
@given(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3), st.lists(any_text, max_size=3))
@example(["top.yaml"], ["key: " + "9" * 5000 + "\n"])
@example(["top.yaml"], ["kind: AIMService\nnote: a\u2028b\nspec: [\n"])
def test_load_and_validate_never_raise_on_random_files(paths: list[str], bodies: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        texts: dict[str, str] = {}
        for relative, text in zip(paths, bodies, strict=False):
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            texts[relative] = text
        _check_findings_inside_files(root, texts)


# -- (c) the command line ----------------------------------------------------------------


@CLI
@given(repositories, st.sampled_from(["text", "json", "github"]))
def test_cli_exits_0_or_2(repository: dict[str, Any], output: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        _write_repository(root, repository)
        result = CliRunner().invoke(cli, ["validate", str(root), "-o", output])
        assert "Traceback" not in result.output
        assert "internal error" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code in (0, 2), result.output
        if output == "json":
            findings = json.loads(result.stdout)
            has_errors = any(f["severity"] == "error" for f in findings)
            assert result.exit_code == (2 if has_errors else 0)
