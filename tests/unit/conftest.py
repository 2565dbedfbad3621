"""Unit tests run as outside GitHub Actions, also when CI itself runs there: a command under
test must not add to the CI job's own step summary or outputs."""

from __future__ import annotations

import pytest

GITHUB_FILES = ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH",
                "GITHUB_WORKSPACE")


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in GITHUB_FILES:
        monkeypatch.delenv(variable, raising=False)
