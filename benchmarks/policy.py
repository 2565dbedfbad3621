"""Benchmark: what the baseline policies (repo-layout/policies/) add to `aimsync validate`.

A generated repository of 1,000 services over 300 cluster profiles (benchmarks/generate.py,
every service with a team label), validated without and with the baseline policies, as
`aimsync validate` runs (pipeline.check_repository: load -> validate, and -> policy with
policies/). The policy stage computes each expression once per distinct input it reads, and
the generated specs read much alike (one env, one team, 50 images): the stage alone is also
measured on a copy where no two objects read alike (every env value, team and image its own),
its worst case. Also the per-evaluation cost of the CEL engines compared for the choice:
common-expression-language (cel-rust) and cel-python (pure Python), when the latter is
installed.

Usage: python benchmarks/policy.py [--services N] [--profiles N] [--repeat K] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from generate import generate

from aimsync.cli import one_shot_process
from aimsync.core.facts import ClusterFacts
from aimsync.findings import Findings
from aimsync.load.repository import load_repository
from aimsync.pipeline import check_repository
from aimsync.policy import check_policies, read_policy_set
from aimsync.validate import validate_repository

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "repo-layout" / "policies"


def _label_services(root: Path) -> None:
    for path in (root / "namespaces").glob("*/services/*.yaml"):
        text = path.read_text()
        path.write_text(text.replace("metadata:\n", "metadata:\n  labels:\n    team: ml\n", 1))


def _with_policies(root: Path) -> None:
    (root / "policies").mkdir()
    for path in BASELINE.glob("*.yaml"):
        if not path.name.endswith(".test.yaml"):
            shutil.copy(path, root / "policies" / path.name)
    budget = root / "policies" / "gpu-budget.yaml"
    budget.write_text(budget.read_text().replace("[ml-team]", "[team-0]")
                      .replace("maxUnits: 16", "maxUnits: 100000"))


def _all_distinct(root: Path) -> None:
    """No two objects alike in what the baseline policies read."""
    for i, path in enumerate(sorted((root / "namespaces").glob("*/services/*.yaml"))):
        path.write_text(path.read_text().replace("team: ml", f"team: ml-{i}")
                        .replace("value: info", f"value: info-{i}"))
    for i, path in enumerate(sorted((root / "cluster" / "profiles").glob("*.yaml"))):
        text = path.read_text().replace(":0.8.5", f":0.8.{i}")
        path.write_text(text.replace("sourceUri: hf://org/", f"sourceUri: hf://org{i}/"))


# CPU time of this process: other work on the same 2 cores does not count (wall time is
# printed too).
CLOCK = time.process_time


def _validate(root: Path) -> float:
    """`aimsync validate` as the command runs it (the pipeline's check_repository)."""
    start = CLOCK()
    checked = check_repository(root)
    assert checked.ok, checked.findings.errors[:3]
    return CLOCK() - start


def _validate_with_policies(root: Path) -> tuple[float, float, int]:
    """The same with the baseline policies; and the policy stage alone."""
    start = CLOCK()
    checked = check_repository(root)
    total = CLOCK() - start
    assert checked.ok, checked.findings.errors[:3]
    assert checked.budgets and not any(b.exceeded for b in checked.budgets)
    alone, evaluations = _policy_stage(root)
    return total, alone, evaluations


def _policy_stage(root: Path) -> tuple[float, int]:
    """The policy stage alone: reading policies/, compiling the CEL, resolving for the
    budgets, evaluating every policy on every spec."""
    loaded = load_repository(root)
    result = validate_repository(loaded)
    start = CLOCK()
    found = Findings()
    policies = read_policy_set(loaded.policy_documents, found)
    report = check_policies(policies, result.specs, ClusterFacts.unknown(),
                            sticky=loaded.status.bindings())
    alone = CLOCK() - start
    assert not found.has_errors and report.ok
    evaluations = sum(len(policies.policies) for _ in report.judged)
    return alone, evaluations


def _engines(n: int = 2000) -> dict[str, float]:
    """Microseconds per evaluation of three typical expressions on an AIMService, with the
    object converted once per object (as aimsync does) and the conversion alone."""
    from aimsync.policy.cel import compile_expression, new_context

    obj: dict[str, Any] = {
        "apiVersion": "aim.eai.amd.com/v1alpha2", "kind": "AIMService",
        "metadata": {"name": "svc", "namespace": "team-1", "labels": {"team": "a"}},
        "spec": {"profile": {"name": "p"}, "replicas": 2,
                 "env": [{"name": "LOG_LEVEL", "value": "info"},
                         {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s",
                                                                            "key": "k"}}}]},
    }
    expressions = [
        "object.spec.replicas <= 4",
        "has(object.metadata.labels) && 'team' in object.metadata.labels",
        "object.spec.env.all(e, !has(e.value) || e.name.upperAscii().split('_')"
        ".all(w, w != 'TOKEN'))",
    ]
    out: dict[str, float] = {}
    programs = [compile_expression(e) for e in expressions]
    start = time.perf_counter()
    for _ in range(n):
        context = new_context({"object": obj})
    out["cel-rust: convert one object (us)"] = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for _ in range(n):
        for program in programs:
            program.run(context)
    out["cel-rust: evaluate (us)"] = (time.perf_counter() - start) / (n * len(programs)) * 1e6
    try:
        import celpy  # type: ignore[import-not-found]
    except ImportError:
        return out
    env = celpy.Environment()
    portable = [e.replace("e.name.upperAscii().split('_').all(w, w != 'TOKEN')",
                          "!e.name.contains('TOKEN')") for e in expressions]
    compiled = [env.program(env.compile(e)) for e in portable]
    start = time.perf_counter()
    for _ in range(n):
        activation = {"object": celpy.json_to_cel(obj)}
    out["cel-python: convert one object (us)"] = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for _ in range(n):
        for program in compiled:
            program.evaluate(activation)
    out["cel-python: evaluate (us)"] = (time.perf_counter() - start) / (n * len(compiled)) * 1e6
    rust = [compile_expression(e) for e in portable]
    start = time.perf_counter()
    for _ in range(n):
        for program in rust:
            program.run(context)
    out["cel-rust: evaluate, same expressions (us)"] = (
        (time.perf_counter() - start) / (n * len(rust)) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line at the end")
    args = parser.parse_args()
    # As the command runs (aimsync.cli.main): the collector set for a one-shot process.
    with tempfile.TemporaryDirectory() as tmp, one_shot_process():
        plain, policed = Path(tmp) / "plain", Path(tmp) / "policies"
        distinct = Path(tmp) / "distinct"
        for root in (plain, policed, distinct):
            generate(root, args.services, args.profiles)
            _label_services(root)
        _with_policies(policed)
        _with_policies(distinct)
        _all_distinct(distinct)
        _validate(plain), _validate_with_policies(policed)  # warm the caches
        base, full, alone = [], [], []
        evaluations = 0
        for _ in range(args.repeat):  # interleaved: the machine's noise hits both alike
            base.append(_validate(plain))
            total, policy_part, evaluations = _validate_with_policies(policed)
            full.append(total)
            alone.append(policy_part)
        # apart from the A/B runs above, so that they run as they always did
        worst = [_policy_stage(distinct)[0] for _ in range(args.repeat)]
    best_base, best_full = min(base), min(full)
    added = (statistics.median(full) - statistics.median(base)) / statistics.median(base)
    print(f"validate {args.services} services + {args.profiles} profiles (CPU seconds of "
          "this process):")
    print(f"  without policies   best {best_base:.3f} s, median {statistics.median(base):.3f} s")
    print(f"  with the baseline  best {best_full:.3f} s, median {statistics.median(full):.3f} s"
          f" (policies alone: best {min(alone):.3f} s, {evaluations} policy evaluations)")
    print(f"  added: {added * 100:.1f} % (medians), {(best_full - best_base) / best_base * 100:.1f}"
          " % (best)")
    print(f"  policies alone, no two objects alike: best {min(worst):.3f} s, median "
          f"{statistics.median(worst):.3f} s ({min(worst) / best_base * 100:.1f} % of validate's "
          "best)")
    engines = _engines()
    for name, value in engines.items():
        print(f"  {name}: {value:.1f}")
    if args.json:
        print(json.dumps({"services": args.services, "base_median": statistics.median(base),
                          "policies_median": statistics.median(full), "added": added,
                          "policies_alone_best": min(alone),
                          "policies_alone_distinct_best": min(worst), **engines}))


if __name__ == "__main__":
    main()
