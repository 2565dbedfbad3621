"""Stage 2, validate: documents -> Specs, with every problem as a located finding (pure).

An invalid repository never reaches the later stages: callers check `findings.has_errors`.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from aimsync.api import KIND_MODELS, AIMKind
from aimsync.api.metadata import SERVER_SET_METADATA
from aimsync.api.validation import validate_model
from aimsync.core.fields import format_field_path
from aimsync.findings import Finding, Findings, Severity
from aimsync.load.repository import LoadedRepository, SourceDocument
from aimsync.settings import Settings
from aimsync.specs import Spec, Specs
from aimsync.validate.identity import IdentifiedDocument, identify
from aimsync.validate.references import check_references
from aimsync.validate.rules import document_rules


class ValidationResult(Struct):
    specs: Specs
    findings: Findings

    @property
    def ok(self) -> bool:
        return not self.findings.has_errors


def as_the_api_reads_it(value: object) -> object:
    """What the API server makes of a document before validating it: `key: null` in a
    mapping means the key is absent (so its default applies), and a whole number written as
    2.0 is the integer 2."""
    if isinstance(value, dict):
        return {k: v if type(v) in _AS_WRITTEN else as_the_api_reads_it(v)
                for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [v if type(v) in _AS_WRITTEN else as_the_api_reads_it(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_AS_WRITTEN = frozenset({str, int, bool})  # read as they are: no call per value for them


def _schema_input(identified: IdentifiedDocument) -> dict[str, object]:
    """The document minus what the rules already reported as ignored."""
    data = dict(identified.data)
    data.pop("status", None)
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        data["metadata"] = {k: v for k, v in metadata.items() if k not in SERVER_SET_METADATA}
    spec = data.get("spec")
    if identified.kind is AIMKind.CLUSTER_PROFILE and isinstance(spec, dict):
        data["spec"] = {k: v for k, v in spec.items() if k != "caching"}
    return data


def _validate_document(
    identified: IdentifiedDocument, settings: Settings, findings: Findings
) -> Spec[Any] | None:
    source = identified.source
    data = as_the_api_reads_it(identified.data)
    assert isinstance(data, dict)
    identified = IdentifiedDocument(
        identified.kind, identified.name, identified.namespace, source, data
    )
    # This document's errors, counted as they are added: counting all of the repository's
    # findings per document would grow with the square of the documents.
    errors = 0
    for finding in document_rules(identified.kind, identified.data, settings):
        findings.add(
            Finding(
                finding.severity,
                source.location(*finding.path),
                finding.message,
                format_field_path(finding.path),
                finding.rule,
            )
        )
        errors += finding.severity is Severity.ERROR
    obj, problems = validate_model(KIND_MODELS[identified.kind], _schema_input(identified))
    for path, message, rule in problems:
        findings.error(
            source.location(*path), message, field=format_field_path(path), rule=rule
        )
    if obj is None or errors or problems:
        return None
    return Spec(identified.kind, identified.name, identified.namespace, source, obj)


def _claimed_keys(document: SourceDocument) -> set[tuple[AIMKind, str | None, str]]:
    """Best effort: which (kind, namespace, name) a document that failed to identify means."""
    value = document.document.value
    if not isinstance(value, dict) or not isinstance(value.get("metadata"), dict):
        return set()
    name = value["metadata"].get("name")
    kind = value.get("kind")
    if not isinstance(name, str) or not isinstance(kind, str) or kind not in set(AIMKind):
        return set()
    namespace = value["metadata"].get("namespace")
    namespaces = {namespace if isinstance(namespace, str) else None, None}
    return {(AIMKind(kind), ns, name) for ns in namespaces}


def validate_documents(
    documents: list[SourceDocument], settings: Settings, findings: Findings | None = None
) -> ValidationResult:
    findings = findings if findings is not None else Findings()
    specs = Specs(settings=settings)
    seen: dict[tuple[AIMKind, str | None, str], IdentifiedDocument] = {}
    invalid: set[tuple[AIMKind, str | None, str]] = set()
    for document in documents:
        identified = identify(document, findings)
        if identified is None:
            # It still names something: references to it are not reported as missing.
            invalid.update(_claimed_keys(document))
            continue
        key = (identified.kind, identified.namespace, identified.name)
        first = seen.get(key)
        if first is not None:
            scope = f"{identified.namespace}/" if identified.namespace else ""
            findings.error(
                identified.source.location("metadata", "name"),
                f"{identified.kind.value} {scope}{identified.name} is defined twice: also at "
                f"{first.source.location('metadata', 'name')}",
                field="metadata.name",
                rule="document.duplicate",
            )
            findings.error(
                first.source.location("metadata", "name"),
                f"{identified.kind.value} {scope}{identified.name} is defined twice: also at "
                f"{identified.source.location('metadata', 'name')}",
                field="metadata.name",
                rule="document.duplicate",
            )
            continue
        seen[key] = identified
        spec = _validate_document(identified, settings, findings)
        if spec is None:
            invalid.add(key)
            continue
        specs.add(spec)
    # A file that could not be read may define what a reference names: say nothing then.
    unreadable = any(f.rule.startswith("file.") for f in findings.errors)
    check_references(specs, findings, invalid, unreadable)
    return ValidationResult(specs, findings)


def validate_repository(loaded: LoadedRepository) -> ValidationResult:
    result = validate_documents(loaded.documents, loaded.settings, loaded.findings)
    # The specs hold what the later stages read: the documents' values (as large as the
    # specs) are let go, and read again from the file's text by the few that ask.
    for document in loaded.documents:
        document.document.release()
    return result
