"""The image's build (Dockerfile) is reproducible and lean: what the issue asks of it, read
from the file itself (the build needs a container engine and a registry, so the image is
measured by hand; README "Deploying" has the figure)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            out.append([])
        if out:
            out[-1].append((keyword, rest))
    return out


def test_the_image_is_built_in_two_stages() -> None:
    assert len(stages()) == 2
    assert stages()[0][0][1].endswith(" AS build")


def test_the_dependencies_are_installed_from_the_lock_with_hashes_checked() -> None:
    (build, _) = stages()
    installs = [rest for keyword, rest in build if keyword == "RUN" and "install" in rest]
    assert any("--require-hashes" in rest and "-r /locks/requirements.lock" in rest
               and "--no-deps" in rest for rest in installs)
    assert (ROOT / "requirements.lock").is_file()


def test_the_dependency_layer_comes_before_the_source() -> None:
    (build, _) = stages()
    copies = [i for i, (keyword, _) in enumerate(build) if keyword == "COPY"]
    lock = next(i for i in copies if "requirements.lock" in build[i][1])
    source = next(i for i in copies if build[i][1].startswith("aimsync "))
    install = next(i for i, (k, rest) in enumerate(build)
                   if k == "RUN" and "-r /locks/requirements.lock" in rest)
    assert lock < install < source


def test_the_final_stage_has_no_build_tools_and_takes_only_the_environment() -> None:
    (_, final) = stages()
    runs = " ".join(rest for keyword, rest in final if keyword == "RUN")
    assert "pip uninstall --yes" in runs and all(t in runs for t in ("pip", "setuptools", "wheel"))
    assert not any(word in runs for word in ("gcc", "build-essential", "pip install"))
    copied = [rest for keyword, rest in final if keyword == "COPY"]
    assert copied == ["--from=build /opt/aimsync /opt/aimsync"]


def test_tini_is_pid_1_and_the_user_is_not_root() -> None:
    (_, final) = stages()
    entrypoint = next(rest for keyword, rest in final if keyword == "ENTRYPOINT")
    assert entrypoint == '["/usr/bin/tini", "--", "aimsync"]'
    user = next(rest for keyword, rest in final if keyword == "USER")
    assert user == "65532:65532"
