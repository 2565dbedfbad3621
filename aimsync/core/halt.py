"""Why a run stops before it is done: a signal, its deadline, its lost lock, or an API server
that stopped answering. Each is one error for the whole run (never one per object); the
request that meets it is not sent, so nothing is written after it."""

from __future__ import annotations

import signal
import threading

from aimsync.core.errors import AimsyncError
from aimsync.core.exit_codes import ExitCode

SIGNAL_EXIT_CODES = {signal.SIGTERM: ExitCode.TERMINATED, signal.SIGINT: ExitCode.INTERRUPTED}


class Halted(AimsyncError):
    """The run stopped early; what it wrote so far is consistent and the next run goes on."""


class Interrupted(Halted):
    """A signal asked the run to stop (exit 143 for SIGTERM, 130 for SIGINT)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = SIGNAL_EXIT_CODES.get(signal.Signals(signum), ExitCode.FAILURE)
        name = signal.Signals(signum).name
        super().__init__(
            f"stopped by {name} before the next request; the lock is released and the next "
            "run completes the work"
        )


class DeadlineExceeded(Halted):
    """The run's --timeout passed (exit 3)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the run's deadline (--timeout {seconds:g}s) passed; it stopped before the next "
            "request and the next run completes the work"
        )


class WriteInDoubt(Halted):
    """A write was sent and its answer did not come before the run stopped: it may or may
    not have been made (the next run's plan finds out)."""

    def __init__(self, cause: Halted) -> None:
        self.cause = cause
        self.exit_code = cause.exit_code
        super().__init__(str(cause))

    @property
    def headline(self) -> str:
        return self.cause.headline


class StopRequest:
    """A process-wide request to stop, set from a signal handler (which may only set a flag)
    and read before every request."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def request(self, signum: int) -> None:
        self.signum = signum
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self.signum is not None and self._event.is_set():
            raise Interrupted(self.signum)


STOP = StopRequest()  # the process's: the entry point installs the handlers that set it
