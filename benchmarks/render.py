"""Benchmark: what `aimsync render --assume-caches-ready` does, through the same pipeline
entries: load + validate, resolve + render, gate, and the manifests as YAML.

Usage: python benchmarks/render.py [--services N] [--profiles N] [--repeat K]
Default 1,000 services and 300 profiles; prints best and median wall time, and the time of
resolve + render alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from generate import generate

from aimsync.core.facts import ClusterFacts
from aimsync.pipeline import derive, validated_repository
from aimsync.render.gating import CacheState
from aimsync.report.manifests import manifests_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.services, args.profiles)
        total, after_validate = [], []
        objects = 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            validated = validated_repository(root)
            middle = time.perf_counter()
            derived = derive(validated, ClusterFacts.unknown())
            rendered = time.perf_counter()
            gated = derived.gated(CacheState(assume_ready=True))
            manifests_yaml(gated.objects)
            end = time.perf_counter()
            objects = len(gated.objects)
            total.append(end - start)
            after_validate.append(rendered - middle)
        print(
            f"render {args.services} services + {args.profiles} profiles -> {objects} objects: "
            f"best {min(total):.2f} s, median {statistics.median(total):.2f} s "
            f"(resolve + render alone: best {min(after_validate):.2f} s) over {args.repeat} runs"
        )


if __name__ == "__main__":
    main()
