"""Read `aimsync.yaml` into Settings, with located findings.

Part of load, not validate: the settings decide which files are read at all (exclude, limits).
"""

from __future__ import annotations

from aimsync.api.validation import describe_value, validate_model
from aimsync.core.fields import FieldPath, format_field_path
from aimsync.findings import Findings, Location
from aimsync.load.yaml_reader import YamlDocument
from aimsync.settings import SETTINGS_FILE, Settings


def _location(document: YamlDocument, path: FieldPath) -> Location:
    position, _ = document.position_of(path)
    return Location(SETTINGS_FILE, position.line, position.column)


def settings_from_document(documents: list[YamlDocument], findings: Findings) -> Settings:
    if not documents:
        return Settings()
    if len(documents) > 1:
        findings.error(
            Location(SETTINGS_FILE, documents[1].start.line, documents[1].start.column),
            "aimsync.yaml must hold one document",
            rule="settings.documents",
        )
    document = documents[0]
    if not isinstance(document.value, dict):
        findings.error(
            Location(SETTINGS_FILE, document.start.line, document.start.column),
            f"aimsync.yaml must be a mapping of settings, found {describe_value(document.value)}",
            rule="settings.not-a-mapping",
        )
        return Settings()
    settings, problems = validate_model(Settings, document.value)
    for path, message, rule in problems:
        findings.error(
            _location(document, path),
            message,
            field=format_field_path(path),
            rule=rule.replace("schema.", "settings."),
        )
    return settings if isinstance(settings, Settings) else Settings()
