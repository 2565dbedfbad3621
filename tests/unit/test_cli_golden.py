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

CASES = {
    "validate-repo-layout.txt": (["validate", "repo-layout"], 0),
    "validate-broken-text.txt": (["validate", BROKEN], 2),
    "validate-broken-json.txt": (["validate", BROKEN, "-o", "json"], 2),
    "validate-broken-github.txt": (["validate", BROKEN, "--format", "github"], 2),
    "validate-missing-path.txt": (["validate", "no/such/folder"], 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_output_matches_golden_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    args, exit_code = CASES[name]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    output = f"$ aimsync {' '.join(args)}\n{result.output}[exit {result.exit_code}]\n"
    golden = GOLDEN / name
    if os.environ.get("AIMSYNC_UPDATE_GOLDEN"):
        golden.write_text(output)
    assert result.exit_code == exit_code
    assert "Traceback" not in output
    assert output == golden.read_text()
