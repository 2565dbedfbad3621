"""Faults for the reliability suite: a TCP proxy on loopback that slows, resets, refuses and
stalls connections to the API server, and aimsync runs as separate processes (so they can be
killed, stopped and signalled like a CronJob's pod)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Faults:
    """What the proxy does to each connection (decided per connection, seeded)."""

    delay: float = 0.0  # seconds before each chunk is forwarded (a slow network)
    reset_probability: float = 0.0  # the connection is reset after a random number of bytes
    stall_probability: float = 0.0  # the connection is accepted and never forwarded
    refuse: bool = False  # every new connection is reset at once
    seed: int = 0


@dataclass
class FaultProxy:
    """Raw TCP between aimsync and the API server (TLS passes through untouched)."""

    upstream: tuple[str, int]
    faults: Faults = field(default_factory=Faults)
    connections: int = 0
    resets: int = 0
    stalls: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.faults.seed)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> FaultProxy:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._listener.close()
        for sock in self._sockets:
            _close(sock)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._sockets.append(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        faults = self.faults
        if faults.refuse:
            _reset(client)
            return
        if self._random.random() < faults.stall_probability:
            self.stalls += 1
            return  # held open, never answered: the client's timeout must end it
        reset_after = (
            self._random.randint(200, 20_000)
            if self._random.random() < faults.reset_probability else None
        )
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)
            return
        self._sockets.append(upstream)
        forwarded = 0
        pair = {client: upstream, upstream: client}
        try:
            while not self._stopping.is_set():
                readable, _, _ = select.select(list(pair), [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if faults.delay:
                        time.sleep(faults.delay)
                    forwarded += len(data)
                    if reset_after is not None and forwarded > reset_after:
                        self.resets += 1
                        _reset(client)
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            _close(upstream)
            _close(client)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a middlebox that drops a connection does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


def kubeconfig_through(kubeconfig: Path, port: int, target: Path) -> Path:
    """A copy of `kubeconfig` whose server is the proxy on `port` (same TLS, same name)."""
    data: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    for cluster in data["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    target.write_text(yaml.safe_dump(data))
    return target


def upstream_of(kubeconfig: Path) -> tuple[str, int]:
    data: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    server = data["clusters"][0]["cluster"]["server"]
    host, port = server.removeprefix("https://").rsplit(":", 1)
    return host, int(port)


@dataclass
class Run:
    """An `aimsync` process."""

    process: subprocess.Popen[str]
    started: float

    def wait(self, timeout: float) -> tuple[int, float, str, str]:
        """(exit code, seconds since start, stdout, stderr); kills it after `timeout`."""
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            raise AssertionError(f"aimsync still running after {timeout}s:\n{err}") from None
        return self.process.returncode, time.monotonic() - self.started, out, err

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)


def start_aimsync(*args: str, home: Path, pid_namespace: bool = False) -> Run:
    """`python -m aimsync ARGS` with an empty HOME (as in a pod); in a new PID namespace
    (aimsync is PID 1 there, as in a container without an init) when asked."""
    command = [sys.executable, "-m", "aimsync", *args]
    if pid_namespace:
        command = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", *command]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return Run(process, time.monotonic())


def child_of(pid: int, timeout: float = 10.0) -> int:
    """The first child process of `pid` (the PID-1 process `unshare --fork` starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.02)
    raise AssertionError(f"process {pid} started no child within {timeout}s")


# Linux syscall numbers: a thread blocked on a socket (poll, ppoll, select, pselect6,
# epoll_wait, epoll_pwait, read, recvfrom), and one blocked otherwise: on a lock or an event
# (futex), or in a wait a stop interrupted and the kernel restarts (restart_syscall).
SOCKET_WAITS = {"x86_64": {0, 7, 23, 45, 232, 270, 271, 281}, "aarch64": {22, 63, 72, 73, 207}}
OTHER_WAITS = {"x86_64": {202, 219}, "aarch64": {98, 128}}


def waiting_for_an_answer(pid: int) -> bool:
    """Every thread of process `pid` is blocked, at least one of them on a socket: none is
    running, so none is between a Lease check and a send."""
    machine = os.uname().machine
    socket_waits, other_waits = SOCKET_WAITS[machine], OTHER_WAITS[machine]
    calls = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        first = (task / "syscall").read_text().split()[0]  # "running", or -1 outside one
        calls.append(int(first) if first.isdigit() else None)
    return any(c in socket_waits for c in calls) and all(
        c in socket_waits or c in other_waits for c in calls
    )


@contextlib.contextmanager
def frozen_while_waiting(pid: int, timeout: float = 30.0) -> Iterator[None]:
    """Like `frozen`, at a moment when process `pid` waits for an answer on a socket (a VM
    paused while a request is in flight): watched until it waits, then stopped, and
    continued to be watched again if it moved on before the stop took hold. A stop between
    a Lease check and the send is the limit the README names, not this."""
    deadline = time.monotonic() + timeout

    def stopped() -> bool:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] == "T"

    while True:
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} never waited on a socket within {timeout}s")
        if not waiting_for_an_answer(pid):
            time.sleep(0.0002)
            continue
        os.kill(pid, signal.SIGSTOP)
        while not stopped() and time.monotonic() < deadline:
            time.sleep(0.0002)
        if stopped() and waiting_for_an_answer(pid):
            break
        os.kill(pid, signal.SIGCONT)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def frozen(pid: int) -> Any:
    """A context in which process `pid` is stopped (SIGSTOP), continued after."""

    class _Frozen:
        def __enter__(self) -> None:
            os.kill(pid, signal.SIGSTOP)

        def __exit__(self, *exc: object) -> None:
            os.kill(pid, signal.SIGCONT)

    return _Frozen()


# -- figures for the README ------------------------------------------------------------------

FIGURES_ENV = "AIMSYNC_FAULT_FIGURES"  # a JSON file the suite writes its figures to


@dataclass(frozen=True)
class Figure:
    """One fault scenario as it ran: what was done to aimsync, how the run ended, how long
    it took, and what the next run found."""

    fault: str
    outcome: str
    exit_code: int
    seconds: float


@dataclass
class Figures:
    items: list[Figure] = field(default_factory=list)

    def record(self, fault: str, outcome: str, exit_code: int, seconds: float) -> None:
        self.items.append(Figure(fault, outcome, exit_code, round(seconds, 1)))

    def write(self) -> None:
        """To the file AIMSYNC_FAULT_FIGURES names, merged with what is there (the suite
        may run in several sessions); nothing when it is not set."""
        target = os.environ.get(FIGURES_ENV)
        if not target:
            return
        path = Path(target)
        kept = json.loads(path.read_text()) if path.is_file() else []
        faults = {f.fault for f in self.items}
        rows = [r for r in kept if r["fault"] not in faults]
        rows += [f.__dict__ for f in self.items]
        path.write_text(json.dumps(rows, indent=2) + "\n")


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| fault | what aimsync does | exit | time |", "|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['fault']} | {row['outcome']} | {row['exit_code']} | {row['seconds']} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.faults FIGURES.json: the README's table
    print(markdown_table(json.loads(Path(sys.argv[1]).read_text())))
