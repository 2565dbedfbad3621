"""Conformance of `aimsync validate` with the real AIM CRDs served by a real kube-apiserver.

Every spec of the corpus (tests/integration/conformance/corpus.py) is checked both ways:
aimsync's `validate_documents` on the in-memory document (with the profiles it references in
the same run), and a server-side dry-run create (`dryRun=All&fieldValidation=Strict`) against
the pinned AIM CRDs. Asserted:

* no false accept: whatever the CRD rejects, aimsync rejects;
* no false reject: whatever the CRD accepts, aimsync accepts, unless the corpus entry names the
  aimsync rule that deliberately refuses it, and then exactly that rule fires;
* the corpus says what the real CRD says (both-accept / both-reject / aimsync-stricter), and
  the defaults the API server fills in are the defaults of aimsync's validated object.

Run `python -m pytest tests/integration/test_validation_conformance.py -m integration -s` to
see the per-category counts printed by `test_corpus_summary`.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client

from aimsync.api import AIMKind
from aimsync.load.repository import SourceDocument
from aimsync.load.yaml_reader import Position, YamlDocument
from aimsync.settings import Settings
from aimsync.validate import validate_documents
from tests.cluster import KubeApiError, request, resource_path
from tests.integration.conformance.corpus import API_VERSION, CORPUS, Case, Expect
from tests.integration.conftest import TEST_NAMESPACE_LABEL

pytestmark = pytest.mark.integration

PLURALS = {
    AIMKind.CLUSTER_PROFILE: "aimclusterprofiles",
    AIMKind.PROFILE: "aimprofiles",
    AIMKind.PROFILE_CACHE: "aimprofilecaches",
    AIMKind.SERVICE: "aimservices",
}
LONG_NAMESPACE_LENGTH = 43  # one more than aimsync allows for a namespace with services


@dataclass(frozen=True)
class Namespaces:
    short: str
    long: str

    def for_case(self, case: Case) -> str:
        return self.long if case.namespace == "long" else self.short


@dataclass(frozen=True)
class ApiAnswer:
    accepted: bool
    status: int  # HTTP status (201 when accepted)
    message: str
    obj: dict[str, Any]  # the object the API server would have stored (defaulted)


@dataclass(frozen=True)
class AimsyncAnswer:
    errors: list[tuple[str, str, str]]  # (rule, field, message) on the document under test
    obj: dict[str, Any]  # the validated object as the API would write it ({} when rejected)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def rules(self) -> set[str]:
        return {rule for rule, _, _ in self.errors}


@dataclass(frozen=True)
class Outcome:
    case: Case
    api: ApiAnswer
    aimsync: AimsyncAnswer

    def problems(self) -> list[str]:
        """Every way this outcome breaks conformance (empty when it conforms)."""
        case, api, ours = self.case, self.api, self.aimsync
        found: list[str] = []
        if not api.accepted and ours.accepted:
            found.append(
                f"FALSE ACCEPT: the CRD rejects ({api.status}: {api.message}) but aimsync accepts"
            )
        if api.accepted and not ours.accepted and case.expect is not Expect.STRICTER:
            found.append(f"FALSE REJECT: the CRD accepts but aimsync rejects with {ours.errors}")
        if api.accepted and case.expect is Expect.STRICTER and ours.rules != {case.rule}:
            found.append(f"aimsync should refuse with exactly {case.rule!r}, got {ours.errors}")
        if not api.accepted and case.rule and case.rule not in ours.rules:
            found.append(f"aimsync should report {case.rule!r}, got {ours.errors}")
        expected_api = case.expect is not Expect.REJECT
        if api.accepted != expected_api:
            said = "accepts" if api.accepted else f"rejects ({api.status}: {api.message})"
            found.append(f"corpus says {case.expect.value} but the CRD {said}")
        if api.accepted and ours.accepted:
            found += [
                f"the API server stores {where} = {stored!r}, aimsync's object has {mine!r}"
                for where, stored, mine in _differences(api.obj.get("spec"), ours.obj.get("spec"))
            ]
            for path, value in case.defaults.items():
                got_api, got_ours = _at(api.obj, path), _at(ours.obj, path)
                if not got_api == got_ours == value:
                    found.append(
                        f"default of {path}: corpus {value!r}, API {got_api!r}, "
                        f"aimsync {got_ours!r}"
                    )
        return found

    @property
    def category(self) -> str:
        if self.problems():
            return f"DISAGREEMENT (corpus: {self.case.expect.value})"
        if self.case.expect is Expect.STRICTER:
            return f"{Expect.STRICTER.value} ({self.case.rule})"
        return self.case.expect.value


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _at(obj: object, dotted: str) -> object:
    for key in dotted.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _differences(
    stored: object, mine: object, where: str = "spec"
) -> Iterator[tuple[str, object, object]]:
    """Where the object the API server would store (input plus defaults) differs from aimsync's
    validated object. Only what the API stores is compared: aimsync may default more."""
    if isinstance(stored, dict) and isinstance(mine, dict):
        for key, value in stored.items():
            yield from _differences(value, mine.get(key, _MISSING), f"{where}.{key}")
    elif isinstance(stored, list) and isinstance(mine, list) and len(stored) == len(mine):
        for index, (value, other) in enumerate(zip(stored, mine, strict=True)):
            yield from _differences(value, other, f"{where}[{index}]")
    elif stored != mine or type(stored) is not type(mine):
        yield where, stored, mine


def _kind(doc: dict[str, Any]) -> AIMKind:
    return AIMKind(doc["kind"])


def _place(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A copy of `doc` with the test namespace filled in for namespaced kinds."""
    placed = copy.deepcopy(doc)
    if _kind(placed).namespaced and isinstance(placed.get("metadata"), dict):
        placed["metadata"].setdefault("namespace", namespace)
    return placed


