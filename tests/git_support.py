"""Real Git for tests: the test's own commands (as a person with an identity), and a machine
with no git configuration at all (as the CronJob's container), for aimsync's commands."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

IDENTITY_VARIABLES = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                      "GIT_COMMITTER_EMAIL", "EMAIL")


def git(cwd: Path, *args: str) -> str:
    """The test's own git commands, as a person with an identity would run them."""
    return subprocess.run(
        ["git", "-c", "user.name=Human", "-c", "user.email=human@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def machine_without_git_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """An empty HOME, no global or system git config, no identity in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in IDENTITY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    yield


def clone_of_a_remote(tmp_path: Path, files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """(a bare remote with one commit on main, a working clone of it)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    for relative, text in (files or {"spec.yaml": "kind: AIMService\n"}).items():
        (seed / relative).parent.mkdir(parents=True, exist_ok=True)
        (seed / relative).write_text(text)
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "specs")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(work))
    return remote, work


def human_pushes(remote: Path, tmp_path: Path) -> str:
    """A person pushes a commit of their own to main; returns its hash."""
    human = tmp_path / "human"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(human))
    (human / "NOTES.md").write_text("a human was here\n")
    git(human, "add", "NOTES.md")
    git(human, "commit", "-qm", "human change")
    git(human, "push", "-q", "origin", "main")
    return git(human, "rev-parse", "HEAD").strip()
