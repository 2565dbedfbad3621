"""The one root of aimsync's errors: each knows its exit code, and the command line maps it
once (DESIGN.md §7). Messages are written for the person running the command."""

from __future__ import annotations

from aimsync.core.exit_codes import ExitCode


class AimsyncError(Exception):
    """Anything that ends a command early."""

    exit_code: ExitCode = ExitCode.FAILURE

    @property
    def headline(self) -> str:
        """The one line the command prints for it."""
        return str(self)


class InvalidInput(AimsyncError):
    """Input or usage the command cannot work with (a missing folder, a bad flag value)."""

    exit_code = ExitCode.INVALID
