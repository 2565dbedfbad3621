"""The composite action and the workflows are clean for actionlint (with shellcheck on every
`run:` script, the action's too) and zizmor (offline audits; no finding left that is not
ignored on its line with a reason). The linters are pinned and installed into a cache
outside the repository on first use (tests/unit/workflow_tools.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from tests.unit import workflow_tools

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
HASH_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def test_actionlint_reports_nothing() -> None:
    shellcheck = workflow_tools.shellcheck()
    result = subprocess.run(
        [str(workflow_tools.actionlint()), "-no-color", "-shellcheck", str(shellcheck),
         *map(str, WORKFLOWS)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_reports_nothing_on_the_action_scripts(tmp_path: Path) -> None:
    action = yaml.safe_load(ACTION.read_text())
    scripts = []
    for index, step in enumerate(action["runs"]["steps"]):
        if "run" in step:
            script = tmp_path / f"step-{index}.sh"
            script.write_text("#!/usr/bin/env bash\n" + step["run"])
            scripts.append(str(script))
    assert scripts
    result = subprocess.run([str(workflow_tools.shellcheck()), "--shell=bash", *scripts],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_reports_nothing() -> None:
    result = subprocess.run(
        [str(workflow_tools.zizmor()), "--offline", "--no-progress", "--format", "plain",
         str(ACTION), str(ROOT / ".github" / "workflows")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def _uses(document: object) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "uses" and isinstance(value, str):
                found.append(value)
            else:
                found += _uses(value)
    elif isinstance(document, list):
        for item in document:
            found += _uses(item)
    return found


def test_every_action_is_pinned_by_commit_with_its_version_beside_it() -> None:
    for path in [ACTION, *WORKFLOWS]:
        text = path.read_text()
        for uses in _uses(yaml.safe_load(text)):
            if uses.startswith("./"):
                continue  # aimsync's own checkout
            assert HASH_PIN.match(uses), f"{path.name}: {uses} is not pinned by commit"
            assert re.search(re.escape(uses) + r" # v\d+\.\d+\.\d+\b", text), (
                f"{path.name}: {uses} has no `# vX.Y.Z` comment")


def test_every_workflow_starts_without_permissions_or_with_read_only_ones() -> None:
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow.get("permissions") in ({}, {"contents": "read"}), path.name
        for name, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            writes = {scope for scope, level in granted.items() if level == "write"}
            assert writes <= {"pull-requests", "contents"}, (path.name, name, writes)


def _readme_workflows() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Use it in GitHub"):]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_the_readme_has_the_two_workflows_to_copy() -> None:
    called = [yaml.safe_load(text)["jobs"]["aimsync"]["uses"] for text in _readme_workflows()]
    assert [uses.split("@")[0].rsplit("/", 1)[1] for uses in called] == [
        "aimsync-pull-request.yml", "aimsync-sync.yml"]
    for uses in called:  # they name workflows this repository ships
        assert (ROOT / ".github" / "workflows" / uses.split("@")[0].rsplit("/", 1)[1]).exists()


def test_actionlint_reports_nothing_on_the_readme_workflows(tmp_path: Path) -> None:
    files = []
    for index, text in enumerate(_readme_workflows()):
        pinned = text.replace("<owner>", "example").replace("<commit>", "0" * 40)
        path = tmp_path / ".github" / "workflows" / f"readme-{index}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pinned)
        files.append(str(path))
    result = subprocess.run([str(workflow_tools.actionlint()), "-no-color", *files],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
