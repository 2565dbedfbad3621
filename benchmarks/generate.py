"""A generated repository for benchmarks: N services over M cluster profiles."""

from __future__ import annotations

from pathlib import Path

NAMESPACES = 10


def generate(root: Path, services: int, profiles: int) -> None:
    cluster = root / "cluster" / "profiles"
    cluster.mkdir(parents=True)
    for i in range(profiles):
        (cluster / f"profile-{i}.yaml").write_text(
            f"""\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMClusterProfile
metadata:
  name: profile-{i}
  labels:
    team.example.com/owner: platform
spec:
  aimId: org/model-{i % 50}
  modelId: org/model-{i % 50}-fp8
  engine: vllm
  metric: {"throughput" if (i // 50) % 2 else "latency"}
  precision: fp8
  type: optimized
  primary: {"true" if i % 7 == 0 else "false"}
  image: docker.io/amdenterpriseai/aim-model-{i % 50}:0.8.5
  acceleratorType: gpu
  acceleratorModel: MI300X
  acceleratorCount: {1 + i % 4}
  engineArgs:
    gpu-memory-utilization: 0.9
  modelSources:
    - modelId: org/model-{i % 50}-fp8
      sourceUri: hf://org/model-{i % 50}-fp8
      size: 40Gi
"""
        )
    for i in range(services):
        folder = root / "namespaces" / f"team-{i % NAMESPACES}" / "services"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 2:
            profile = f"    name: profile-{i % profiles}"
        else:
            profile = f"    selector:\n      aimId: org/model-{i % 50}\n      metric: latency"
        (folder / f"service-{i}.yaml").write_text(
            f"""\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMService
metadata:
  name: service-{i}
spec:
  profile:
{profile}
  replicas: {1 + i % 3}
  env:
    - name: LOG_LEVEL
      value: info
  routing:
    enabled: true
    gatewayRef:
      name: gateway
      namespace: gateways
"""
        )
