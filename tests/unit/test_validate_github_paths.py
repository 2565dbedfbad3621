"""`validate --format github` names files from the repository root (the Git work tree that
holds the spec folder, else $GITHUB_WORKSPACE), whatever PATH is and wherever it runs from:
GitHub places an annotation on the pull request's diff only by that path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli
from tests.git_support import git

ROOT = Path(__file__).resolve().parents[2]
NESTED = "deploy/aim"
SERVICE = "namespaces/ml-team/services/qwen-chat.yaml"


def _broken_specs(folder: Path) -> None:
    shutil.copytree(ROOT / "repo-layout", folder)
    service = folder / SERVICE
    service.write_text(service.read_text().replace("replicas: 2", "replicas: two"))


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A Git repository whose specs are in deploy/aim/, one of them broken."""
    top = tmp_path / "models"
    _broken_specs(top / NESTED)
    git(tmp_path, "init", "-q", str(top))
    return top


def annotations(path: str) -> list[str]:
    result = CliRunner().invoke(cli, ["validate", path, "--format", "github"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    return [line for line in result.stdout.splitlines() if line.startswith("::error")]


def test_a_nested_folder_from_the_repository_root(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository)
    found = annotations(NESTED)
    assert found and all(f"file={NESTED}/{SERVICE}," in line for line in found)


def test_a_nested_folder_from_inside_it(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository / NESTED)
    found = annotations(".")
    assert found and all(f"file={NESTED}/{SERVICE}," in line for line in found)


def test_a_nested_folder_by_its_absolute_path_from_elsewhere(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    found = annotations(str(repository / NESTED))
    assert found and all(f"file={NESTED}/{SERVICE}," in line for line in found)


def test_without_git_the_workspace_is_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "workspace"
    _broken_specs(workspace / NESTED)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.chdir(workspace / NESTED)
    found = annotations(".")
    assert found and all(f"file={NESTED}/{SERVICE}," in line for line in found)


def test_outside_any_repository_files_are_named_from_the_spec_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "loose" / "specs"
    _broken_specs(specs)
    monkeypatch.chdir(tmp_path)
    found = annotations(str(specs))
    assert found and all(f"file={SERVICE}," in line for line in found)
