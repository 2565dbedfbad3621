"""The status/ folder as aimsync wrote it last time, read once per run.

One value serves every stage that needs the previous run: resolve (sticky profile bindings),
observe (a condition keeps its lastTransitionTime), commit (what changed) and `aimsync status`.
A file that does not parse is kept as text and otherwise ignored: the next run rewrites it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from aimsync.core.objects import NamespacedName
from aimsync.load.files import UnreadableFile, read_regular_file
from aimsync.load.yaml_reader import read_pyyaml_output

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml
STATUS_DIR = "status"
MAX_STATUS_FILE_BYTES = 8 * 1024 * 1024
MAX_STATUS_BYTES = 256 * 1024 * 1024
SUMMARY_FILE = "summary.yaml"
README_FILE = "README.md"
SUMMARY_PATH = f"{STATUS_DIR}/{SUMMARY_FILE}"
README_PATH = f"{STATUS_DIR}/{README_FILE}"

StatusKey = tuple[str, str | None, str]  # (kind, namespace, name)


class ProfileBinding(Struct, frozen=True):
    """The profile a service was bound to by the last run (reference §2.5: bindings stick)."""

    name: str
    scope: str  # Namespace | Cluster


class StatusDocument(Struct, frozen=True):
    """One document of a status file: which spec, and its whole content."""

    file: str
    kind: str
    namespace: str | None
    name: str
    content: Mapping[str, Any]

    @property
    def status(self) -> Mapping[str, Any]:
        status = self.content.get("status")
        return status if isinstance(status, dict) else {}


class StatusTree(Struct, frozen=True):
    files: Mapping[str, str] = field(default_factory=dict)  # path from the root -> text
    documents: tuple[StatusDocument, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()  # files that are not valid YAML

    def statuses(self) -> dict[StatusKey, Mapping[str, Any]]:
        return {(d.kind, d.namespace, d.name): d.status for d in self.documents}

    def bindings(self) -> dict[NamespacedName, ProfileBinding]:
        """Services -> the profile the last run bound them to."""
        out: dict[NamespacedName, ProfileBinding] = {}
        for document in self.documents:
            bound = document.status.get("resolvedProfile")
            if document.kind != "AIMService" or not document.namespace:
                continue
            if not isinstance(bound, dict):
                continue
            name, scope = bound.get("name"), bound.get("scope")
            if isinstance(name, str) and scope in ("Namespace", "Cluster"):
                out[(document.namespace, document.name)] = ProfileBinding(name, str(scope))
        return out


def _parse(relative: str, text: str) -> tuple[list[StatusDocument], dict[str, Any]] | None:
    # aimsync's own files: the fast reader reads them as PyYAML wrote them (0.7 ms a status
    # file with PyYAML's loader, the most of a no-op run's reading at 5,000 services).
    loaded = read_pyyaml_output(text)
    if loaded is None:  # not as aimsync writes it: PyYAML's loader, as a person wrote it
        try:
            loaded = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
        except (yaml.YAMLError, RecursionError, ValueError):
            return None
    if relative == SUMMARY_PATH:
        first = loaded[0] if loaded else None
        return [], first if isinstance(first, dict) else {}
    documents = []
    for doc in loaded:
        if not isinstance(doc, dict):
            continue
        metadata = doc.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(doc.get("status"), dict):
            continue
        namespace = metadata.get("namespace")
        documents.append(StatusDocument(
            relative, str(doc.get("kind")), namespace if isinstance(namespace, str) else None,
            str(metadata.get("name")), doc,
        ))
    return documents, {}


def _regular_files(root: Path, folder: Path) -> dict[str, str]:
    """Path -> text of every regular file below `folder`: links are not followed, a file too
    large or beyond the total bound is left out (the next run rewrites status/ anyway)."""
    files: dict[str, str] = {}
    total = 0
    for directory, folders, names in os.walk(folder, followlinks=False):
        folders.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink():
                continue
            try:
                data = read_regular_file(path, MAX_STATUS_FILE_BYTES)
            except UnreadableFile:
                continue
            total += len(data)
            if total > MAX_STATUS_BYTES:
                return files
            files[path.relative_to(root).as_posix()] = data.decode("utf-8", errors="replace")
    return files


def read_status_tree(root: Path) -> StatusTree:
    """Every regular file under status/ (links are not followed), parsed once. A status/
    that is a link is not read at all (and not written: see aimsync.commit.status_writer)."""
    folder = root / STATUS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return StatusTree()
    files = _regular_files(root, folder)
    documents: list[StatusDocument] = []
    summary: dict[str, Any] = {}
    unreadable: list[str] = []
    for relative, text in files.items():
        if not relative.endswith((".yaml", ".yml")):
            continue
        parsed = _parse(relative, text)
        if parsed is None:
            unreadable.append(relative)
            continue
        found, found_summary = parsed
        documents += found
        summary = found_summary or summary
    return StatusTree(files, tuple(documents), summary, tuple(unreadable))
