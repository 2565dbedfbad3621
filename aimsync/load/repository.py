"""Read a repository from disk: the settings file and every spec document (the I/O edge).

Nothing here judges what a document means; that is the validate stage. Problems with the
files themselves (unreadable, too large, not UTF-8, not YAML) become findings.
"""

from __future__ import annotations

import os
from pathlib import Path

from msgspec import Struct, field

from aimsync.core.errors import InvalidInput
from aimsync.core.fields import FieldPath, format_field_path
from aimsync.findings import Findings, Location
from aimsync.load.discovery import (
    DiscoveredFile,
    discover_policy_files,
    discover_spec_files,
)
from aimsync.load.files import OUTSIDE, TooLarge, UnreadableFile, inside, read_regular_file
from aimsync.load.settings_file import settings_from_document, with_overrides
from aimsync.load.status_tree import StatusTree, read_status_tree
from aimsync.load.yaml_reader import Position, YamlDocument, YamlLimits, read_yaml_values
from aimsync.settings import SETTINGS_FILE, SETTINGS_OVERRIDES_VARIABLE, Settings


class RepositoryNotFound(InvalidInput):
    """The path given is not a folder (a usage error, not a finding)."""


def require_folder(root: Path) -> Path:
    """Every command that reads a repository starts here."""
    if not root.is_dir():
        raise RepositoryNotFound(f"{root} is not a folder")
    return root


class SourceDocument(Struct, frozen=True):
    file: str  # relative to the repository root, POSIX separators
    document: YamlDocument


class LoadedRepository(Struct):
    root: Path
    settings: Settings
    documents: list[SourceDocument] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    files_read: int = 0
    status: StatusTree = field(default_factory=StatusTree)  # status/ as the last run wrote it
    # The documents of policies/ (aimsync/policy reads them), each with its positions.
    policy_documents: list[SourceDocument] = field(default_factory=list)


def _decode(data: bytes, relative: str, findings: Findings) -> str | None:
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        offset = data.index(b"\x00")
        findings.error(
            Location(relative, data[:offset].count(b"\n") + 1),
            "file contains NUL bytes: it is not UTF-8 text (saved as UTF-16?); save it as UTF-8",
            rule="file.encoding",
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        findings.error(
            Location(relative, line, column),
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded); save "
            "it as UTF-8",
            rule="file.encoding",
        )
        return None
    return text.removeprefix("\ufeff")


# A typed list names its items' kind; the API server leaves kind and apiVersion off the items
# of a typed list (GET .../aimservices), kubectl writes them on each item of a `kind: List`.
TYPED_LISTS = {f"{kind}List": kind for kind in (
    "AIMClusterProfile", "AIMProfile", "AIMProfileCache", "AIMService")}
LIST_KINDS = {"List", *TYPED_LISTS}


def _items_of_lists(
    documents: list[YamlDocument], relative: str, findings: Findings
) -> list[YamlDocument]:
    """`kind: List` (what `kubectl get -o yaml` writes) and `AIM*List` documents read as
    their items, each with its own positions; then every object of the file numbered in
    order (a status file keeps that order)."""
    objects: list[YamlDocument] = []
    for document in documents:
        value = document.value
        kind = value.get("kind") if isinstance(value, dict) else None
        if not (isinstance(value, dict) and isinstance(kind, str) and kind in LIST_KINDS):
            objects.append(document)
            continue
        items = value.get("items")
        if not isinstance(items, list):
            position, _ = document.position_of(("items",))
            findings.error(
                Location(relative, position.line, position.column),
                f"a {kind} holds its objects in a list named items",
                field="items", rule="document.list-items",
            )
            continue
        # Each item's positions, in one pass (not one pass over the list's per item).
        by_item: dict[object, dict[FieldPath, Position]] = {}
        for path, position in document.positions.items():
            if len(path) > 2 and path[0] == "items":
                by_item.setdefault(path[1], {})[path[2:]] = position
        for index, item in enumerate(items):
            start, _ = document.position_of(("items", index))
            if kind in TYPED_LISTS and isinstance(item, dict):
                item = {"apiVersion": value.get("apiVersion"), "kind": TYPED_LISTS[kind], **item}
            objects.append(YamlDocument(0, start, item, by_item.get(index, {})))
    for number, document in enumerate(objects):
        document.index = number
    return objects


