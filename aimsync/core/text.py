"""Values inside messages: quoted, on one line, and short (a 500 KB label value is cut)."""

from __future__ import annotations

MAX_SHOWN = 80


def shown(value: str, limit: int = MAX_SHOWN) -> str:
    """repr() of `value` (control characters escaped), cut after `limit` characters."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (file names may hold
    them; a finding stays one line)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
