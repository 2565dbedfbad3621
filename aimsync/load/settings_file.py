"""Read `aimsync.yaml` into Settings, with located findings.

Part of load, not validate: the settings decide which files are read at all (exclude, limits).
A cluster's overrides (AIMSYNC_SETTINGS_FILE, the CronJob's ConfigMap) are a second file of the
same schema whose keys replace the repository's.
"""

from __future__ import annotations

from aimsync.api.validation import describe_value, validate_model
from aimsync.core.fields import FieldPath, format_field_path
from aimsync.findings import Findings, Location
from aimsync.load.yaml_reader import YamlDocument
from aimsync.settings import SETTINGS_FILE, Settings


def _location(document: YamlDocument, path: FieldPath, label: str) -> Location:
    position, _ = document.position_of(path)
    return Location(label, position.line, position.column)


def settings_from_document(
    documents: list[YamlDocument], findings: Findings, label: str = SETTINGS_FILE
) -> Settings:
    """The settings of one file (`label` names it in findings); a key it does not give keeps
    its default, and is not in the result's `model_fields_set`."""
    if not documents:
        return Settings()
    if len(documents) > 1:
        findings.error(
            Location(label, documents[1].start.line, documents[1].start.column),
            f"{label} must hold one document",
            rule="settings.documents",
        )
    document = documents[0]
    if not isinstance(document.value, dict):
        findings.error(
            Location(label, document.start.line, document.start.column),
            f"{label} must be a mapping of settings, found {describe_value(document.value)}",
            rule="settings.not-a-mapping",
        )
        return Settings()
    settings, problems = validate_model(Settings, document.value)
    for path, message, rule in problems:
        findings.error(
            _location(document, path, label),
            message,
            field=format_field_path(path),
            rule=rule.replace("schema.", "settings."),
        )
    return settings if isinstance(settings, Settings) else Settings()


def with_overrides(settings: Settings, overrides: Settings) -> Settings:
    """The keys the overrides file gives replace the repository's, whole (`lock: {name: x}`
    replaces `lock`, defaults included); the others stay as the repository has them."""
    return settings.model_copy(
        update={name: getattr(overrides, name) for name in overrides.model_fields_set}
    )
