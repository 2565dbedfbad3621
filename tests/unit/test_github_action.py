"""The composite action's and the pull-request workflow's shell steps, run as GitHub runs
them: bash, the step's `env:` with its expressions filled in, `GITHUB_*` variables and files
(event payload, step summary, outputs), the workspace a clone of a bare remote. What GitHub
itself provides is replaced: actions/setup-python by this Python, `gh` by a stand-in for
the comments API that keeps comments in a file.

The runner itself (expressions, variables, files) is tests/github_runner.py.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.build import cache_root
from tests.git_support import git
from tests.github_runner import (
    ACTION,
    PR_WORKFLOW,
    ROOT,
    SPECS,
    Runner,
    evaluate,
    run_action,
)

UNREACHABLE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster:
    server: https://127.0.0.1:1
users:
- name: robot
  user:
    token: tok-5be1c0ffee-never-shown
contexts:
- name: nowhere
  context: {cluster: nowhere, user: robot}
current-context: nowhere
"""


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A bare remote with main (the base) and a pull-request branch that edits a service;
    (remote, base commit, head commit)."""
    top = tmp_path_factory.mktemp("remote")
    work = top / "author"
    shutil.copytree(ROOT / "repo-layout", work / SPECS)
    (work / "README.md").write_text("models\n")
    git(top, "init", "-q", "-b", "main", str(work))
    git(work, "add", "-A")
    git(work, "commit", "-qm", "base")
    base = git(work, "rev-parse", "HEAD").strip()
    git(work, "checkout", "-q", "-b", "bigger-chat")
    service = work / SPECS / "namespaces/ml-team/services/qwen-chat.yaml"
    service.write_text(service.read_text().replace("replicas: 2", "replicas: 3"))
    git(work, "commit", "-qam", "qwen-chat: three replicas")
    head = git(work, "rev-parse", "HEAD").strip()
    bare = top / "models.git"
    git(top, "clone", "-q", "--bare", str(work), str(bare))
    return bare, base, head


def locked_wheelhouse() -> Path:
    """The wheels of the lock files, downloaded once per lock (with their hashes checked)
    into the test cache, so the install step runs without the index: what it does is the
    same, the index's answers are what is left out (about half its time)."""
    locks = [ROOT / "requirements.lock", ROOT / "requirements-build.lock"]
    key = hashlib.sha256(
        b"".join(lock.read_bytes() for lock in locks) + sys.version.encode()
    ).hexdigest()[:16]
    folder = cache_root() / "tools" / f"action-wheels-{key}"
    done = folder / ".complete"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".action-wheels-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--require-hashes", "--only-binary=:all:", "--dest", str(folder),
                 *(part for lock in locks for part in ("-r", str(lock)))],
                check=True, capture_output=True, text=True, timeout=900,
            )
            done.write_text("")
    return folder


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The action's install step, run once for real: the locked dependencies with their
    hashes into a virtual environment, aimsync from this checkout (the wheels from
    locked_wheelhouse, as from the index)."""
    temp = tmp_path_factory.mktemp("runner-install")
    runner = Runner(temp, temp, {})
    runner.env["PIP_NO_INDEX"] = "1"
    runner.env["PIP_FIND_LINKS"] = str(locked_wheelhouse())
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    context = {"inputs": {}, "steps": {"python.python-path": sys.executable},
               "runner": {"temp": str(temp)}, "extra": {}}
    env = {k: evaluate(v, context) for k, v in step["env"].items()}
    code, outputs, log = runner.run(step["run"], env)
    assert code == 0, log
    assert Path(outputs["bin"], "aimsync").exists()
    return {"install.bin": outputs["bin"]}


@pytest.fixture
def runner(remote: tuple[Path, str, str], tmp_path: Path) -> Runner:
    """actions/checkout of the pull request's head with fetch-depth: 0."""
    bare, base, head = remote
    workspace = tmp_path / "work" / "models"
    git(tmp_path, "clone", "-q", str(bare), str(workspace))
    git(workspace, "checkout", "-q", head)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    event = {"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}}
    return Runner(workspace, temp, event)


def test_validate_annotates_files_from_the_repository_root(
    runner: Runner, venv: dict[str, str]
) -> None:
    broken = runner.workspace / SPECS / "namespaces/ml-team/services/qwen-chat.yaml"
    broken.write_text(broken.read_text().replace("replicas: 3", "replicas: three"))
    result = run_action(runner, {"command": "validate", "path": SPECS}, venv)
    assert result.code == 2  # the step fails
    assert result.outputs["exit-code"] == "2"
    assert (f"::error file={SPECS}/namespaces/ml-team/services/qwen-chat.yaml,line="
            in result.log)


def test_validate_of_a_valid_repository(runner: Runner, venv: dict[str, str]) -> None:
    result = run_action(runner, {"command": "validate", "path": SPECS}, venv)
    assert (result.code, result.outputs["exit-code"], result.outputs["changes"]) == (0, "0", "0")


def test_diff_writes_the_comment_the_reports_the_summary_and_the_outputs(
    runner: Runner, venv: dict[str, str]
) -> None:
    base = runner.event["pull_request"]["base"]["sha"]  # type: ignore[index]
    comment = runner.temp / "aimsync-diff" / "comment.md"
    result = run_action(runner, {"command": "diff", "path": SPECS, "base-ref": str(base),
                                 "comment-file": str(comment)}, venv)
    assert result.code == 0, result.log  # changes are a success...
    assert result.outputs["exit-code"] == "1"  # ...that the exit code still tells
    assert result.outputs["changes"] == "1"  # replicas change the InferenceService only
    text = comment.read_text()
    assert text.startswith("<!-- aimsync-diff -->\n")
    spec = (ROOT / "repo-layout/namespaces/ml-team/services/qwen-chat.yaml").read_text()
    line = spec.splitlines().index("  replicas: 2") + 1
    assert f"`{SPECS}/namespaces/ml-team/services/qwen-chat.yaml:{line}`" in text
    assert "| ~ | `ml-team/qwen-chat` | replicas `2` → `3`" in text
    assert result.outputs["comment-file"] == str(comment)
    assert Path(result.outputs["report-file"]).read_text().count("<details><summary><code>") == 1
    assert Path(result.outputs["report-html"]).read_text().startswith("<!DOCTYPE html>")
    assert "replicas `2` → `3`" in runner.summary.read_text()  # the job summary
    changed = json.loads(re.findall(r"<!-- aimsync-diff-stats (.*) -->", text)[0])["changed"]
    assert str(changed) == result.outputs["changes"]


def test_diff_fails_the_step_on_changes_when_asked(runner: Runner, venv: dict[str, str]) -> None:
    base = runner.event["pull_request"]["base"]["sha"]  # type: ignore[index]
    result = run_action(runner, {"command": "diff", "path": SPECS, "base-ref": str(base),
                                 "fail-on-changes": "true"}, venv)
    assert (result.code, result.outputs["exit-code"]) == (1, "1")


def test_diff_without_changes(runner: Runner, venv: dict[str, str]) -> None:
    result = run_action(runner, {"command": "diff", "path": SPECS, "base-ref": "HEAD"}, venv)
    assert (result.code, result.outputs["exit-code"], result.outputs["changes"]) == (0, "0", "0")


def test_an_unknown_command_is_an_input_error(runner: Runner, venv: dict[str, str]) -> None:
    result = run_action(runner, {"command": "apply"}, venv)
    assert (result.code, result.outputs["exit-code"]) == (2, "2")
    assert "::error title=aimsync::command must be validate, diff or sync" in result.log


def test_sync_that_cannot_reach_the_cluster_fails_the_step_with_exit_3(
    runner: Runner, venv: dict[str, str]
) -> None:
    result = run_action(runner, {"command": "sync", "path": SPECS,
                                 "kubeconfig": UNREACHABLE_KUBECONFIG}, venv)
    assert (result.code, result.outputs["exit-code"], result.outputs["changes"]) == (3, "3", "0")
    assert "cannot reach the API server" in result.log
    assert "tok-5be1c0ffee-never-shown" not in result.log
    assert not (runner.temp / "aimsync" / "kubeconfig").exists()  # removed after the step


def test_sync_of_an_invalid_repository_fails_the_step_with_exit_2(
    runner: Runner, venv: dict[str, str]
) -> None:
    broken = runner.workspace / SPECS / "namespaces/ml-team/services/qwen-chat.yaml"
    broken.write_text(broken.read_text().replace("replicas: 3", "replicas: three"))
    result = run_action(runner, {"command": "sync", "path": SPECS,
                                 "kubeconfig": UNREACHABLE_KUBECONFIG}, venv)
    assert (result.code, result.outputs["exit-code"], result.outputs["changes"]) == (2, "2", "0")


FAKE_GH = """\
#!{python}
# A stand-in for `gh api` on the issue-comments endpoints, comments kept in a JSON file.
import json, re, sys
store = {store!r}
args = sys.argv[1:]
assert args[0] == "api", args
comments = json.load(open(store)) if __import__("os").path.exists(store) else []
method = args[args.index("--method") + 1] if "--method" in args else "GET"
path = next(a for a in args[1:] if a.startswith("repos/"))
jq = args[args.index("--jq") + 1] if "--jq" in args else ""
body = None
if "-F" in args:
    field = args[args.index("-F") + 1]
    assert field.startswith("body=@"), field
    body = open(field[len("body=@"):]).read()
if method == "GET":
    prefix = re.search(r'startswith\\("(.*)"\\)', jq).group(1)
    for c in comments:
        if c["body"].startswith(prefix):
            print(c["id"])
elif method == "POST":
    comments.append({{"id": 100 + len(comments), "body": body}})
    print("https://github.com/example/models/pull/7#issuecomment-%d" % comments[-1]["id"])
elif method == "PATCH":
    number = int(path.rsplit("/", 1)[1])
    for c in comments:
        if c["id"] == number:
            c["body"] = body
    print("https://github.com/example/models/pull/7#issuecomment-%d" % number)
json.dump(comments, open(store, "w"))
"""


def test_the_comment_job_keeps_one_comment_per_kind(runner: Runner, tmp_path: Path) -> None:
    job = PR_WORKFLOW["jobs"]["comment"]
    step = next(s for s in job["steps"] if "run" in s)
    store = tmp_path / "comments.json"
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable, store=str(store)))
    gh.chmod(0o755)
    comments = runner.temp / "comments"
    (comments / "aimsync-diff").mkdir(parents=True)
    context = {"inputs": {}, "steps": {}, "runner": {"temp": str(runner.temp)}, "extra": {
        "github.token": "ghs_test", "github.repository": "example/models",
        "github.event.pull_request.number": "7"}}
    env = {k: evaluate(v, context) for k, v in step["env"].items()}
    for round_, text in enumerate(("first diff", "second diff")):
        (comments / "aimsync-diff" / "comment.md").write_text(
            f"<!-- aimsync-diff -->\n### aimsync diff\n{text}\n")
        if round_:  # the live diff joins in the second run
            (comments / "aimsync-live").mkdir()
            (comments / "aimsync-live" / "comment.md").write_text(
                "<!-- aimsync-diff -->\n### aimsync diff: repository → cluster\nlive\n")
        code, _, log = runner.run(step["run"], env, extra_path=bin_dir)
        assert code == 0, log
    kept = json.loads(store.read_text())
    assert [c["id"] for c in kept] == [100, 101]  # edited in place, not stacked
    assert kept[0]["body"] == "<!-- aimsync-diff -->\n### aimsync diff\nsecond diff\n"
    assert kept[1]["body"].startswith("<!-- aimsync-diff-live -->\n### aimsync diff: repository")
    assert kept[1]["body"].count("<!-- aimsync-diff") == 1
