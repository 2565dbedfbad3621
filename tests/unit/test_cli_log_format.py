"""--log-format json: every stderr line is a JSON object; stdout is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aimsync.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_findings_become_json_lines() -> None:
    result = CliRunner().invoke(
        cli, ["--log-format", "json", "render", str(ROOT / "tests/fixtures/broken-repo")]
    )
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stderr.splitlines()]
    errors = [r for r in records if r["level"] == "error"]
    assert errors and all({"time", "file", "line", "column", "field"} <= set(r) for r in errors)
    assert any(r["field"] == "spec.replicas" for r in errors)


def test_notes_become_json_lines_and_stdout_stays_yaml() -> None:
    result = CliRunner().invoke(cli, ["--log-format", "json", "render", str(ROOT / "repo-layout")])
    assert result.exit_code == 0
    assert result.stdout.startswith("---\napiVersion:")
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert {r["level"] for r in records} == {"info"}
    assert any("waits for caches" in r["message"] for r in records)


def test_text_is_the_default() -> None:
    result = CliRunner().invoke(cli, ["render", str(ROOT / "repo-layout")])
    assert result.stderr.startswith("note: ")