def _source_document(doc: dict[str, Any], file: str) -> SourceDocument:
    # JSON round trip: the document as the YAML reader would produce it (plain dicts/lists).
    value = json.loads(json.dumps(doc))
    return SourceDocument(file, YamlDocument(index=0, start=Position(1, 1), value=value))


def check_with_aimsync(case: Case, namespace: str) -> AimsyncAnswer:
    file = f"conformance/{case.id}.yaml"
    doc = _place(case.doc, namespace)
    documents = [_source_document(doc, file)] + [
        _source_document(_place(support, namespace), f"conformance/support-{index}.yaml")
        for index, support in enumerate(case.support)
    ]
    result = validate_documents(documents, Settings())
    support_errors = [f for f in result.findings.errors if f.location.path != file]
    assert not support_errors, f"the supporting objects of {case.id} are invalid: {support_errors}"
    errors = [(f.rule, f.field, f.message) for f in result.findings.errors]
    obj: dict[str, Any] = {}
    if not errors:
        name, kind = doc["metadata"]["name"], _kind(doc)
        key = (namespace, name)
        spec = {
            AIMKind.CLUSTER_PROFILE: result.specs.cluster_profiles.get(name),
            AIMKind.PROFILE: result.specs.profiles.get(key),
            AIMKind.PROFILE_CACHE: result.specs.caches.get(key),
            AIMKind.SERVICE: result.specs.services.get(key),
        }[kind]
        assert spec is not None, f"{case.id}: accepted but not among the validated specs"
        obj = spec.obj.to_api()
    return AimsyncAnswer(errors, obj)


def check_with_api(api_client: client.ApiClient, case: Case, namespace: str) -> ApiAnswer:
    doc = _place(case.doc, namespace)
    kind = _kind(doc)
    path = resource_path(
        API_VERSION, PLURALS[kind], namespace=namespace if kind.namespaced else None
    )
    query = [("dryRun", "All"), ("fieldValidation", "Strict")]
    try:
        created = request(api_client, "POST", path, query=query, body=doc)
    except KubeApiError as exc:
        # 400: strict decoding (unknown field), 422: schema, CEL or metadata validation.
        assert exc.status in (400, 422), f"{case.id}: unexpected answer {exc}"
        return ApiAnswer(False, exc.status, exc.message, {})
    return ApiAnswer(True, 201, "", created)


_OUTCOMES: dict[str, Outcome] = {}


def outcome_of(api_client: client.ApiClient, namespaces: Namespaces, case: Case) -> Outcome:
    if case.id not in _OUTCOMES:
        namespace = namespaces.for_case(case)
        _OUTCOMES[case.id] = Outcome(
            case, check_with_api(api_client, case, namespace), check_with_aimsync(case, namespace)
        )
    return _OUTCOMES[case.id]


def _create_namespace(api_client: client.ApiClient, name: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {TEST_NAMESPACE_LABEL: "true"}},
    }
    request(api_client, "POST", "/api/v1/namespaces", body=body)


@pytest.fixture(scope="module")
def namespaces(api_client: client.ApiClient) -> Iterator[Namespaces]:
    """Two namespaces for the whole corpus: dry-run creates persist nothing.

    The per-test `namespace` fixture is not used: its names (`t-<test name>-<hex>`) can exceed
    the 42 characters aimsync allows a namespace with AIMServices, which would turn every service
    into an `aimsync.isvc-name-fits` rejection.
    """
    token = secrets.token_hex(3)
    short = f"t-conformance-{token}"
    long = f"t-conformance-long-{token}".ljust(LONG_NAMESPACE_LENGTH - 2, "x") + "-z"
    assert len(long) == LONG_NAMESPACE_LENGTH
    for name in (short, long):
        _create_namespace(api_client, name)
    yield Namespaces(short, long)
    for name in (short, long):
        try:
            request(api_client, "DELETE", f"/api/v1/namespaces/{name}")
        except KubeApiError as exc:
            if exc.status != 404:
                raise


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_conformance(api_client: client.ApiClient, namespaces: Namespaces, case: Case) -> None:
    outcome = outcome_of(api_client, namespaces, case)

    problems = outcome.problems()

    assert not problems, f"{case.id}:\n" + "\n".join(f"  - {p}" for p in problems)


def test_corpus_summary(api_client: client.ApiClient, namespaces: Namespaces) -> None:
    outcomes = [outcome_of(api_client, namespaces, case) for case in CORPUS]
    counts = Counter(outcome.category for outcome in outcomes)
    kinds = Counter(case.doc["kind"] for case in CORPUS)

    lines = [
        f"validation conformance: {len(outcomes)} specs checked against the real AIM CRDs "
        f"({', '.join(f'{kind} {n}' for kind, n in sorted(kinds.items()))})",
        *(f"  {count:4d}  {category}" for category, count in sorted(counts.items())),
    ]
    disagreements = [o for o in outcomes if o.problems()]
    lines += [f"  DISAGREEMENT {o.case.id}: {'; '.join(o.problems())}" for o in disagreements]
    print("\n" + "\n".join(lines))

    assert len(CORPUS) >= 80
    assert {Expect.ACCEPT.value, Expect.REJECT.value} <= set(counts)
    assert any(category.startswith(Expect.STRICTER.value) for category in counts)
    assert not disagreements, "\n".join(lines)
