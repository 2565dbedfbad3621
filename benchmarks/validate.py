"""Benchmark: load + validate a generated repository (default 1,000 services, 300 profiles).

Usage: python benchmarks/validate.py [--services N] [--profiles N] [--repeat K]
Prints the best and median wall time of `load_repository` + `validate_repository`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from aimsync.load.repository import load_repository
from aimsync.validate import validate_repository

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
  metric: {"latency" if i % 2 else "throughput"}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.services, args.profiles)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = validate_repository(load_repository(root))
            times.append(time.perf_counter() - start)
            assert result.ok, result.findings.sorted()[:5]
        print(
            f"validate {args.services} services + {args.profiles} profiles "
            f"({result.specs.count()} objects): best {min(times):.2f} s, "
            f"median {statistics.median(times):.2f} s over {args.repeat} runs"
        )


if __name__ == "__main__":
    main()
