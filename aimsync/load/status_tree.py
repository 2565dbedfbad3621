"""The status/ folder as aimsync wrote it last time: file texts, and the statuses in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

STATUS_DIR = "status"

StatusKey = tuple[str, str | None, str]  # (kind, namespace, name)


def read_status_tree(root: Path) -> dict[str, str]:
    """Status files written before: path relative to the repository root -> text."""
    folder = root / STATUS_DIR
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def previous_statuses(texts: dict[str, str]) -> dict[StatusKey, dict[str, Any]]:
    """(kind, namespace, name) -> status, from status files written before. A file that does
    not parse is ignored (the next run rewrites it)."""
    out: dict[StatusKey, dict[str, Any]] = {}
    for relative, text in texts.items():
        if not relative.endswith((".yaml", ".yml")):
            continue
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        for doc in documents:
            if not isinstance(doc, dict):
                continue
            metadata = doc.get("metadata") or {}
            status = doc.get("status")
            if isinstance(metadata, dict) and isinstance(status, dict):
                key = (str(doc.get("kind")), metadata.get("namespace"), str(metadata.get("name")))
                out[key] = status
    return out
