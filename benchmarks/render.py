"""Benchmark: load + validate + resolve + render a generated repository.

Usage: python benchmarks/render.py [--services N] [--profiles N] [--repeat K]
Default 1,000 services and 300 profiles; prints best and median wall time, and the time of
the stages after validation.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from generate import generate

from aimsync.core.facts import ClusterFacts
from aimsync.load.repository import load_repository
from aimsync.render.render import CacheState, render
from aimsync.resolve.resolver import resolve_all
from aimsync.validate import validate_repository


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
            validation = validate_repository(load_repository(root))
            assert validation.ok, validation.findings.sorted()[:3]
            middle = time.perf_counter()
            _, resolutions = resolve_all(validation.specs, ClusterFacts.unknown())
            desired = render(validation.specs, resolutions, CacheState(assume_ready=True))
            end = time.perf_counter()
            objects = len(desired.objects)
            total.append(end - start)
            after_validate.append(end - middle)
        print(
            f"render {args.services} services + {args.profiles} profiles -> {objects} objects: "
            f"best {min(total):.2f} s, median {statistics.median(total):.2f} s "
            f"(resolve + render alone: best {min(after_validate):.2f} s) over {args.repeat} runs"
        )


if __name__ == "__main__":
    main()
