"""Fuzzing: whole repositories, settings, status trees, links and Git refs, as hostile or
careless people write them, through the commands people run.

Properties, for every generated case:
- no traceback and no "internal error": every failure is a message and exit 2 (input) or 3;
- the exit code is one the command documents (validate/render/explain/status: 0 or 2; diff:
  0, 1 or 2);
- nothing outside the repository is written, and the offline commands change nothing in it;
- no secret of the environment or of a file outside the repository reaches any output.

`make test` runs a bounded budget (AIMSYNC_FUZZ_EXAMPLES, default 25 cases per property);
`python benchmarks/fuzz.py` runs the long mode and prints the figures.
"""

from __future__ import annotations

import copy
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from aimsync.cli import cli

EXAMPLES = int(os.environ.get("AIMSYNC_FUZZ_EXAMPLES", "25"))
BUDGET = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: cases are costly
    suppress_health_check=list(HealthCheck),
)
SECRET = "fuzz-secret-7f3a9c1e5b"  # in the environment and in a file outside the repository
API = "aim.eai.amd.com/v1alpha2"

PROFILE: dict[str, Any] = {
    "apiVersion": API, "kind": "AIMClusterProfile", "metadata": {"name": "qwen"},
    "spec": {
        "aimId": "qwen/qwen3-32b", "image": "docker.io/amdenterpriseai/aim-qwen:0.8.5",
        "metric": "latency", "precision": "fp8", "type": "optimized", "acceleratorType": "gpu",
        "acceleratorModel": "MI300X", "acceleratorCount": 1,
        "engineEnv": {"HF_TOKEN": "hf_in_the_repo"},
        "modelSources": [{"modelId": "qwen/qwen3-32b-fp8", "sourceUri": "hf://Qwen/Qwen3",
                          "size": "35Gi"}],
    },
}
SERVICE: dict[str, Any] = {
    "apiVersion": API, "kind": "AIMService", "metadata": {"name": "chat"},
    "spec": {"profile": {"name": "qwen"}, "replicas": 1,
             "env": [{"name": "OPENAI_KEY", "value": "sk-in-the-repo"}],
             "routing": {"enabled": True, "gatewayRef": {"name": "gw"}}},
}
CACHE: dict[str, Any] = {
    "apiVersion": API, "kind": "AIMProfileCache", "metadata": {"name": "warm"},
    "spec": {"profileName": "qwen", "profileScope": "Cluster"},
}

# -- strategies --------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["1e1.5", "-10Gi", "0", "8Ei", "1e999999999", "latest", "../../etc",
                     "--upload-pack=x", "\x00", "hf://u:p@h/x", ".nan", "yes", "~"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8,
)