def read_file_documents(
    path: Path | str, relative: str, max_bytes: int, findings: Findings, limits: YamlLimits
) -> list[YamlDocument]:
    try:
        data = read_regular_file(path, max_bytes)
    except TooLarge as exc:
        findings.error(
            Location(relative),
            f"file is {exc.size or f'more than {max_bytes}'} bytes; aimsync reads spec files "
            f"of at most {max_bytes} bytes (limits.maxFileBytes in aimsync.yaml)",
            rule=exc.rule,
        )
        return []
    except UnreadableFile as exc:
        findings.error(Location(relative), str(exc), rule=exc.rule)
        return []
    text = _decode(data, relative, findings)
    if text is None:
        return []
    documents, problem = read_yaml_values(text, limits)
    documents = _items_of_lists(documents, relative, findings)
    if problem is not None:
        findings.error(
            Location(relative, problem.position.line, problem.position.column),
            problem.message,
            field=format_field_path(problem.path),
            rule="file.yaml",
        )
    return documents


def load_settings(root: Path, findings: Findings) -> Settings:
    """The repository's aimsync.yaml, then this cluster's overrides when
    $AIMSYNC_SETTINGS_FILE names a file (the CronJob mounts its ConfigMap there)."""
    settings = _repository_settings(root, findings)
    overrides_file = os.environ.get(SETTINGS_OVERRIDES_VARIABLE)
    if not overrides_file:
        return settings
    documents = read_file_documents(
        Path(overrides_file), overrides_file, Settings().limits.max_file_bytes, findings,
        YamlLimits(),
    )
    return with_overrides(settings, settings_from_document(documents, findings, overrides_file))


def _repository_settings(root: Path, findings: Findings) -> Settings:
    path = root / SETTINGS_FILE
    if not os.path.lexists(path):
        return Settings()
    if not inside(root, path):
        findings.error(Location(SETTINGS_FILE), OUTSIDE, rule="file.outside")
        return Settings()
    documents = read_file_documents(
        path, SETTINGS_FILE, Settings().limits.max_file_bytes, findings, YamlLimits()
    )
    return settings_from_document(documents, findings)


def read_documents(
    files: list[DiscoveredFile], settings: Settings, findings: Findings
) -> list[SourceDocument]:
    """Every document of the files, located; problems with a file are findings."""
    limits = YamlLimits()
    out: list[SourceDocument] = []
    for discovered in files:
        for document in read_file_documents(
            discovered.path, discovered.relative, settings.limits.max_file_bytes,
            findings, limits,
        ):
            out.append(SourceDocument(discovered.relative, document))
    return out


def load_policy_documents(
    root: Path, settings: Settings, findings: Findings, *, tests: bool = False
) -> tuple[list[SourceDocument], int]:
    """The documents of policies/ (or, with `tests`, of its *.test.yaml files) and how many
    files were read."""
    files, problems = discover_policy_files(
        root, settings.exclude, settings.limits.max_files, tests=tests
    )
    for problem in problems:
        findings.error(Location(problem.relative), problem.message, rule="file.discovery")
    return read_documents(files, settings, findings), len(files)


def load_repository(root: Path) -> LoadedRepository:
    require_folder(root)
    findings = Findings()
    settings = load_settings(root, findings)
    loaded = LoadedRepository(
        root=root, settings=settings, findings=findings, status=read_status_tree(root)
    )
    files, problems = discover_spec_files(
        root, settings.exclude, settings.limits.max_files
    )
    for problem in problems:
        findings.error(Location(problem.relative), problem.message, rule="file.discovery")
    limits = YamlLimits()
    for discovered in files:
        loaded.files_read += 1
        for document in read_file_documents(
            discovered.path,
            discovered.relative,
            settings.limits.max_file_bytes,
            findings,
            limits,
        ):
            loaded.documents.append(SourceDocument(discovered.relative, document))
    loaded.policy_documents, policy_files = load_policy_documents(root, settings, findings)
    loaded.files_read += policy_files
    return loaded
