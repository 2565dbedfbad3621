"""The fuzzing suite's long mode: tests/unit/test_fuzz.py with many more cases.

Usage: python benchmarks/fuzz.py [--examples N]   (default 500 per property)
Prints the pytest summary and, last, one JSON line: properties, cases, seconds, result.
`make test` runs the same properties with 25 cases each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500)
    args = parser.parse_args()
    env = {**os.environ, "AIMSYNC_FUZZ_EXAMPLES": str(args.examples)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/test_fuzz.py", "--hypothesis-show-statistics"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - start
    print(done.stdout.splitlines()[-1] if done.stdout else done.stderr[-2000:])
    cases = sum(int(n) for n in re.findall(r"- (\d+) passing, \d+ failing", done.stdout))
    properties = len(re.findall(r"^tests/unit/test_fuzz.py::", done.stdout, re.MULTILINE))
    print(json.dumps({
        "benchmark": "fuzz", "examplesPerProperty": args.examples, "properties": properties,
        "cases": cases, "seconds": round(seconds, 1),
        "result": "passed" if done.returncode == 0 else "failed",
    }))
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