def paths(node: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """`document` with a few values replaced, keys dropped or added."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        targets = [p for p in paths(doc) if p]
        path = draw(st.sampled_from(targets))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "drop" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return doc


def dump(documents: list[Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)


settings_files = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={
        "namespaces": st.lists(st.sampled_from(["team", "other", "Bad_NS", ""]), max_size=2),
        "defaultCacheSize": st.sampled_from(["20Gi", "-5Gi", 0, "1e1.5"]),
        "pvcHeadroomPercent": st.sampled_from([0, 25, -1, "10"]),
        "reclaimFromManagers": st.lists(st.sampled_from(["kubectl", ""]), max_size=2),
        "exclude": st.lists(st.sampled_from(["drafts/**", "**", "["]), max_size=2),
        "limits": st.fixed_dictionaries({}, optional={
            "maxFileBytes": st.sampled_from([100, 1024, 10**6]),
            "maxFiles": st.sampled_from([0, 1, 100]),
        }),
        "unknownSetting": values,
    }).map(lambda d: dump([d])),
    values.map(lambda v: dump([v])),
    st.text(max_size=60),
)

status_files = st.lists(
    st.one_of(
        st.builds(lambda s: dump([{"apiVersion": API, "kind": "AIMService",
                                   "metadata": {"name": "chat", "namespace": "team"},
                                   "status": s}]), values),
        st.just("!!binary AAAA\n"), st.just("[" * 300 + "]" * 300),
        st.just("metadata: [1, 2]\nstatus: 3\n"), st.text(max_size=80),
    ),
    max_size=3,
)

LINKS = ["none", "settings-outside", "spec-outside", "folder-inside", "status-outside",
         "loop", "fifo-spec"]


@st.composite
def repositories(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "profile": draw(mutated(PROFILE)),
        "service": draw(mutated(SERVICE)),
        "cache": draw(mutated(CACHE)),
        "extra": draw(st.one_of(st.none(), st.text(max_size=120), values.map(lambda v: dump([v])))),
        "settings": draw(settings_files),
        "status": draw(status_files),
        "link": draw(st.sampled_from(LINKS)),
    }


# -- the harness -------------------------------------------------------------------------


def write(root: Path, outside: Path, case: dict[str, Any]) -> None:
    files = {
        "cluster/profiles/qwen.yaml": dump([case["profile"]]),
        "namespaces/team/services/chat.yaml": dump([case["service"]]),
        "namespaces/team/caches/warm.yaml": dump([case["cache"]]),
    }
    if case["extra"] is not None:
        files["namespaces/team/services/extra.yaml"] = case["extra"]
    if case["settings"] is not None:
        files["aimsync.yaml"] = case["settings"]
    for index, text in enumerate(case["status"]):
        files[f"status/namespaces/team/services/s{index}.yaml"] = text
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    link = case["link"]
    if link == "settings-outside":
        (root / "aimsync.yaml").unlink(missing_ok=True)
        (root / "aimsync.yaml").symlink_to(outside / "credentials.yaml")
    elif link == "spec-outside":
        (root / "namespaces/team/services/leak.yaml").symlink_to(outside / "credentials.yaml")
    elif link == "folder-inside":
        (root / "namespaces/alias").symlink_to(root / "namespaces/team")
    elif link == "status-outside" and not (root / "status").exists():
        (root / "status").symlink_to(outside)
    elif link == "loop":
        (root / "cluster/a.yaml").symlink_to(root / "cluster/b.yaml")
        (root / "cluster/b.yaml").symlink_to(root / "cluster/a.yaml")
    elif link == "fifo-spec":
        os.mkfifo(root / "namespaces/team/services/pipe.yaml")


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below `folder` (not following links): file bytes, link targets."""
    found: dict[str, bytes | str] = {}
    for directory, folders, names in os.walk(folder, followlinks=False):
        for name in folders + names:
            path = Path(directory) / name
            relative = str(path.relative_to(folder))
            if path.is_symlink():
                found[relative] = "-> " + os.readlink(path)
            elif path.is_file():
                found[relative] = path.read_bytes()
            elif path.is_dir():
                found[relative] = "dir"
            else:
                found[relative] = "special"
    return found


@contextmanager
def workspace() -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory(prefix="aimsync-fuzz-") as tmp:
        outside = Path(tmp) / "outside"
        outside.mkdir()
        (outside / "credentials.yaml").write_text(f"token: {SECRET}\n")
        root = Path(tmp) / "repo"
        root.mkdir()
        yield root, outside


def run(*args: str) -> Result:
    runner = CliRunner(env={"AIMSYNC_GIT_TOKEN": SECRET, "HF_TOKEN": SECRET})
    return runner.invoke(cli, list(args))


def check(result: Result, allowed: set[int]) -> None:
    output = result.output
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), output[-2000:]
    assert result.exit_code in allowed, (result.exit_code, output[-2000:])
    assert SECRET not in output


COMMANDS: list[tuple[list[str], set[int]]] = [
    (["validate", "{root}"], {0, 2}),
    (["validate", "{root}", "-o", "json"], {0, 2}),
    (["validate", "{root}", "--format", "github"], {0, 2}),
    (["render", "{root}", "--assume-caches-ready"], {0, 2}),
    (["render", "{root}", "-o", "json", "-n", "team"], {0, 2}),
    (["explain", "{root}", "team/chat"], {0, 2}),
    (["status", "{root}", "-o", "json"], {0, 2}),
]

# -- properties --------------------------------------------------------------------------


