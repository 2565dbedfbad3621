"""Helpers for building small repositories in tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aimsync.findings import Finding
from aimsync.load.repository import load_repository
from aimsync.validate import ValidationResult, validate_repository

HEADER = "apiVersion: aim.eai.amd.com/v1alpha2\n"

CLUSTER_PROFILE = """\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMClusterProfile
metadata:
  name: qwen
spec:
  aimId: qwen/qwen3-32b
  image: docker.io/amdenterpriseai/aim-qwen-qwen3-32b:0.8.5
  metric: latency
  precision: fp8
  type: optimized
  acceleratorType: gpu
  acceleratorModel: MI300X
  acceleratorCount: 1
  modelSources:
    - modelId: qwen/qwen3-32b-fp8
      sourceUri: hf://Qwen/Qwen3-32B-FP8
      size: 35Gi
"""


def document(kind: str, name: str, spec: str, *, metadata: str = "") -> str:
    """A document whose `spec:` line is line 5 (so spec fields start at line 6)."""
    return (
        f"{HEADER}kind: {kind}\nmetadata:\n  name: {name}\n"
        + metadata
        + "spec:\n"
        + textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
        + "\n"
    )


def service(spec: str, name: str = "chat", metadata: str = "") -> str:
    return document("AIMService", name, spec, metadata=metadata)


def profile(spec: str, name: str = "team-profile", kind: str = "AIMProfile") -> str:
    return document(kind, name, spec)


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def validate_files(root: Path, files: dict[str, str | bytes]) -> ValidationResult:
    write_repo(root, files)
    return validate_repository(load_repository(root))


def only(findings: list[Finding], field: str) -> Finding:
    matching = [f for f in findings if f.field == field]
    assert len(matching) == 1, f"expected one finding on {field}, got {findings}"
    return matching[0]
