"""SIGTERM and SIGINT during an online run: stop cleanly (DESIGN.md §7).

The first signal asks the run to stop: no request is sent after it (the one in flight ends
within its timeout), the Lease is released, what was done is reported, and the process exits
143 (SIGTERM) or 130 (SIGINT). A second signal stops at once. The handlers are set only while
a run talks to the cluster, so that Ctrl-C still ends an offline command immediately; with a
handler set, Python as PID 1 (a container without an init) stops on SIGTERM too.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from aimsync.core.halt import SIGNAL_EXIT_CODES, STOP, Interrupted


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (an embedding program's choice)
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if STOP.requested:
            raise Interrupted(signum)  # the second one: stop now
        STOP.request(signum)

    previous = {sig: signal.signal(sig, handle) for sig in SIGNAL_EXIT_CODES}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
