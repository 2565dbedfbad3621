"""Golden-output tests of the command line, run in-process.

Regenerate after an intended change with `make golden` (AIMSYNC_UPDATE_GOLDEN=1).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
BROKEN = "tests/fixtures/broken-repo"
FACTS = "tests/fixtures/nodes.yaml"

CASES = {
    "validate-repo-layout.txt": (["validate", "repo-layout"], 0),
    "validate-broken-text.txt": (["validate", BROKEN], 2),
    "validate-broken-json.txt": (["validate", BROKEN, "-o", "json"], 2),
    "validate-broken-github.txt": (["validate", BROKEN, "--format", "github"], 2),
    "validate-missing-path.txt": (["validate", "no/such/folder"], 2),
    "render-repo-layout.yaml": (["render", "repo-layout"], 0),
    "render-repo-layout-caches-ready.yaml": (
        ["render", "repo-layout", "--assume-caches-ready"], 0),
    "render-research-json.txt": (
        ["render", "repo-layout", "-o", "json", "-n", "research", "--assume-caches-ready"], 0),
    "render-with-facts.yaml": (
        ["render", "repo-layout", "--cluster-facts", FACTS, "--assume-caches-ready"], 0),
    "render-broken.txt": (["render", BROKEN], 2),
    "explain-selector.txt": (
        ["explain", "repo-layout", "ml-team/qwen-batch", "--cluster-facts", FACTS], 0),
    "explain-by-name.txt": (["explain", "repo-layout", "ml-team/qwen-chat"], 0),
    "explain-unknown-service.txt": (["explain", "repo-layout", "ml-team/nope"], 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_output_matches_golden_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    args, exit_code = CASES[name]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    output = (
        f"$ aimsync {' '.join(args)}\n{result.stdout}"
        + "".join(f"[stderr] {line}\n" for line in result.stderr.splitlines())
        + f"[exit {result.exit_code}]\n"
    )
    golden = GOLDEN / name
    if os.environ.get("AIMSYNC_UPDATE_GOLDEN"):
        golden.write_text(output)
    assert result.exit_code == exit_code
    assert "Traceback" not in output
    assert output == golden.read_text()
