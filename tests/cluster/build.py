"""Build the test control plane binaries (testcluster, kubectl) into a cache outside the repo.

Binaries live in ``${AIMSYNC_CACHE_DIR:-~/.cache/aimsync}/testcluster/<key>/bin/``. The key hashes
the pinned versions, the link flags, go.mod, go.sum, every .go file of this module and the output
of ``go version``, so any change to one of them produces a fresh build. Go's own module and build
caches stay wherever Go keeps them (GOMODCACHE, GOCACHE).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

MODULE_DIR = Path(__file__).resolve().parent
KUBERNETES_VERSION = "v1.36.3"
KUBERNETES_MAJOR = "1"
KUBERNETES_MINOR = "36"
BINARY_NAMES = ("testcluster", "kubectl")
# Packages whose version variables release builds set with -ldflags -X.
_VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
BUILD_TIMEOUT_SECONDS = float(os.environ.get("AIMSYNC_TESTCLUSTER_BUILD_TIMEOUT", "3600"))


class BuildError(RuntimeError):
    """The Go toolchain is missing or `go build` failed."""


@dataclass(frozen=True)
class Binaries:
    """Paths of the built programs for one build key."""

    key: str
    testcluster: Path
    kubectl: Path

    def exist(self) -> bool:
        return all(os.access(p, os.X_OK) for p in (self.testcluster, self.kubectl))


def cache_root() -> Path:
    """``$AIMSYNC_CACHE_DIR`` or ``~/.cache/aimsync``."""
    configured = os.environ.get("AIMSYNC_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "aimsync"


def go_executable() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "the Go toolchain (go >= 1.26) is needed to build the test control plane; "
            "`go` is not on PATH"
        )
    return go


def ldflags() -> str:
    flags = ["-s", "-w"]
    for package in _VERSION_PACKAGES:
        flags += [
            f"-X {package}.gitVersion={KUBERNETES_VERSION}",
            f"-X {package}.gitMajor={KUBERNETES_MAJOR}",
            f"-X {package}.gitMinor={KUBERNETES_MINOR}",
            f"-X {package}.gitTreeState=clean",
            f"-X {package}.buildDate=1970-01-01T00:00:00Z",
        ]
    return " ".join(flags)


def _source_files() -> list[Path]:
    files = [MODULE_DIR / "go.mod", MODULE_DIR / "go.sum"]
    files += sorted(p for p in MODULE_DIR.rglob("*.go") if p.is_file())
    return files


def build_key(go: str | None = None) -> str:
    """Hash of everything that determines the build output."""
    go = go or go_executable()
    go_version = subprocess.run(
        [go, "version"], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    digest = hashlib.sha256()
    for part in (KUBERNETES_VERSION, ldflags(), go_version, "CGO_ENABLED=0", "-trimpath"):
        digest.update(part.encode() + b"\0")
    for path in _source_files():
        digest.update(path.relative_to(MODULE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def binaries_for_key(key: str) -> Binaries:
    bin_dir = cache_root() / "testcluster" / key / "bin"
    return Binaries(key=key, testcluster=bin_dir / "testcluster", kubectl=bin_dir / "kubectl")


def ensure_built(log: TextIO = sys.stderr) -> Binaries:
    """Return the cached binaries, building them first if this key has none yet."""
    go = go_executable()
    binaries = binaries_for_key(build_key(go))
    if binaries.exist():
        return binaries
    key_dir = binaries.testcluster.parent.parent
    key_dir.mkdir(parents=True, exist_ok=True)
    with (key_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per key, also across processes
        if binaries.exist():
            return binaries
        _go_build(go, key_dir, log)
    return binaries


def _go_build(go: str, key_dir: Path, log: TextIO) -> None:
    staging = key_dir / f"bin.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    env = dict(os.environ, CGO_ENABLED="0")
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -mod=readonly").strip()
    command = [
        go,
        "build",
        "-trimpath",
        "-ldflags",
        ldflags(),
        "-o",
        str(staging) + os.sep,
        *(f"./cmd/{name}" for name in BINARY_NAMES),
    ]
    print(
        f"tests.cluster: building kube-apiserver {KUBERNETES_VERSION} + etcd + kubectl into "
        f"{key_dir} (a cold build takes about 6-9 min on 2 cores)...",
        file=log,
        flush=True,
    )
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            cwd=MODULE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"go build did not finish within {BUILD_TIMEOUT_SECONDS:.0f} s") from exc
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"go build failed ({result.returncode}):\n{result.stderr[-4000:]}")
    final = key_dir / "bin"
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    print(
        f"tests.cluster: build finished in {time.monotonic() - started:.0f} s",
        file=log,
        flush=True,
    )
