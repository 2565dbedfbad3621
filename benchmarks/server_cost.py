"""Benchmark: what a created object costs the API server, by kind and by way of writing it
(issue 16, item 5: where the floor of a cold run is, and how close aimsync is to it).

Usage: python benchmarks/server_cost.py [--services N] [--profiles N] [--repeat K]

The generated repository (benchmarks/generate.py, 1,000 services by default) is rendered as
`aimsync render --assume-caches-ready` would (with the ApplySet part-of label aimsync adds),
once per way of writing, each time into namespaces of its own on one fresh kube-apiserver +
etcd (tests/cluster). Every object of one kind is then created, and the CPU time of the
control-plane process (kube-apiserver and etcd are one process here) is read before and
after, less what the idle server used over the same time (measured first). The ways:

* aimsync         - what `aimsync sync` sends: one server-side apply PATCH per object
                    (`application/apply-patch+yaml`, fieldManager aimsync, fieldValidation
                    Strict), 8 at a time (its default --concurrency);
* aimsync, 2      - the same with --concurrency 2 (as many requests in flight as the server
                    has cores here);
* kubectl         - `kubectl apply --server-side -f FILE` of the same objects (its discovery
                    and OpenAPI requests included: they are part of what it costs the server);
* create (floor)  - a plain POST of the same object, 8 at a time: the cheapest request that
                    creates it (no apply patch to parse, no apply field set to merge; the
                    server still records managedFields for the Update). Nothing can create
                    the object for less server work than this.

The last line is one JSON object: per kind and way, objects, request bytes per object and
server CPU milliseconds per object (median of --repeat runs of the kind, each into fresh
namespaces).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sync import (
    FACTS,
    NAMESPACES,
    SYSTEM_NAMESPACE,
    cluster,
    create_namespace,
    make_repository,
    process_cpu,
    say,
    warm_up,
)

from aimsync.core.applyset import applyset_id
from aimsync.core.objects import DesiredObject
from aimsync.kube.client import KubeClient
from aimsync.kube.resources import RESOURCES
from aimsync.kube.ssa.apply import server_side_apply
from aimsync.pipeline import facts_from_file, render_repository
from aimsync.plan.membership import with_membership
from aimsync.render.gating import CacheState
from aimsync.report.manifests import manifests_yaml

KINDS = ("PersistentVolumeClaim", "Job", "ConfigMap", "InferenceService", "HTTPRoute",
         "ScaledObject")
WAYS = ("aimsync", "aimsync, 2", "kubectl", "create (floor)")
IDLE_SECONDS = 5.0


def rendered(root: Path) -> list[DesiredObject]:
    gated = render_repository(root, facts=facts_from_file(FACTS)).gated(
        CacheState(assume_ready=True)
    )
    label = applyset_id("aimsync-inventory", SYSTEM_NAMESPACE, "ConfigMap", "")
    return with_membership(gated.objects, label)


def apply_all(kube: KubeClient, objects: list[DesiredObject], concurrency: int) -> None:
    def one(obj: DesiredObject) -> None:
        server_side_apply(kube, obj.key, obj.manifest, field_manager="aimsync")

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, objects))


def create_all(kube: KubeClient, objects: list[DesiredObject]) -> None:
    def one(obj: DesiredObject) -> None:
        resource = RESOURCES[obj.key.kind]
        kube.request("POST", resource.collection_path(obj.key.namespace), body=obj.manifest,
                     query=[("fieldManager", "aimsync")])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, objects))


def kubectl_all(kubectl: Path, kubeconfig: Path, objects: list[DesiredObject],
                work: Path) -> None:
    manifests = work / "kubectl.yaml"
    manifests.write_text(manifests_yaml(objects))
    done = subprocess.run(
        [str(kubectl), "--kubeconfig", str(kubeconfig), "--cache-dir", str(work / "cache"),
         "apply", "--server-side", "-f", str(manifests)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"kubectl failed: {done.stderr[-2000:]}")


def write(way: str, objects: list[DesiredObject], kube: KubeClient, kubectl: Path,
          kubeconfig: Path, work: Path) -> None:
    if way == "aimsync":
        apply_all(kube, objects, 8)
    elif way == "aimsync, 2":
        apply_all(kube, objects, 2)
    elif way == "kubectl":
        kubectl_all(kubectl, kubeconfig, objects, work)
    else:
        create_all(kube, objects)


def measure(server_pid: int, idle_rate: float, action: Callable[[], None]) -> float:
    """Server CPU seconds the action cost, less the idle server's over the same time."""
    before, start = process_cpu(server_pid), time.perf_counter()
    action()
    time.sleep(0.5)  # let the watch cache and etcd finish what the last writes started
    after, wall = process_cpu(server_pid), time.perf_counter() - start
    assert before is not None and after is not None
    return max(0.0, after - before - idle_rate * wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="aimsync-server-cost-") as tmp, \
            cluster(None, None) as (kubeconfig, kubectl, server_pid):
        assert server_pid is not None
        work = Path(tmp)
        kube = KubeClient.connect(kubeconfig, pool_size=8)
        warm_up(kube, ["default"])
        before, start = process_cpu(server_pid), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        after = process_cpu(server_pid)
        assert before is not None and after is not None
        idle_rate = (after - before) / (time.perf_counter() - start)
        say(f"idle server: {idle_rate * 1000:.1f} ms of CPU per second")
        for repeat in range(args.repeat):
            for way_index, way in enumerate(WAYS):
                # Fresh namespaces for every (repeat, way): every object is a create.
                prefix = f"r{repeat}w{way_index}-"
                repo = work / f"repo-{prefix}"
                make_repository(repo, args.services, args.profiles, prefix)
                for i in range(NAMESPACES):
                    create_namespace(kube, f"{prefix}{i}")
                objects = rendered(repo)
                for kind in KINDS:
                    of_kind = [o for o in objects if o.key.kind == kind]
                    if not of_kind:
                        continue
                    seconds = measure(server_pid, idle_rate, lambda objs=of_kind, w=way:
                                      write(w, objs, kube, kubectl, kubeconfig, work))
                    entry = results.setdefault(kind, {}).setdefault(
                        way, {"objects": len(of_kind), "msPerObject": [],
                              "bytesPerObject": round(statistics.mean(
                                  len(json.dumps(o.manifest)) for o in of_kind))},
                    )
                    entry["msPerObject"].append(seconds * 1000 / len(of_kind))
                say(f"repeat {repeat + 1}, {way}: done")
        kube.close()
    print_table(results)
    summary = {
        "benchmark": "server-cost",
        "services": args.services,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "loadAverage": [round(x, 2) for x in os.getloadavg()],
        "idleServerMsPerSecond": round(idle_rate * 1000, 2),
        "kinds": {
            kind: {way: {**e, "msPerObject": round(statistics.median(e["msPerObject"]), 2)}
                   for way, e in ways.items()}
            for kind, ways in results.items()
        },
    }
    print(json.dumps(summary))


def print_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    header = ["kind", "objects", "bytes", *[f"{w} ms" for w in WAYS], "aimsync / floor"]
    rows = [header]
    for kind, ways in results.items():
        ms = {w: statistics.median(e["msPerObject"]) for w, e in ways.items()}
        first = next(iter(ways.values()))
        floor = ms.get("create (floor)")
        rows.append([kind, str(first["objects"]), str(first["bytesPerObject"]),
                     *[f"{ms[w]:.2f}" if w in ms else "-" for w in WAYS],
                     f"{ms['aimsync'] / floor:.2f}x" if floor else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print()
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print("\nServer CPU (kube-apiserver + etcd) per created object, median of the repeats, "
          "idle CPU subtracted.\n", file=sys.stdout)


if __name__ == "__main__":
    main()
