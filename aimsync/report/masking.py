"""Secret-looking values never reach a diff, a log or a status file.

Env vars whose names look like credentials have their literal values replaced: `***` when
both sides agree, `*** (before)` / `*** (after)` when the value changed, so a reviewer sees
that it changed without seeing it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|SESSION",
    re.IGNORECASE,
)
MASK = "***"


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def _secret_env_entries(node: object, path: tuple[object, ...] = ()) -> Iterator[
    tuple[tuple[object, ...], dict[str, object]]
]:
    """Every env entry with a literal value and a secret-looking name, with its env list path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                for entry in value:
                    if (
                        isinstance(entry, dict)
                        and isinstance(entry.get("name"), str)
                        and "value" in entry
                        and is_secret_name(entry["name"])
                    ):
                        yield (*path, key, entry["name"]), entry
            else:
                yield from _secret_env_entries(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _secret_env_entries(item, (*path, index))


def mask_pair(
    before: dict[str, object] | None, after: dict[str, object] | None
) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """Copies of both manifests with secret values masked consistently."""
    before = copy.deepcopy(before)
    after = copy.deepcopy(after)
    old = dict(_secret_env_entries(before)) if before else {}
    new = dict(_secret_env_entries(after)) if after else {}
    for path, entry in old.items():
        other = new.get(path)
        same = other is not None and other.get("value") == entry.get("value")
        entry["value"] = MASK if same else f"{MASK} (before)"
    for path, entry in new.items():
        other_value = old.get(path)
        same = other_value is not None and other_value.get("value") == MASK
        entry["value"] = MASK if same else f"{MASK} (after)"
    return before, after


def mask(manifest: dict[str, object]) -> dict[str, object]:
    masked, _ = mask_pair(manifest, manifest)
    assert masked is not None
    return masked
