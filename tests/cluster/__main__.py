"""Command line: ``python -m tests.cluster {build,up,down,status}``.

``up`` starts a detached control plane in ``--dir`` (default ``.testcluster``), installs the CRDs,
links the matching kubectl to ``<dir>/bin/kubectl`` and prints the kubeconfig path on stdout
(everything else goes to stderr), so ``export KUBECONFIG=$(python -m tests.cluster up)`` works.
``down`` stops it by PID file and removes the directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.cluster.build import BuildError, ensure_built
from tests.cluster.controlplane import (
    INFO_FILE,
    PID_FILE,
    STATE_MARKER,
    ControlPlane,
    ControlPlaneError,
    is_testcluster_process,
    remove_state_dir,
    stop_process,
)
from tests.cluster.crds import CRDSourceError

DEFAULT_DIR = Path(".testcluster")


def _running_pid(state_dir: Path) -> int | None:
    try:
        pid = int((state_dir / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_testcluster_process(pid) else None


def _err(message: str) -> None:
    print(f"tests.cluster: {message}", file=sys.stderr, flush=True)


def cmd_build(_: argparse.Namespace) -> int:
    binaries = ensure_built()
    _err(f"testcluster: {binaries.testcluster}")
    _err(f"kubectl:     {binaries.kubectl}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    state_dir: Path = args.dir.resolve()
    pid = _running_pid(state_dir)
    if pid is not None and (state_dir / INFO_FILE).is_file():
        _err(f"already running (pid {pid})")
        print(state_dir / "kubeconfig")
        return 0
    if state_dir.exists():
        if pid is not None:
            stop_process(pid)
        if any(state_dir.iterdir()) and not (state_dir / STATE_MARKER).is_file():
            _err(f"{state_dir} exists and was not created by tests.cluster; refusing to use it")
            return 2
        remove_state_dir(state_dir)
    started = time.monotonic()
    binaries = ensure_built()
    plane = ControlPlane(binaries, state_dir, detach=True, remove_state_on_stop=False)
    try:
        access = plane.start()
        ready = time.monotonic()
        applied = plane.install_crds()
    except BaseException:
        plane.stop()
        remove_state_dir(state_dir)
        raise
    kubectl_link = state_dir / "bin" / "kubectl"
    kubectl_link.parent.mkdir(exist_ok=True)
    kubectl_link.symlink_to(binaries.kubectl)
    _err(
        f"up: {access.server} (pid {plane.process.pid if plane.process else '?'}); "
        f"ready after {ready - started:.1f} s, {len(applied)} CRDs installed after "
        f"{time.monotonic() - started:.1f} s"
    )
    _err(f"kubectl: {kubectl_link}; unprivileged kubeconfig: {access.unprivileged_kubeconfig}")
    _err(f"log: {state_dir / 'testcluster.log'}; stop with: python -m tests.cluster down")
    print(access.kubeconfig)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state_dir: Path = args.dir.resolve()
    pid = _running_pid(state_dir)
    if pid is not None:
        stop_process(pid)
        _err(f"stopped pid {pid}")
    else:
        _err("not running")
    remove_state_dir(state_dir)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state_dir: Path = args.dir.resolve()
    pid = _running_pid(state_dir)
    if pid is None:
        _err("not running")
        return 1
    _err(f"running (pid {pid}); kubeconfig: {state_dir / 'kubeconfig'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster",
        description="Real kube-apiserver + etcd test control plane for aimsync.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build (or find cached) testcluster and kubectl binaries")
    for name, text in (
        ("up", "start a detached control plane, install CRDs, print the kubeconfig path"),
        ("down", "stop the control plane started by `up` and remove its directory"),
        ("status", "exit 0 if the control plane started by `up` is running"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "--dir", type=Path, default=DEFAULT_DIR, help=f"state directory (default {DEFAULT_DIR})"
        )
    args = parser.parse_args(argv)
    handlers = {"build": cmd_build, "up": cmd_up, "down": cmd_down, "status": cmd_status}
    try:
        return handlers[args.command](args)
    except (BuildError, ControlPlaneError, CRDSourceError, TimeoutError) as exc:
        _err(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
