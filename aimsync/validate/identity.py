"""What each document is: apiVersion, kind, name and namespace (DESIGN.md §1).

The folder only supplies a default namespace: `namespaces/<ns>/...` files may leave
`metadata.namespace` out, and may not contradict it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

from msgspec import Struct

from aimsync.api.kinds import AIM_API_VERSION, AIM_GROUP, AIMKind
from aimsync.api.validation import describe_value, suggest
from aimsync.findings import Findings
from aimsync.load.repository import SourceDocument
from aimsync.specs import SpecSource

SUPPORTED_KINDS = [k.value for k in AIMKind]
# AIM kinds that exist in the operator but that aimsync does not read, with what to use.
OTHER_AIM_KINDS = {
    "AIMModel": "write AIMProfile / AIMClusterProfile objects for the model instead",
    "AIMClusterModel": "write AIMClusterProfile objects for the model instead",
    "AIMProfileSet": "write the derived AIMProfile objects out in the repository",
    "AIMClusterProfileSet": "write the derived AIMClusterProfile objects out in the repository",
    "AIMArtifact": "aimsync derives model caches from AIMProfileCache and AIMService specs",
    "AIMRuntimeConfig": "use aimsync.yaml settings and the AIMService fields",
    "AIMClusterRuntimeConfig": "use aimsync.yaml settings and the AIMService fields",
    "AIMServiceTemplate": "templates are v1alpha1; use AIMProfile",
    "AIMClusterServiceTemplate": "templates are v1alpha1; use AIMClusterProfile",
    "AIMTemplateCache": "use AIMProfileCache",
    "AIMModelCache": "use AIMProfileCache",
}


def folder_namespace(relative_file: str) -> str | None:
    return _namespace_of_folder(relative_file.rpartition("/")[0])


@lru_cache(maxsize=4096)  # asked once per file, and most files share a few folders
def _namespace_of_folder(folder: str) -> str | None:
    parts = PurePosixPath(folder).parts
    if len(parts) >= 2 and parts[0] == "namespaces":
        return parts[1]
    return None


class IdentifiedDocument(Struct, frozen=True):
    kind: AIMKind
    name: str
    namespace: str | None
    source: SpecSource
    data: dict[str, object]  # the document, with metadata.namespace filled in from the folder


def identify(document: SourceDocument, findings: Findings) -> IdentifiedDocument | None:
    """The document's identity, or None (with findings) when it cannot be an AIM object."""
    source = SpecSource(document.file, document.document)
    value = document.document.value
    if not isinstance(value, dict):
        findings.error(
            source.start,
            f"a document must be a mapping with apiVersion, kind and metadata; found "
            f"{describe_value(value)}",
            rule="document.not-a-mapping",
        )
        return None

    ok = True
    api_version = value.get("apiVersion")
    kind_name = value.get("kind")
    for key, found in (("apiVersion", api_version), ("kind", kind_name)):
        if found is None:
            findings.error(
                source.start, f"required field {key!r} is missing", field=key,
                rule="document.missing-type",
            )
            ok = False
        elif not isinstance(found, str):
            findings.error(
                source.location(key), f"expected a string, got {describe_value(found)}",
                field=key, rule="document.missing-type",
            )
            ok = False
    if not ok:
        return None
    assert isinstance(api_version, str) and isinstance(kind_name, str)

    if kind_name not in SUPPORTED_KINDS:
        if kind_name in OTHER_AIM_KINDS:
            message = (
                f"kind {kind_name} is not supported by aimsync: {OTHER_AIM_KINDS[kind_name]}"
            )
        else:
            hint = suggest(kind_name, SUPPORTED_KINDS)
            did_you_mean = f" (did you mean {hint}?)" if hint else ""
            message = (
                f"unknown kind {kind_name!r}{did_you_mean}; aimsync reads "
                f"{', '.join(SUPPORTED_KINDS)} ({AIM_API_VERSION})"
            )
        findings.error(source.location("kind"), message, field="kind", rule="document.kind")
        return None
    kind = AIMKind(kind_name)

    if api_version != AIM_API_VERSION:
        if api_version.startswith(AIM_GROUP + "/"):
            message = (
                f"apiVersion {api_version} is not supported: aimsync implements "
                f"{AIM_API_VERSION}; write apiVersion: {AIM_API_VERSION}"
            )
        else:
            message = (
                f"apiVersion {api_version!r} does not serve {kind_name}; write apiVersion: "
                f"{AIM_API_VERSION}"
            )
        findings.error(
            source.location("apiVersion"), message, field="apiVersion", rule="document.version"
        )
        return None

    metadata = value.get("metadata")
    if not isinstance(metadata, dict):
        where = source.location("metadata") if "metadata" in value else source.start
        got = "is missing" if metadata is None else f"is {describe_value(metadata)}"
        findings.error(
            where,
            f"metadata {got}; it must be a mapping with at least a name",
            field="metadata",
            rule="document.metadata",
        )
        return None
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        where = source.location("metadata", "name")
        findings.error(
            where,
            "metadata.name is missing; every object needs a name"
            if name is None
            else f"metadata.name must be a non-empty string, got {describe_value(name)}",
            field="metadata.name",
            rule="document.name",
        )
        return None

    declared = metadata.get("namespace")
    from_folder = folder_namespace(document.file)
    data = dict(value)
    if not kind.namespaced:
        if declared is not None:
            findings.error(
                source.location("metadata", "namespace"),
                f"{kind_name} is cluster-scoped; remove metadata.namespace",
                field="metadata.namespace",
                rule="namespace.cluster-scoped",
            )
            return None
        return IdentifiedDocument(kind, name, None, source, data)

    if declared is not None and not isinstance(declared, str):
        findings.error(
            source.location("metadata", "namespace"),
            f"metadata.namespace must be a string, got {describe_value(declared)}",
            field="metadata.namespace",
            rule="namespace.type",
        )
        return None
    if declared and from_folder and declared != from_folder:
        # Reported, and validation goes on with the declared namespace so that the
        # document's other problems are reported in the same run.
        findings.error(
            source.location("metadata", "namespace"),
            f"metadata.namespace is {declared!r} but the file is in the folder of namespace "
            f"{from_folder!r} (namespaces/{from_folder}/); make them agree or move the file",
            field="metadata.namespace",
            rule="namespace.contradicts-folder",
        )
    namespace = declared or from_folder
    if not namespace:
        findings.error(
            source.location("metadata"),
            f"{kind_name} is namespaced but has no namespace: set metadata.namespace or put the "
            "file under namespaces/<namespace>/",
            field="metadata.namespace",
            rule="namespace.missing",
        )
        return None
    if declared is None:
        data["metadata"] = {**metadata, "namespace": namespace}
    return IdentifiedDocument(kind, name, namespace, source, data)
