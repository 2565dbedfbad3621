"""Validate `aimsync.yaml` into Settings, with located findings."""

from __future__ import annotations

from aimsync.findings import Findings, Location
from aimsync.load.yaml_reader import YamlDocument
from aimsync.settings import SETTINGS_FILE, Settings
from aimsync.specs import SpecSource, format_field_path
from aimsync.validate.schema import describe_value, validate_model


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
    source = SpecSource(SETTINGS_FILE, document)
    if not isinstance(document.value, dict):
        findings.error(
            source.start,
            f"aimsync.yaml must be a mapping of settings, found {describe_value(document.value)}",
            rule="settings.not-a-mapping",
        )
        return Settings()
    settings, problems = validate_model(Settings, document.value)
    for path, message, rule in problems:
        findings.error(
            source.location(*path),
            message,
            field=format_field_path(path),
            rule=rule.replace("schema.", "settings."),
        )
    return settings if isinstance(settings, Settings) else Settings()
