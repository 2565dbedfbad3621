"""Start, check and stop the test control plane (kube-apiserver + embedded etcd).

The Go program ``testcluster`` (cmd/testcluster) does the work; this module runs it in its own
session, waits for ``/readyz`` with a deadline, installs the pinned CRDs and stops it again
(SIGTERM, then SIGKILL after a deadline). A control plane started for a pytest session stops at
``stop()``, at interpreter exit, and - as a last resort - by itself when its parent process dies.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from tests.cluster.build import Binaries, ensure_built
from tests.cluster.crds import load_crds
from tests.cluster.kube import KubeApiError, install_crds, new_api_client, request

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
CRD_TIMEOUT_SECONDS = 120.0
STATE_MARKER = ".aimsync-testcluster"
PID_FILE = "testcluster.pid"
LOG_FILE = "testcluster.log"
INFO_FILE = "info.json"


class ControlPlaneError(RuntimeError):
    """The control plane did not start, did not become ready or could not be reached."""


@dataclass(frozen=True)
class ClusterAccess:
    """What a test needs to talk to the cluster."""

    kubeconfig: Path
    unprivileged_kubeconfig: Path
    server: str
    kubectl: Path | None = None


def _read_info(state_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((state_dir / INFO_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


def _readyz_ok(server: str, ca_file: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca_file))
    try:
        with urllib.request.urlopen(f"{server}/readyz", context=context, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(state_dir: Path, lines: int = 40) -> str:
    try:
        return "\n".join((state_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def is_testcluster_process(pid: int) -> bool:
    """True if ``pid`` is alive and runs our testcluster binary (guards against PID reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(cmdline[0].decode(errors="replace")).name == "testcluster"


def _wait_gone(pid: int, timeout: float, proc: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return True
        elif not is_testcluster_process(pid):
            return True
        time.sleep(0.1)
    return False


def stop_process(
    pid: int, *, timeout: float = STOP_TIMEOUT_SECONDS, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """SIGTERM the testcluster process; SIGKILL its process group if it outlives ``timeout``."""
    if proc is None and not is_testcluster_process(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout, proc):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # started with start_new_session: pgid == pid
    if not _wait_gone(pid, 10.0, proc):
        raise ControlPlaneError(f"testcluster process {pid} survived SIGKILL")


def _mark_state_dir(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / STATE_MARKER).write_text("state directory of tests.cluster; safe to delete\n")


def remove_state_dir(state_dir: Path) -> None:
    """Delete a state directory, but only one that tests.cluster created."""
    if (state_dir / STATE_MARKER).is_file():
        shutil.rmtree(state_dir, ignore_errors=True)


class ControlPlane:
    """One testcluster process with its state directory.

    ``detach=True`` is for ``python -m tests.cluster up``: the process outlives Python and is
    stopped later by PID file. Otherwise it is tied to this interpreter (atexit + parent watch).
    """

    def __init__(
        self,
        binaries: Binaries,
        state_dir: Path | None = None,
        *,
        detach: bool = False,
        remove_state_on_stop: bool | None = None,
    ) -> None:
        self.binaries = binaries
        self.detach = detach
        created = state_dir is None
        self.state_dir = (
            Path(tempfile.mkdtemp(prefix="aimsync-testcluster-"))
            if state_dir is None
            else state_dir.resolve()
        )
        self.remove_state_on_stop = (
            created if remove_state_on_stop is None else remove_state_on_stop
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def unprivileged_kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig-unprivileged"

    def access(self) -> ClusterAccess:
        if self.info is None:
            raise ControlPlaneError("control plane not started")
        return ClusterAccess(
            kubeconfig=self.kubeconfig,
            unprivileged_kubeconfig=self.unprivileged_kubeconfig,
            server=str(self.info["server"]),
            kubectl=self.binaries.kubectl,
        )

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> ClusterAccess:
        """Start the process and wait (deadline ``timeout``) until /readyz answers 200."""
        _mark_state_dir(self.state_dir)
        command = [str(self.binaries.testcluster), "--state-dir", str(self.state_dir)]
        if not self.detach:
            command += ["--exit-with-parent", str(os.getpid())]
            if self.remove_state_on_stop:
                command.append("--remove-state-dir-if-orphaned")
        with (self.state_dir / LOG_FILE).open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our own process group; Ctrl-C is handled by us
            )
        (self.state_dir / PID_FILE).write_text(f"{self.process.pid}\n")
        if not self.detach:
            atexit.register(self.stop)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.access()

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise ControlPlaneError(
                    f"testcluster exited with code {code} during start-up; log tail:\n"
                    f"{_log_tail(self.state_dir)}"
                )
            info = _read_info(self.state_dir)
            if info is not None and _readyz_ok(str(info["server"]), Path(info["caFile"])):
                self.info = info
                return
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"/readyz not 200 within {timeout:.0f} s; log tail:\n"
                    f"{_log_tail(self.state_dir)}"
                )
            time.sleep(0.1)

    def install_crds(self, timeout: float = CRD_TIMEOUT_SECONDS) -> list[str]:
        with new_api_client(self.kubeconfig) as api_client:
            return install_crds(api_client, load_crds(), timeout=timeout)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the process (SIGTERM, SIGKILL after ``timeout``); remove a temporary state dir."""
        if self.process is not None:
            if self.process.poll() is None:
                stop_process(self.process.pid, timeout=timeout, proc=self.process)
            self.process = None
        with contextlib.suppress(ValueError):
            atexit.unregister(self.stop)
        if self.remove_state_on_stop:
            remove_state_dir(self.state_dir)

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def local_cluster(*, install: bool = True) -> Iterator[ClusterAccess]:
    """Build if needed, start a fresh control plane in a temp dir, install CRDs, stop at exit."""
    with ControlPlane(ensure_built()) as plane:
        access = plane.start()
        if install:
            plane.install_crds()
        yield access


# --- an existing cluster (AIMSYNC_TEST_KUBECONFIG) -------------------------------------------

UNPRIVILEGED_NAMESPACE = "aimsync-test-identities"
UNPRIVILEGED_SERVICE_ACCOUNT = "aimsync-unprivileged"


def connect_existing(
    kubeconfig: Path, work_dir: Path, *, timeout: float = CRD_TIMEOUT_SECONDS
) -> ClusterAccess:
    """Use an existing cluster: install missing CRDs, create an identity without RBAC grants.

    The unprivileged identity is a ServiceAccount (no RoleBindings) whose short-lived token
    comes from the TokenRequest API; its kubeconfig is written into ``work_dir``.
    """
    with new_api_client(kubeconfig) as api_client:
        install_crds(api_client, load_crds(), only_missing=True, timeout=timeout)
        token = _service_account_token(api_client)
        configuration = api_client.configuration
        server = str(configuration.host)
        ca_data = (
            Path(configuration.ssl_ca_cert).read_bytes() if configuration.ssl_ca_cert else None
        )
        insecure = not configuration.verify_ssl
    unprivileged = work_dir / "kubeconfig-unprivileged"
    _write_token_kubeconfig(unprivileged, server, ca_data, insecure, token)
    return ClusterAccess(kubeconfig=kubeconfig, unprivileged_kubeconfig=unprivileged, server=server)


def _service_account_token(api_client: client.ApiClient) -> str:
    for path, body in (
        ("/api/v1/namespaces", {"metadata": {"name": UNPRIVILEGED_NAMESPACE}}),
        (
            f"/api/v1/namespaces/{UNPRIVILEGED_NAMESPACE}/serviceaccounts",
            {"metadata": {"name": UNPRIVILEGED_SERVICE_ACCOUNT}},
        ),
    ):
        try:
            request(api_client, "POST", path, body={"apiVersion": "v1", **body})
        except KubeApiError as exc:
            if exc.status != 409:
                raise
    token_request = request(
        api_client,
        "POST",
        f"/api/v1/namespaces/{UNPRIVILEGED_NAMESPACE}/serviceaccounts/"
        f"{UNPRIVILEGED_SERVICE_ACCOUNT}/token",
        body={
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
    )
    return str(token_request["status"]["token"])


def _write_token_kubeconfig(
    path: Path, server: str, ca_data: bytes | None, insecure: bool, token: str
) -> None:
    cluster: dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = base64.b64encode(ca_data).decode()
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "unprivileged",
        "clusters": [{"name": "cluster", "cluster": cluster}],
        "users": [{"name": "unprivileged", "user": {"token": token}}],
        "contexts": [
            {"name": "unprivileged", "context": {"cluster": "cluster", "user": "unprivileged"}}
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig))
    path.chmod(0o600)
