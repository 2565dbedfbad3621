"""requirements.lock and requirements-build.lock, which the image and `make demo` install
with `pip install --require-hashes`, still pin what pyproject.toml asks for.

After a change of the dependencies in pyproject.toml, regenerate them with the commands in
their first lines (uv pip compile ... --generate-hashes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.M)


def pins(lock: str) -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall((ROOT / lock).read_text())}


def hashed_entries(lock: str) -> list[str]:
    """Each pinned entry of the lock with its hash lines."""
    return re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text().split("\n", 2)[2])


@pytest.mark.parametrize(("lock", "requirements"), [
    ("requirements.lock", PYPROJECT["project"]["dependencies"]),
    ("requirements-build.lock", PYPROJECT["build-system"]["requires"]),
])
def test_the_lock_pins_every_declared_dependency_in_its_range(
    lock: str, requirements: list[str]
) -> None:
    pinned = pins(lock)
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} lacks {requirement.name}: regenerate it"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement.specifier}"
        )


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-build.lock"])
def test_every_pinned_file_has_a_hash(lock: str) -> None:
    entries = [e for e in hashed_entries(lock) if PIN.match(e)]
    assert entries
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
