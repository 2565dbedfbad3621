"""What every request of a run checks before it is sent, and how long it may take.

A request is not sent once the run was asked to stop (a signal), after its deadline, or — for
a write — when the run cannot prove it still holds its Lease; a write may take at most the
time the Lease is still valid for. The run's own Lease requests are exempt (they must still
release it). After a few requests in a row found the API server unreachable the circuit
opens: the run ends with one finding instead of one per object.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aimsync.core.halt import STOP, DeadlineExceeded, Halted, StopRequest
from aimsync.kube.errors import ConnectionFailed

CONNECT_TIMEOUT = 5.0  # seconds to open a connection
READ_TIMEOUT = 30.0  # seconds to wait for an answer (watches and waits poll: none is longer)
EXEMPT_TIMEOUT = 3.0  # the run's own Lease requests: short, they run while it ends
BREAKER_THRESHOLD = 3  # requests in a row that found no API server


class ApiUnreachable(ConnectionFailed, Halted):
    """The API server did not answer several requests in a row: the run stops (exit 3)."""


@dataclass
class RequestGuard:
    deadline: float | None = None  # time.monotonic() value
    timeout_seconds: float | None = None  # the --timeout the deadline came from
    # Seconds the run's Lease is still valid for; raises when it cannot prove it holds it.
    fence: Callable[[], float] | None = None
    stop: StopRequest = STOP
    clock: Callable[[], float] = time.monotonic
    _unreachable: int = 0
    _last_failure: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before(self, write: bool, exempt: bool) -> tuple[float, float]:
        """(connect, read) timeouts for a request about to be sent; raises Halted when it
        must not be sent."""
        if exempt:
            return CONNECT_TIMEOUT, EXEMPT_TIMEOUT
        self.stop.check()
        with self._lock:
            if self._unreachable >= BREAKER_THRESHOLD:
                raise ApiUnreachable(
                    f"the API server did not answer {self._unreachable} requests in a row; "
                    f"the run stops (last: {self._last_failure})"
                )
        read = READ_TIMEOUT
        if self.deadline is not None:
            left = self.deadline - self.clock()
            if left <= 0:
                raise DeadlineExceeded(self.timeout_seconds or 0)
            read = min(read, left)
        if write and self.fence is not None:
            read = min(read, self.fence())
        return min(CONNECT_TIMEOUT, read), max(read, 0.1)

    def check(self) -> None:
        """Raises Halted when the run must stop (between requests, e.g. while it waits)."""
        self.before(write=False, exempt=False)

    def answered(self) -> None:
        with self._lock:
            self._unreachable = 0

    def unreachable(self, message: str) -> None:
        with self._lock:
            self._unreachable += 1
            self._last_failure = message
