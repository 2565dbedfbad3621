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

from generate import generate

from aimsync.load.repository import load_repository
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
