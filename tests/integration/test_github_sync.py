"""The composite action's sync step as the reusable sync workflow runs it (`command: sync`,
`args: --commit-status --push`), against the real control plane and a bare remote: the
workspace is a clone of main as actions/checkout leaves it, the kubeconfig comes in as the
contents of a secret, the GITHUB_* variables and files are set as GitHub sets them. The
install step itself (the lock files with their hashes) is run in
tests/unit/test_github_action.py; here the step runs aimsync of this checkout."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.cluster import ClusterAccess
from tests.git_support import git
from tests.github_runner import Runner, run_action
from tests.integration.test_sync import FACTS, repo

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SPECS = "deploy/aim"


@pytest.fixture
def checkout(tmp_path: Path, namespace: str) -> tuple[Path, Path]:
    """(bare remote with the specs under deploy/aim on main, the job's workspace: a clone)."""
    author = tmp_path / "author"
    specs = repo(tmp_path, namespace)
    (author / SPECS).parent.mkdir(parents=True)
    specs.rename(author / SPECS)
    git(tmp_path, "init", "-q", "-b", "main", str(author))
    git(author, "add", "-A")
    git(author, "commit", "-qm", "specs")
    bare = tmp_path / "models.git"
    git(tmp_path, "clone", "-q", "--bare", str(author), str(bare))
    workspace = tmp_path / "work" / "models"
    git(tmp_path, "clone", "-q", "-b", "main", str(bare), str(workspace))
    return bare, workspace


def this_checkout(folder: Path) -> dict[str, str]:
    """What the install step outputs, for aimsync of this checkout in the test's Python."""
    folder.mkdir()
    (folder / "python").symlink_to(sys.executable)
    wrapper = folder / "aimsync"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m aimsync "$@"\n')
    wrapper.chmod(0o755)
    return {"install.bin": str(folder)}


def test_the_sync_step_applies_commits_the_status_and_pushes_it(
    control_plane: ClusterAccess, checkout: tuple[Path, Path], tmp_path: Path
) -> None:
    bare, workspace = checkout
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    head = git(workspace, "rev-parse", "HEAD").strip()
    runner = Runner(workspace, temp, {"ref": "refs/heads/main", "after": head,
                                      "head_commit": {"id": head, "message": "specs"}})
    runner.env["GITHUB_EVENT_NAME"] = "push"
    kubeconfig = control_plane.kubeconfig.read_text()
    assert all(not str(c.get("cluster", {}).get("certificate-authority", "")).startswith(".")
               for c in yaml.safe_load(kubeconfig)["clusters"])
    result = run_action(runner, {
        "command": "sync", "path": SPECS, "kubeconfig": kubeconfig,
        "args": f"--commit-status --push --cluster-facts {FACTS}",
    }, this_checkout(tmp_path / "bin"))
    assert (result.code, result.outputs["exit-code"]) == (0, "0"), result.log
    report = json.loads(result.log[result.log.index("{"):result.log.rindex("}") + 1])
    assert report["objectsWritten"] > 0
    assert result.outputs["changes"] == str(report["objectsWritten"])
    subject = git(bare, "log", "-1", "--format=%an|%s", "main").strip()
    assert subject.startswith("aimsync|") and "[skip ci]" in subject  # the loop guard
    changed = git(bare, "diff", "--name-only", f"{head}..main").split()
    assert changed and all(p.startswith(f"{SPECS}/status/") for p in changed)
    assert not (temp / "aimsync" / "kubeconfig").exists()
