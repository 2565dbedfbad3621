"""GitHub Actions' runner, for tests of the composite action's and the workflows' shell
steps: bash as GitHub runs a `run:` step (`bash -e` with pipefail), the step's `env:` with its
expressions filled in, the `GITHUB_*` variables and files (event payload, step summary,
outputs). Only the expressions the files use are understood (inputs, step outputs, the action
path, runner.temp, the github/secrets values a test passes); any other expression fails the
test, so the files cannot quietly depend on more."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
PR_WORKFLOW = yaml.safe_load((ROOT / ".github/workflows/aimsync-pull-request.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SPECS = "deploy/aim"  # the specs are not at the repository root


@dataclass
class Runner:
    """One job's runner: its temp folder, workspace and GITHUB_* files."""

    workspace: Path
    temp: Path
    event: dict[str, object]
    summary: Path = field(init=False)
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.summary = self.temp / "step-summary.md"
        event_path = self.temp / "event.json"
        event_path.write_text(json.dumps(self.event))
        self.env = {
            "PATH": os.environ["PATH"], "HOME": str(self.temp / "home"),
            "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": "example/models", "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242", "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
        }
        (self.temp / "home").mkdir(exist_ok=True)

    def run(self, script: str, env: dict[str, str], extra_path: Path | None = None
            ) -> tuple[int, dict[str, str], str]:
        """A `run:` step with `shell: bash` (GitHub's `bash -e {0}` with -o pipefail)."""
        outputs = self.temp / f"output-{len(list(self.temp.glob('output-*')))}"
        outputs.write_text("")
        step_env = {**self.env, **env, "GITHUB_OUTPUT": str(outputs)}
        if extra_path is not None:
            step_env["PATH"] = f"{extra_path}:{step_env['PATH']}"
        script_file = self.temp / "step.sh"
        script_file.write_text(script)
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=self.workspace, env=step_env, capture_output=True, text=True, timeout=600,
        )
        values = dict(
            line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line
        )
        return result.returncode, values, result.stdout + result.stderr


def evaluate(value: object, context: dict[str, dict[str, str]]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return context["inputs"][parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return context["steps"].get(f"{parts[1]}.{parts[3]}", "")
        if expression == "github.action_path":
            return str(ROOT)
        if parts[0] == "runner" and parts[1] == "temp":
            return context["runner"]["temp"]
        if parts[0] in ("github", "secrets") and expression in context["extra"]:
            return context["extra"][expression]
        raise AssertionError(f"an expression this test does not know: {expression}")

    return EXPRESSION.sub(one, str(value))


@dataclass
class ActionRun:
    code: int
    outputs: dict[str, str]
    log: str


def run_action(runner: Runner, inputs: dict[str, str], venv: dict[str, str],
               extra: dict[str, str] | None = None) -> ActionRun:
    """The action's steps in order, as the runner would run them; the install step's
    outputs come from `venv` (installed once per module by the real install step)."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    context: dict[str, dict[str, str]] = {
        "inputs": {**defaults, **inputs}, "steps": {}, "runner": {"temp": str(runner.temp)},
        "extra": dict(extra or {}),
    }
    context["steps"]["python.python-path"] = sys.executable  # actions/setup-python
    context["steps"].update(venv)
    code, outputs, log = 0, {}, ""
    for step in ACTION["runs"]["steps"]:
        if "uses" in step or step.get("id") == "install":
            continue
        env = {k: evaluate(v, context) for k, v in step.get("env", {}).items()}
        code, outputs, log = runner.run(step["run"], env)
        for key, value in outputs.items():
            context["steps"][f"{step['id']}.{key}"] = value
        if code != 0:
            break
    resolved = {
        name: evaluate(spec["value"], context) for name, spec in ACTION["outputs"].items()
    }
    return ActionRun(code, resolved, log)
