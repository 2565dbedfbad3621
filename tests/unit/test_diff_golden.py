"""Golden outputs of `aimsync diff --base` with the spec-level summary first: table, Markdown
(the comment, --summary-only) and JSON (the summary part), for one change of repo-layout
that touches a cluster profile, two services, a secret and a profile switch.

Regenerate after an intended change with AIMSYNC_UPDATE_GOLDEN=1 (`make golden`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli
from tests.git_support import git

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

EDITS = {
    "cluster/profiles/qwen3-32b-fp8-mi300x-latency.yaml": [
        ("aim-qwen-qwen3-32b:0.8.5", "aim-qwen-qwen3-32b:0.8.6"),
        ("    max-num-seqs: 256", "    max-num-seqs: 512"),
    ],
    "namespaces/ml-team/services/qwen-chat.yaml": [("replicas: 2", "replicas: 3")],
    "namespaces/ml-team/services/qwen-batch.yaml": [("metric: throughput", "metric: latency")],
    "namespaces/ml-team/services/llama-assistant.yaml": [
        ("    - name: LOG_LEVEL\n      value: info",
         "    - name: HF_TOKEN\n      value: hf_secret_value\n    - name: LOG_LEVEL\n"
         "      value: debug"),
    ],
}


@pytest.fixture(scope="module")
def changed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("golden-diff")
    shutil.copytree(ROOT / "repo-layout", top / "repo-layout")
    # The summary is under test, not the baseline policies (which deny the literal HF_TOKEN
    # this change adds: tests/unit/test_policy_commands.py).
    shutil.rmtree(top / "repo-layout" / "policies")
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "base")
    repo = top / "repo-layout"
    for file, edits in EDITS.items():
        path = repo / file
        text = path.read_text()
        for old, new in edits:
            assert old in text, (file, old)
            text = text.replace(old, new)
        path.write_text(text)
    return repo


def run(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["diff", str(repo), "--base", "HEAD", *args],
                                catch_exceptions=False)
    assert "Traceback" not in result.output
    assert "hf_secret_value" not in result.stdout  # credentials never reach a diff
    return result.exit_code, result.stdout


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("AIMSYNC_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_table_starts_with_the_spec_level_summary(changed_repo: Path) -> None:
    code, out = run(changed_repo)
    assert code == 1
    assert out.startswith("Spec changes:\n")
    check_golden("diff-summary-table.txt", out)


def test_markdown_comment_summary(changed_repo: Path) -> None:
    code, out = run(changed_repo, "-o", "markdown", "--summary-only")
    assert code == 1
    assert out.startswith("<!-- aimsync-diff -->\n### aimsync diff: HEAD → working tree\n")
    assert out.index("#### Spec changes") < out.index("#### Services") < out.index(
        "#### Objects")
    check_golden("diff-summary-markdown.md", out)


def test_json_summary(changed_repo: Path) -> None:
    code, out = run(changed_repo, "-o", "json")
    assert code == 1
    document = json.loads(out)
    assert list(document) == ["counts", "summary", "changes"]  # the summary before the objects
    check_golden("diff-summary-json.txt",
                 json.dumps({"counts": document["counts"], "summary": document["summary"]},
                            indent=2, ensure_ascii=False) + "\n")
