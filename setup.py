"""Records the commit aimsync is built from in the package (`aimsync --version` shows it):
$AIMSYNC_BUILD_COMMIT (the image's build argument), else the checkout's HEAD. The project's
metadata is in pyproject.toml."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def _commit() -> str:
    if os.environ.get("AIMSYNC_BUILD_COMMIT"):
        return os.environ["AIMSYNC_BUILD_COMMIT"].strip()
    if not (Path(__file__).parent / ".git").exists():
        return ""
    try:
        answer = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return answer.stdout.strip() if answer.returncode == 0 else ""


class BuildWithCommit(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's HEAD when asked
        commit = _commit()
        if commit:
            (Path(self.build_lib) / "aimsync" / "BUILD_COMMIT").write_text(commit + "\n")


setup(cmdclass={"build_py": BuildWithCommit})
