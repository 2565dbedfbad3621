"""CustomResourceDefinitions for the test control plane, read from pinned Go modules.

``crds.lock.json`` names each module, its version, the module's ``h1:`` sum and, per file, its
sha256. The module is fetched with ``go mod download -json MODULE@VERSION`` (which goes through
the Go module proxy and checks the checksum database). An entry with ``vendoredDir`` (a version
the proxy does not serve) is read from that directory of this repository instead. Every file is
verified against its sha256 before use. Parsed CRDs are cached as JSON in the cache directory,
keyed by the file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.cluster.build import MODULE_DIR, cache_root, go_executable

LOCK_FILE = MODULE_DIR / "crds.lock.json"
DOWNLOAD_TIMEOUT_SECONDS = 600.0

# The C loader parses the 2 MB InferenceService CRD ~10x faster; PyYAML may lack libyaml.
_YAMLLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CRDSourceError(RuntimeError):
    """A pinned module could not be fetched or a file does not match its pin."""


@dataclass(frozen=True)
class LockedFile:
    module: str
    version: str
    path: str
    sha256: str
    module_sum: str | None = None  # fetched through the Go module proxy
    vendored_dir: Path | None = None  # or read from this directory in the repository


def locked_files(lock_file: Path = LOCK_FILE) -> list[LockedFile]:
    data = json.loads(lock_file.read_text())
    files: list[LockedFile] = []
    for entry in data["modules"]:
        vendored = entry.get("vendoredDir")
        for file in entry["files"]:
            files.append(
                LockedFile(
                    module=entry["module"],
                    version=entry["version"],
                    path=file["path"],
                    sha256=file["sha256"],
                    module_sum=entry.get("moduleSum"),
                    vendored_dir=lock_file.parent / vendored if vendored else None,
                )
            )
    return files


def download_module(module: str, version: str, expected_sum: str) -> Path:
    """Fetch MODULE@VERSION into the Go module cache and return its directory."""
    env = dict(os.environ)
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -mod=mod").strip()
    # Run outside any go.mod so the download does not depend on (or touch) a module.
    with tempfile.TemporaryDirectory(prefix="aimsync-gomod-") as workdir:
        result = subprocess.run(
            [go_executable(), "mod", "download", "-json", f"{module}@{version}"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_TIMEOUT_SECONDS,
        )
    try:
        info: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        info = {}
    if result.returncode != 0 or "Error" in info or "Dir" not in info:
        detail = info.get("Error") or result.stderr.strip()
        raise CRDSourceError(f"go mod download {module}@{version} failed: {detail}")
    if info.get("Sum") != expected_sum:
        raise CRDSourceError(
            f"{module}@{version}: module sum {info.get('Sum')} != pinned {expected_sum}"
        )
    return Path(info["Dir"])


def _cached_json_path(sha256: str) -> Path:
    return cache_root() / "crds" / f"{sha256}.json"


def _parse_crds(data: bytes, origin: str) -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.load_all(data, Loader=_YAMLLoader) if doc]
    crds = [doc for doc in documents if doc.get("kind") == "CustomResourceDefinition"]
    if not crds:
        raise CRDSourceError(f"{origin} holds no CustomResourceDefinition")
    return crds


def load_crds(lock_file: Path = LOCK_FILE) -> list[dict[str, Any]]:
    """All pinned CRDs as dicts, verified against the lock file."""
    crds: list[dict[str, Any]] = []
    module_dirs: dict[tuple[str, str], Path] = {}
    for locked in locked_files(lock_file):
        cached = _cached_json_path(locked.sha256)
        if cached.is_file():
            crds.extend(json.loads(cached.read_text()))
            continue
        if locked.vendored_dir is not None:
            source_dir = locked.vendored_dir
        else:
            if locked.module_sum is None:
                raise CRDSourceError(f"{locked.module}@{locked.version}: no moduleSum pinned")
            key = (locked.module, locked.version)
            if key not in module_dirs:
                module_dirs[key] = download_module(locked.module, locked.version, locked.module_sum)
            source_dir = module_dirs[key]
        data = (source_dir / locked.path).read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        origin = f"{locked.module}@{locked.version}/{locked.path}"
        if actual != locked.sha256:
            raise CRDSourceError(f"{origin}: sha256 {actual} != pinned {locked.sha256}")
        parsed = _parse_crds(data, origin)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(parsed))
        tmp.replace(cached)
        crds.extend(parsed)
    return crds


def crd_names(crds: list[dict[str, Any]]) -> list[str]:
    return [str(crd["metadata"]["name"]) for crd in crds]
