"""`aimsync policy test`: the test cases beside the policies (`policies/*.test.yaml`), as
`kyverno test` runs a policy's own tests. Each case is a handful of AIM specs (inline, or a
file beside the test) and the verdict the policies must give them:

    apiVersion: aimsync.io/v1alpha1
    kind: PolicyTest
    metadata:
      name: image-pinned
    spec:
      policies: [aimsync-image-pinned]   # optional: only these policies and budgets count
      cases:
        - name: a tag other than latest is pinned
          expect: allow                  # allow | deny | warn | audit
          objects:                       # or file: fixtures/latest.yaml
            - apiVersion: aim.eai.amd.com/v1alpha2
              kind: AIMClusterProfile
              ...
          messages: ["is not pinned"]    # optional: each appears in a finding's message

The verdict of a case is the strongest outcome: deny (a Deny finding), warn, audit, else allow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from aimsync.core.facts import ClusterFacts
from aimsync.core.fields import FieldPath
from aimsync.findings import Findings, Location, Severity
from aimsync.load.repository import SourceDocument
from aimsync.load.yaml_reader import YamlDocument
from aimsync.policy.check import check_policies
from aimsync.policy.model import AIMSYNC_API, PolicySet
from aimsync.settings import Settings
from aimsync.validate import validate_documents

TEST_KIND = "PolicyTest"


class Verdict(StrEnum):
    ALLOW = "allow"
    AUDIT = "audit"
    WARN = "warn"
    DENY = "deny"


_STRENGTH = [Verdict.ALLOW, Verdict.AUDIT, Verdict.WARN, Verdict.DENY]


class CaseResult(Struct, frozen=True):
    file: str
    line: int
    test: str
    case: str
    expected: Verdict
    got: Verdict | None  # None: the case could not run (its specs are invalid)
    problems: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()  # what the policies said

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "test": self.test, "case": self.case,
                "expected": self.expected.value, "got": self.got.value if self.got else None,
                "passed": self.passed, "problems": list(self.problems),
                "findings": list(self.findings)}


class TestRun(Struct):
    results: list[CaseResult] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)  # invalid test files, invalid policies

    @property
    def ok(self) -> bool:
        return not self.findings.has_errors and all(r.passed for r in self.results)

    @property
    def counts(self) -> tuple[int, int]:
        passed = sum(1 for r in self.results if r.passed)
        return passed, len(self.results) - passed


def _verdict(findings: Findings) -> Verdict:
    strongest = Verdict.ALLOW
    for finding in findings:
        if finding.rule in ("policy.deny", "policy.warn", "policy.audit",
                            "policy.budget-exceeded"):
            verdict = {Severity.ERROR: Verdict.DENY, Severity.WARNING: Verdict.WARN}.get(
                finding.severity, Verdict.AUDIT)
            if _STRENGTH.index(verdict) > _STRENGTH.index(strongest):
                strongest = verdict
    return strongest


def _sub_document(document: YamlDocument, prefix: FieldPath, value: object) -> YamlDocument:
    start, _ = document.position_of(prefix)
    positions = {path[len(prefix):]: position for path, position in document.positions.items()
                 if path[:len(prefix)] == prefix and len(path) > len(prefix)}
    return YamlDocument(0, start, value, positions)


def only(policies: PolicySet, names: Sequence[str]) -> PolicySet:
    """The policy set with only the named policies (and their bindings) and budgets."""
    wanted = set(names)
    return replace(
        policies,
        policies={n: p for n, p in policies.policies.items() if n in wanted},
        bindings=[b for b in policies.bindings if b.policy_name in wanted],
        budgets=[b for b in policies.budgets if b.name in wanted],
    )


def run_policy_tests(
    policies: PolicySet,
    tests: Sequence[SourceDocument],
    read_file: Callable[[str, str], list[YamlDocument] | None],
    settings: Settings,
) -> TestRun:
    """Every case of every test document. `read_file(test_file, relative)`: the documents
    of a fixture file named relative to the test file (None when it cannot be read; the
    reader reports why)."""
    run = TestRun()
    for document in tests:
        data = document.document.value
        if data is None:
            continue

        def problem(path: FieldPath, message: str, source: SourceDocument = document) -> None:
            position, _ = source.document.position_of(path)
            run.findings.error(Location(source.file, position.line, position.column), message,
                               field=".".join(str(p) for p in path), rule="policy-test.invalid")

        if not isinstance(data, dict) or data.get("apiVersion") != AIMSYNC_API or (
            data.get("kind") != TEST_KIND
        ):
            problem(("kind",), f"a policy test file holds {AIMSYNC_API} {TEST_KIND} documents")
            continue
        metadata = data.get("metadata")
        name = str(metadata.get("name", document.file) if isinstance(metadata, dict)
                   else document.file)
        spec = data.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("cases"), list):
            problem(("spec", "cases"), "spec.cases is a list of test cases (name, expect, "
                    "objects or file)")
            continue
        names = spec.get("policies")
        selected = policies
        if names is not None:
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                problem(("spec", "policies"), "a list of policy and budget names")
                continue
            unknown = [n for n in names if n not in policies.policies
                       and n not in {b.name for b in policies.budgets}]
            if unknown:
                problem(("spec", "policies"), f"no such policy or budget in policies/: "
                        f"{', '.join(unknown)}")
                continue
            selected = only(policies, names)
        for index, case in enumerate(spec["cases"]):
            result = _run_case(selected, document, name, index, case, read_file, settings,
                               problem)
            if result is not None:
                run.results.append(result)
    return run


def _run_case(
    policies: PolicySet, document: SourceDocument, test: str, index: int, case: Any,
    read_file: Callable[[str, str], list[YamlDocument] | None], settings: Settings,
    problem: Callable[[FieldPath, str], None],
) -> CaseResult | None:
    here: FieldPath = ("spec", "cases", index)
    if not isinstance(case, dict):
        problem(here, "a test case is a mapping: name, expect, objects or file")
        return None
    case_name = str(case.get("name") or f"case {index + 1}")
    expect = case.get("expect")
    if expect not in {v.value for v in Verdict}:
        problem((*here, "expect"), "expect is one of: allow, deny, warn, audit")
        return None
    documents: list[SourceDocument] = []
    if isinstance(case.get("objects"), list):
        for i, obj in enumerate(case["objects"]):
            documents.append(SourceDocument(document.file, _sub_document(
                document.document, (*here, "objects", i), obj)))
    elif isinstance(case.get("file"), str):
        read = read_file(document.file, case["file"])
        if read is None:
            return None
        documents = [SourceDocument(_joined(document.file, case["file"]), d) for d in read]
    else:
        problem(here, "a test case gives its specs: objects (a list) or file (a path beside "
                "the test)")
        return None
    messages = case.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        problem((*here, "messages"), "messages is a list of strings")
        return None
    position, _ = document.document.position_of(here)
    validated = validate_documents(documents, settings)
    expected = Verdict(expect)
    # A case may leave out what its specs refer to (the API server does not check that).
    invalid = [f for f in validated.findings.errors if not f.rule.startswith("ref.")]
    if invalid:
        shown = [f"{f.location}: {f.message}" for f in invalid[:3]]
        return CaseResult(document.file, position.line, test, case_name, expected, None,
                          ("the case's specs are invalid: " + "; ".join(shown),))
    report = check_policies(policies, validated.specs, ClusterFacts.unknown())
    said = [f for f in report.findings if f.rule.startswith("policy.")
            and f.rule != "policy.budget-usage"]
    got = _verdict(report.findings)
    problems = []
    if got is not expected:
        problems.append(f"expected {expected.value}, got {got.value}"
                        + (f": {said[0].message}" if said else ""))
    for message in messages:
        if not any(message in f.message for f in said):
            problems.append(f"no finding says {message!r}")
    return CaseResult(document.file, position.line, test, case_name, expected, got,
                      tuple(problems), tuple(f.message for f in said))


def _joined(test_file: str, relative: str) -> str:
    folder = test_file.rpartition("/")[0]
    return f"{folder}/{relative}" if folder else relative
