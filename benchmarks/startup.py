"""Benchmark: start-up, as whole processes (issue 16 item 2): `aimsync validate repo-layout`
(the repository of the README's layout section, with its policies) and `aimsync --help`,
next to the interpreter's own start-up (`python -c pass`), run interleaved.

By default the interpreter running this script runs the checkout (its bytecode compiled
first, as an installed aimsync has it). `--python` names another interpreter, e.g. the one
of a virtual environment where aimsync was installed with `pip install .`: that one runs
the aimsync it has installed. Prints a table; the last line is one JSON object.

Usage: python benchmarks/startup.py [--python PATH] [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "aimsync --help": ["-m", "aimsync", "--help"],
    "aimsync validate repo-layout": ["-m", "aimsync", "validate", str(ROOT / "repo-layout")],
}


def run_once(python: str, arguments: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([python, *arguments], cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{python} {' '.join(arguments)} exited {done.returncode}:\n"
                         + done.stderr.decode(errors="replace")[-2000:])
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter to run (default: this one, on the checkout)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    checkout = args.python == sys.executable
    if checkout:
        compileall.compile_dir(str(ROOT / "aimsync"), quiet=1)
    # A checkout is found from its root; an installed aimsync from anywhere else.
    cwd = ROOT if checkout else Path("/")
    load_before = os.getloadavg()
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for arguments in COMMANDS.values():  # once each first: the page cache, not measured
        run_once(args.python, arguments, cwd)
    for _ in range(args.runs):
        for name, arguments in COMMANDS.items():
            walls[name].append(run_once(args.python, arguments, cwd))
    load_after = os.getloadavg()
    print(f"{'command':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s}")
    for name, times in walls.items():
        print(f"{name:32s} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f}")
    print(f"\n{args.runs} runs each, interleaved; {'the checkout' if checkout else args.python}; "
          f"load average {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end, "
          f"on {os.cpu_count()} CPUs.\n")
    print(json.dumps({
        "benchmark": "startup",
        "python": args.python,
        "checkout": checkout,
        "runs": args.runs,
        "loadAverage": {"before": [round(x, 2) for x in load_before],
                        "after": [round(x, 2) for x in load_after]},
        "seconds": {name: {"median": round(statistics.median(times), 3),
                           "min": round(min(times), 3), "max": round(max(times), 3),
                           "all": [round(t, 3) for t in times]}
                    for name, times in walls.items()},
    }))


if __name__ == "__main__":
    main()
