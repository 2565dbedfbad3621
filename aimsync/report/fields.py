"""The values of changed spec fields as reports show them: credentials masked (the rules of
aimsync.core.secrets, as in object diffs), long values shortened for one line, the new value
of a long string shown from where it starts to differ."""

from __future__ import annotations

import json
import re

from msgspec import Struct

from aimsync.core.secrets import MASK, is_secret_name, mask_userinfo
from aimsync.plan.compare import FieldAction, FieldChange

_NAMED = re.compile(r"\[name=([^\]]*)\]")
_SPLIT = re.compile(r"[.\[\]]")
SHORT = 100  # characters of a value on one line


def _secret_path(path: str) -> bool:
    names = _NAMED.findall(path)
    parts = [p for p in _SPLIT.split(_NAMED.sub(".", path)) if p]
    return any(is_secret_name(n) for n in names) or any(is_secret_name(p) for p in parts)


def masked_value(value: object) -> object:
    """A value with every credential inside it masked (`env` entries and mappings whose key
    names a credential; userinfo of URLs)."""
    if isinstance(value, str):
        return mask_userinfo(value)
    if isinstance(value, list):
        return [masked_value(item) for item in value]
    if isinstance(value, dict):
        name = value.get("name")
        secret_entry = isinstance(name, str) and is_secret_name(name) and "value" in value
        return {
            k: MASK if (secret_entry and k == "value") or (
                isinstance(k, str) and is_secret_name(k) and not isinstance(v, (dict, list))
            ) else masked_value(v)
            for k, v in value.items()
        }
    return value


class ShownChange(Struct, frozen=True):
    """One changed field, masked, as data (`before`/`after`) and as short text."""

    path: str
    action: FieldAction
    before: object
    after: object
    line: int | None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "action": self.action.value}
        if self.action is not FieldAction.ADDED:
            out["before"] = self.before
        if self.action is not FieldAction.REMOVED:
            out["after"] = self.after
        if self.line:
            out["line"] = self.line
        return out


def shown(change: FieldChange) -> ShownChange:
    before, after = masked_value(change.before), masked_value(change.after)
    if _secret_path(change.path):  # a credential's value (an entry or mapping is masked inside)
        changed = change.action is FieldAction.CHANGED

        def hide(value: object, which: str) -> object:
            if isinstance(value, (dict, list)):
                return value
            return f"{MASK} ({which})" if changed else MASK

        before, after = hide(before, "before"), hide(after, "after")
    return ShownChange(change.path, change.action, before, after, change.line)


def text(value: object, limit: int = SHORT) -> str:
    """One line: strings as they are, anything else as JSON; cut at `limit` characters."""
    if isinstance(value, str):
        out = value
    else:
        out = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    out = out.replace("\r", " ").replace("\n", "⏎")
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _tail(before: str, after: str) -> str:
    """`after` from the separator before where it starts to differ from `before`
    (`docker.io/x/aim:0.8.5` -> `docker.io/x/aim:0.8.6` reads `…:0.8.6`)."""
    common = 0
    for x, y in zip(before, after, strict=False):
        if x != y:
            break
        common += 1
    cut = max(after.rfind(sep, 0, common + 1) for sep in "/:@")
    return "…" + after[cut:] if cut >= 12 else after


class Arrow(Struct, frozen=True):
    """`before → after` of one field, short."""

    before: str | None  # None: the field is new
    after: str | None  # None: the field is gone


def arrow(change: ShownChange, limit: int = SHORT) -> Arrow:
    if change.action is FieldAction.ADDED:
        return Arrow(None, text(change.after, limit))
    if change.action is FieldAction.REMOVED:
        return Arrow(text(change.before, limit), None)
    before, after = text(change.before, limit), text(change.after, limit)
    if isinstance(change.before, str) and isinstance(change.after, str):
        after = text(_tail(change.before, change.after), limit)
    return Arrow(before, after)


def plain(change: ShownChange, arrow_text: str = "->", limit: int = SHORT,
          short_path: bool = False) -> str:
    """`spec.image: a -> b`, `spec.env[name=X]: added (v)`, `spec.x: removed (was v)`."""
    path = change.path.removeprefix("spec.") if short_path else change.path
    shown_arrow = arrow(change, limit)
    if shown_arrow.before is None:
        return f"{path}: added ({shown_arrow.after})"
    if shown_arrow.after is None:
        return f"{path}: removed (was {shown_arrow.before})"
    return f"{path}: {shown_arrow.before} {arrow_text} {shown_arrow.after}"
