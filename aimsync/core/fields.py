"""Where a value sits inside a document: a field path, and how people write it."""

from __future__ import annotations

FieldKey = str | int
FieldPath = tuple[FieldKey, ...]


def format_field_path(path: FieldPath) -> str:
    """('spec', 'modelSources', 0, 'sourceUri') -> 'spec.modelSources[0].sourceUri'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