@BUDGET
@given(repositories(), st.sampled_from(COMMANDS))
def test_offline_commands_on_any_repository(
    case: dict[str, Any], command: tuple[list[str], set[int]]
) -> None:
    with workspace() as (root, outside):
        write(root, outside, case)
        repository_before, outside_before = snapshot(root), snapshot(outside)
        args, allowed = command
        check(run(*(a.format(root=root) for a in args)), allowed)
        assert snapshot(outside) == outside_before  # nothing outside written or removed
        assert snapshot(root) == repository_before  # offline commands change nothing


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=f", "-c", "user.email=f@f", *args], cwd=cwd,
                   check=True, capture_output=True)


refs = st.one_of(
    st.sampled_from(["HEAD", "HEAD~1", "HEAD~9", "main", "@{-1}", "HEAD@{yesterday}",
                     "--output=/tmp/x", "-p", "no-such-ref", "HEAD^{tree}", "v1..v2", ":/x"]),
    st.text(max_size=15),
)


@BUDGET
@given(repositories(), repositories(), refs)
def test_diff_between_any_two_commits_and_any_ref(
    first: dict[str, Any], second: dict[str, Any], ref: str
) -> None:
    with workspace() as (root, outside):
        first = {**first, "link": "none"}  # FIFOs and loops cannot be committed
        write(root, outside, first)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "first")
        for entry in sorted(root.rglob("*"), reverse=True):
            if ".git" not in entry.parts and entry.is_file():
                entry.unlink()
        write(root, outside, {**second, "link": "none" if second["link"] in (
            "loop", "fifo-spec") else second["link"]})
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "second")
        outside_before = snapshot(outside)
        check(run("diff", str(root), "--base", ref), {0, 1, 2})
        check(run("diff", str(root), "--base", "HEAD~1", "-o", "markdown"), {0, 1, 2})
        assert snapshot(outside) == outside_before


kubeconfigs = st.one_of(
    st.text(max_size=200), values.map(lambda v: dump([v])),
    st.just("apiVersion: v1\nkind: Config\nclusters: [{}]\ncontexts: x\n"),
    st.just("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "
            "'https://[::1'}\nusers: []\ncontexts: []\ncurrent-context: c\n"),
)


@BUDGET
@given(kubeconfigs, st.sampled_from([[], ["--context", "nope"]]))
def test_a_live_diff_with_any_kubeconfig_fails_cleanly(text: str, extra: list[str]) -> None:
    with workspace() as (root, outside):
        write(root, outside, {"profile": PROFILE, "service": SERVICE, "cache": CACHE,
                              "extra": None, "settings": None, "status": [], "link": "none"})
        kubeconfig = root.parent / "kubeconfig"
        kubeconfig.write_text(text)
        result = run("diff", str(root), "--kubeconfig", str(kubeconfig), *extra)
        check(result, {2, 3})


cluster_facts = st.one_of(
    st.text(max_size=200), values.map(lambda v: dump([v])),
    st.builds(lambda items: dump([{"apiVersion": "v1", "kind": "List", "items": items}]),
              st.lists(values, max_size=3)),
    st.builds(lambda labels, allocatable: dump([{"kind": "Node", "metadata": {
        "name": "n", "labels": labels}, "status": {"allocatable": allocatable}}]),
        values, values),
)


@BUDGET
@given(cluster_facts)
def test_render_with_any_cluster_facts(text: str) -> None:
    with workspace() as (root, outside):
        write(root, outside, {"profile": PROFILE, "service": SERVICE, "cache": CACHE,
                              "extra": None, "settings": None, "status": [], "link": "none"})
        facts = root.parent / "nodes.yaml"
        facts.write_text(text)
        check(run("render", str(root), "--cluster-facts", str(facts)), {0, 2})
        check(run("explain", str(root), "team/chat", "--cluster-facts", str(facts)), {0, 2})


@BUDGET
@given(st.text(max_size=40), st.text(max_size=60))
def test_sync_refuses_any_hostile_branch_or_url_before_git(branch: str, url: str) -> None:
    with workspace() as (root, _outside):
        marker = root / "marker"
        hostile_url = url or f"--upload-pack=touch {marker}"
        result = run("sync", "--repo", hostile_url, "--branch", branch or "-x",
                     "--kubeconfig", str(root / "no-kubeconfig"))
        check(result, {2, 3})
        assert not marker.exists()
