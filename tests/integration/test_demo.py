"""`make demo`, the README's first command, as on a fresh machine: a clean copy of the
repository (what `git clone` gives: tracked and new files, nothing ignored), an empty HOME, no
git configuration; `make demo` makes its own virtual environment (.venv) and installs aimsync
into it. The demo
starts its own control plane (not the test session's); only the build cache of the control
plane binaries (~/.cache/aimsync, AIMSYNC_CACHE_DIR) and pip's and Go's download caches are
reused, as CI caches them. The cluster the demo leaves running is stopped with the command it
prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.cluster import new_api_client
from tests.cluster import request as kube_request

ROOT = Path(__file__).resolve().parents[2]
# Installing (from pip's cache), starting the control plane, four syncs: one to three
# minutes; a cold build of the control plane (6-9 minutes) happens here when the cache lacks
# it, hence more than pytest's default 600 s for the test that sets the demo up.
DEMO_TIMEOUT = 1800.0
STOP_TIMEOUT = 120.0
pytestmark = [pytest.mark.integration, pytest.mark.timeout(DEMO_TIMEOUT + 2 * STOP_TIMEOUT)]


def clean_copy(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():  # a tracked file deleted in the work tree is not in the copy
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)


def fresh_machine_env(home: Path) -> dict[str, str]:
    """An empty HOME and no git configuration; the caches CI keeps stay reachable."""
    real_home = Path(os.environ.get("HOME", "~")).expanduser()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "AIMSYNC_CACHE_DIR": os.environ.get(
            "AIMSYNC_CACHE_DIR", str(real_home / ".cache/aimsync")),
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(real_home / ".cache/pip")),
    }
    if go := shutil.which("go"):
        for variable in ("GOCACHE", "GOMODCACHE", "GOPATH"):
            env[variable] = os.environ.get(variable) or subprocess.run(
                [go, "env", variable], capture_output=True, text=True, check=True, timeout=60,
            ).stdout.strip()
    return env


@dataclass
class DemoRun:
    result: subprocess.CompletedProcess[str]
    folder: Path  # DEMO_DIR
    env: dict[str, str]  # the fresh machine's

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "cluster/kubeconfig"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    base = tmp_path_factory.mktemp("demo")
    clone, home, folder = (base / n for n in ("clone", "home", "demo-dir"))
    clean_copy(clone)
    home.mkdir()
    venv = clone / ".venv"  # what `make demo` creates
    env = fresh_machine_env(home)
    make = shutil.which("make")
    assert make, "make is not installed"
    result = subprocess.run(
        [make, "demo", f"PYTHON={sys.executable}", f"DEMO_DIR={folder}"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=DEMO_TIMEOUT, check=False,
    )
    run = DemoRun(result, folder, env)
    try:
        yield run
    finally:
        stop = re.search(r"^  (cd .* -m tests\.cluster down --dir .*)$", result.stdout, re.M)
        command = stop.group(1) if stop else (
            f"cd {clone} && {venv / 'bin/python'} -m tests.cluster down --dir {folder / 'cluster'}"
        )
        subprocess.run(["sh", "-c", command], env=env, timeout=STOP_TIMEOUT, check=False)


def test_make_demo_passes_from_a_clean_copy_with_an_empty_home(demo: DemoRun) -> None:
    assert demo.result.returncode == 0, demo.output[-6000:]
    assert "==> Done." in demo.result.stdout


def test_the_demo_says_which_missing_components_it_plays(demo: DemoRun) -> None:
    assert "as their kubelets would (no kubelet runs here)" in demo.result.stdout
    assert "No Job controller runs here" in demo.result.stdout
    assert "No KServe controller runs here" in demo.result.stdout


def test_the_demo_syncs_downloads_first_then_the_inference_services(demo: DemoRun) -> None:
    first, second = demo.result.stdout.split("$ aimsync sync repo-layout")[1:3]

    def created(kind: str, output: str) -> int:
        return len(re.findall(rf"^\S+ +\S+ +{kind} +create +created ", output, re.M))

    assert created("Job", first) == 4 and created("InferenceService", first) == 0
    assert created("InferenceService", second) == 4


def test_the_demo_leaves_the_services_running_and_the_status_written(demo: DemoRun) -> None:
    with new_api_client(demo.kubeconfig) as api:
        listed = kube_request(api, "GET", "/apis/serving.kserve.io/v1beta1/inferenceservices")
    assert len(listed["items"]) == 4
    status = demo.folder / "repo-layout/status/namespaces/ml-team/services/qwen-chat.yaml"
    report = next(yaml.safe_load_all(status.read_text()))
    assert report["status"]["status"] == "Running"
    table = demo.result.stdout.split("$ aimsync status repo-layout")[1]
    assert len(re.findall(r"^AIMService .* Running ", table, re.M)) == 4


def test_the_demo_says_how_to_look_around_and_how_to_stop(demo: DemoRun) -> None:
    kubectl = f"{demo.folder / 'cluster/bin/kubectl'} --kubeconfig {demo.kubeconfig} get"
    assert kubectl in demo.result.stdout
    assert f"-m tests.cluster down --dir {demo.folder / 'cluster'}" in demo.result.stdout


def test_the_commands_it_prints_to_look_around_work(demo: DemoRun) -> None:
    printed = demo.result.stdout.split("look around:\n", 1)[1].split("\n\n  Edit a spec")[0]
    commands = [line.strip() for line in printed.splitlines() if line.strip()]
    assert len(commands) >= 5
    for command in commands:
        ran = subprocess.run(["sh", "-c", command], env=demo.env, cwd=demo.folder,
                             capture_output=True, text=True, timeout=STOP_TIMEOUT, check=False)
        assert ran.returncode == 0, f"{command}: {ran.stdout}{ran.stderr}"
