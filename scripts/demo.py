"""`make demo`: aimsync's main job, end to end, on a real Kubernetes API server on this machine.

Usage: python scripts/demo.py [--dir DIR]     (make demo [DEMO_DIR=DIR])

1. starts the bundled kube-apiserver + etcd (tests/cluster: built once from the Kubernetes Go
   modules, 6-9 minutes, then cached in ~/.cache/aimsync; needs Go >= 1.26), with the KServe,
   Gateway API, KEDA and AIM CRDs installed;
2. registers three nodes (two with AMD MI300X GPUs, one CPU-only), as their kubelets would;
3. copies repo-layout/ to DIR/repo-layout and runs `aimsync validate` and `aimsync sync`
   there: namespaces, model-cache PVCs and download Jobs are created, the InferenceServices
   wait for their caches;
4. plays the Job controller (the downloads succeeded) and `sync`s again: the profile
   ConfigMaps and InferenceServices are created;
5. plays KServe (the InferenceServices are Ready), `sync --write-status` writes the status
   reports into DIR/repo-layout/status/, `aimsync status` shows them;
6. prints how to look around and how to stop the cluster, which keeps running.

Only etcd and kube-apiserver run: no kube-controller-manager, scheduler, kubelet or KServe.
Where the demo plays one of them it says so; every aimsync step is the real command against
the real API server. DIR defaults to <temp>/aimsync-demo-<uid>; a demo cluster still running
there is stopped first, so every demo starts from an empty cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cluster.controllers import job_succeeded_status  # noqa: E402

DEFAULT_DIR = Path(tempfile.gettempdir()) / f"aimsync-demo-{os.getuid()}"
NODES = ROOT / "tests/fixtures/nodes.yaml"
BUILD_AND_START_TIMEOUT = 3600.0  # a cold build of kube-apiserver takes 6-9 minutes
STEP_TIMEOUT = 600.0
READY = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}


class DemoFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def aimsync_command() -> str:
    beside = Path(sys.executable).parent / "aimsync"
    found = str(beside) if beside.is_file() else shutil.which("aimsync")
    if found is None:
        raise DemoFailed("aimsync is not installed: run `make demo` (it installs it first)")
    return found


class Demo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cluster = folder / "cluster"
        self.kubeconfig = self.cluster / "kubeconfig"
        self.kubectl = self.cluster / "bin" / "kubectl"
        self.aimsync = aimsync_command()
        self.env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def run(self, shown: list[str], argv: list[str], *, ok: tuple[int, ...] = (0,)) -> None:
        """Run a command the reader could type (shown), in DIR, its output as it comes."""
        print(f"$ {shlex.join(shown)}", flush=True)
        result = subprocess.run(argv, cwd=self.folder, env=self.env, timeout=STEP_TIMEOUT,
                                check=False)
        if result.returncode not in ok:
            raise DemoFailed(f"`{shlex.join(shown)}` exited {result.returncode}")

    def aimsync_run(self, *args: str, ok: tuple[int, ...] = (0,)) -> None:
        self.run(["aimsync", *args], [self.aimsync, *args], ok=ok)

    def kubectl_json(self, *args: str) -> dict[str, Any]:
        result = subprocess.run([str(self.kubectl), *args, "-o", "json"], env=self.env,
                                capture_output=True, text=True, timeout=STEP_TIMEOUT,
                                check=False)
        if result.returncode != 0:
            raise DemoFailed(f"kubectl {shlex.join(args)}: {result.stderr.strip()}")
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def kubectl_run(self, *args: str) -> None:
        self.run(["kubectl", *args], [str(self.kubectl), *args])

    def patch_status(
        self, kind: str, objects: list[dict[str, Any]], variable: str, status: dict[str, Any]
    ) -> None:
        """What the missing controller would write: a merge patch of the status subresource."""
        body = json.dumps(status)
        print(f"$ {variable}={shlex.quote(body)}", flush=True)
        for obj in objects:
            namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
            args = ["-n", namespace, "patch", kind, name, "--subresource=status", "--type=merge"]
            self.run(["kubectl", *args, "-p", f"${variable}"],
                     [str(self.kubectl), *args, "-p", body])

    def cluster_command(self, *args: str, timeout: float = STEP_TIMEOUT) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "tests.cluster", *args, "--dir", str(self.cluster)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False,
        )
        if result.returncode != 0:
            raise DemoFailed(f"python -m tests.cluster {args[0]} exited {result.returncode}")
        return result.stdout.strip()

    def start_cluster(self) -> None:
        if shutil.which("go") is None:
            raise DemoFailed("the bundled control plane is built with Go >= 1.26: install Go "
                             "(see tests/cluster/README.md)")
        if (self.cluster / "testcluster.pid").is_file():
            say("Stopping the previous demo cluster (every demo starts from an empty one)")
            self.cluster_command("down")
        say("Starting a real kube-apiserver + etcd (tests/cluster) with the KServe, Gateway "
            "API, KEDA and AIM CRDs. The first run builds them from the Kubernetes Go modules "
            "(6-9 minutes, cached in ~/.cache/aimsync); later runs start in about 10 s.")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cluster_command("up", timeout=BUILD_AND_START_TIMEOUT)
        print(f"KUBECONFIG={self.kubeconfig} for the commands below", flush=True)

    def register_nodes(self) -> None:
        say("Registering three nodes, as their kubelets would (no kubelet runs here): "
            "gpu-node-1 (8 x MI300X), gpu-node-2 (1 x MI300X), cpu-node-1 (EPYC)")
        self.kubectl_run("create", "-f", str(NODES))

    def copy_repository(self) -> Path:
        copy = self.folder / "repo-layout"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(ROOT / "repo-layout", copy)
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "specs"]):
            subprocess.run(["git", "-c", "user.name=aimsync demo",
                            "-c", "user.email=demo@localhost", *args],
                           cwd=copy, check=True, timeout=STEP_TIMEOUT)
        say(f"The GitOps repository: a copy of repo-layout/ in {copy} (a Git repository of "
            "one commit, so that the status says which revision it reflects)")
        self.aimsync_run("validate", "repo-layout")
        return copy

    def first_sync(self) -> None:
        say("sync: namespaces, model-cache PVCs and download Jobs; the InferenceServices wait "
            "until their caches are downloaded")
        self.aimsync_run("sync", "repo-layout", "--create-namespaces")

    def play_downloads(self) -> None:
        jobs = self.kubectl_json("get", "jobs", "--all-namespaces")["items"]
        say(f"No Job controller runs here (no kube-controller-manager, no pods): the demo marks "
            f"the {len(jobs)} download Jobs succeeded by patching their status, as the tests "
            "do (tests/cluster/controllers.py)")
        self.patch_status("job", jobs, "SUCCEEDED", job_succeeded_status())

    def second_sync(self) -> None:
        say("sync again: the caches are ready, so the profile ConfigMaps and the KServe "
            "InferenceServices are created")
        self.aimsync_run("sync", "repo-layout")

    def play_kserve(self) -> None:
        services = self.kubectl_json("get", "inferenceservices", "--all-namespaces")["items"]
        say(f"No KServe controller runs here: the demo marks the {len(services)} "
            "InferenceServices Ready by patching their status, as the tests do")
        self.patch_status("inferenceservice", services, "READY", READY)

    def status(self) -> None:
        say("sync --write-status: nothing left to change; the status reports (what the AIM "
            "Engine operator would write) go to repo-layout/status/")
        self.aimsync_run("sync", "repo-layout", "--write-status")
        say("aimsync status: the reports as a table (no cluster needed)")
        self.aimsync_run("status", "repo-layout")

    def stop_command(self) -> str:
        down = [sys.executable, "-m", "tests.cluster", "down", "--dir", str(self.cluster)]
        return f"cd {shlex.quote(str(ROOT))} && {shlex.join(down)}"

    def look_around(self) -> None:
        flags = f"--kubeconfig {shlex.quote(str(self.kubeconfig))}"
        kubectl = f"{shlex.quote(str(self.kubectl))} {flags}"
        repo = shlex.quote(str(self.folder / "repo-layout"))
        nodes = shlex.quote(str(self.folder / "nodes.yaml"))
        on_path = shutil.which("aimsync") == self.aimsync
        aimsync = "aimsync" if on_path else shlex.quote(self.aimsync)
        print(f"""
==> Done. The cluster keeps running; look around:

  {kubectl} get inferenceservices,jobs,pvc,configmaps -n ml-team
  {kubectl} get inferenceservices -A
  {aimsync} diff {repo} {flags}
  {kubectl} get nodes -o yaml > {nodes}
  {aimsync} explain {repo} ml-team/qwen-chat --cluster-facts {nodes}
  ls {repo}/status

  Edit a spec there (replicas in namespaces/ml-team/services/qwen-chat.yaml, say), then run
  `aimsync diff` and `aimsync sync` on it as above.

Stop the cluster (this removes {shlex.quote(str(self.cluster))}):

  {self.stop_command()}
""", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"where the cluster and the repository copy go ({DEFAULT_DIR})")
    options = parser.parse_args(argv)
    try:
        demo = Demo(options.dir.resolve())
        demo.start_cluster()
        demo.register_nodes()
        demo.copy_repository()
        demo.first_sync()
        demo.play_downloads()
        demo.second_sync()
        demo.play_kserve()
        demo.status()
        demo.look_around()
    except (DemoFailed, subprocess.TimeoutExpired) as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
