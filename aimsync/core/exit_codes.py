"""Exit codes: kubectl diff's convention plus aimsync's own (DESIGN.md §7)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # success, nothing to change
    CHANGES = 1  # diff / --dry-run found changes
    INVALID = 2  # invalid input or usage
    FAILURE = 3  # cluster or Git failure (partial work is reported)
    LOCKED = 4  # another run holds the lock
    INTERRUPTED = 130  # stopped by SIGINT (128 + 2), after releasing the lock
    TERMINATED = 143  # stopped by SIGTERM (128 + 15), after releasing the lock
