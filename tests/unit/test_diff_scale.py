"""The pull-request comment at scale (issue 11): 1,000 services on one profile; bumping the
profile's image changes 1,000 InferenceServices, changing its precision changes 2,000 objects
(each service's profile ConfigMap too). The comment stays within its limit, starts with the
spec-level summary that names the profile and every service with before → after, says how
many objects it leaves out, and the full reports beside it hold every object."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli
from tests.git_support import git

SERVICES = 1_000
NAMESPACES = 10
PROFILE = "qwen3-32b-fp8-mi300x-latency"
IMAGE = "docker.io/amdenterpriseai/aim-qwen-qwen3-32b"
PROFILE_FILE = f"""\
apiVersion: aim.eai.amd.com/v1alpha2
kind: AIMClusterProfile
metadata:
  name: {PROFILE}
spec:
  aimId: qwen/qwen3-32b
  modelId: qwen/qwen3-32b-fp8
  engine: vllm
  metric: latency
  precision: fp8
  type: optimized
  image: {IMAGE}:0.8.5
  acceleratorType: gpu
  acceleratorModel: MI300X
  acceleratorCount: 1
  modelSources:
    - modelId: qwen/qwen3-32b-fp8
      sourceUri: hf://Qwen/Qwen3-32B-FP8
      size: 35Gi
"""
STATS = re.compile(r"<!-- aimsync-diff-stats (\{.*\}) -->\n\Z")


def services() -> list[str]:
    return [f"team-{i % NAMESPACES}/service-{i}" for i in range(SERVICES)]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: the base; `image` and `precision`: one edit of the shared profile each."""
    root = tmp_path_factory.mktemp("scale")
    profile = root / "cluster" / "profiles" / "shared.yaml"
    profile.parent.mkdir(parents=True)
    profile.write_text(PROFILE_FILE)
    for i, ref in enumerate(services()):
        namespace, name = ref.split("/")
        folder = root / "namespaces" / namespace / "services"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.yaml").write_text(
            "apiVersion: aim.eai.amd.com/v1alpha2\nkind: AIMService\n"
            f"metadata:\n  name: {name}\nspec:\n  profile:\n    name: {PROFILE}\n"
            f"  replicas: {1 + i % 3}\n"
        )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    for branch, old, new in (("image", ":0.8.5", ":0.8.6"),
                             ("precision", "precision: fp8", "precision: bf16")):
        git(root, "checkout", "-q", "-b", branch, "main")
        profile.write_text(PROFILE_FILE.replace(old, new))
        git(root, "commit", "-qam", branch)
    git(root, "checkout", "-q", "main")
    return root


def comment_for(repo: Path, head: str, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["diff", str(repo), "--base", "main", "--head", head, "-o", "markdown",
              "--output-file", str(out), *extra],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    return out.read_text(encoding="utf-8")


def check_comment(text: str, limit: int, changed: int, change: str) -> None:
    assert len(text.encode("utf-8")) <= limit
    assert text.startswith(f"<!-- aimsync-diff -->\n### aimsync diff: main → {change}\n")
    summary = text[: text.index("#### Objects")]
    # The spec-level summary first: the profile with its field before → after...
    assert summary.index("#### Spec changes") < summary.index("#### Services")
    assert f"AIMClusterProfile `{PROFILE}`" in summary
    # ...and every service it reaches, on the row that says what changes for them.
    rows = [line for line in summary.splitlines() if line.startswith("| ~ |")]
    service_rows = [row for row in rows if "profile " + PROFILE + ":" in row]
    assert service_rows, rows
    named = set(re.findall(r"`(team-\d+/service-\d+)`", "\n".join(service_rows)))
    assert named == set(services())
    # How many objects were left out, in words and for programs.
    stats = json.loads(STATS.search(text).group(1))  # type: ignore[union-attr]
    assert stats["changed"] == changed and stats["update"] == changed
    sections = text.count("<details><summary><code>")
    assert stats["shown"] == sections and stats["leftOut"] == changed - sections > 0
    assert f"**{changed - sections:,} of {changed:,} changed objects are not shown here**" in text
    assert text.count("```diff") == text.count("```\n\n</details>")  # every fence closed


def check_full_reports(comment: Path, changed: int) -> None:
    full = comment.with_name("comment.full.md").read_text(encoding="utf-8")
    page = comment.with_name("comment.full.html").read_text(encoding="utf-8")
    assert full.count("<details><summary><code>") == changed  # every object, with its diff
    assert page.count("<details><summary><code>") == changed
    assert "not shown here" not in full
    for ref in services():  # each service's InferenceService is in both
        assert f"· AIMService {ref}</summary>" in full
        assert f"· AIMService {ref}</summary>" in page


def test_an_image_bump_of_1000_services(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "comment.md"
    text = comment_for(repo, "image", out)
    check_comment(text, 65_000, 1_000, "image")
    assert f"spec.image `{IMAGE}:0.8.5` → `…:0.8.6`" in text
    assert f"profile {PROFILE}: image `{IMAGE}:0.8.5` → `…:0.8.6`" in text
    check_full_reports(out, 1_000)


def test_a_precision_change_of_2000_objects_within_a_smaller_limit(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "comment.md"
    text = comment_for(repo, "precision", out, "--max-chars", "60000",
                       "--report-url", "https://example.com/run/1#artifacts")
    check_comment(text, 60_000, 2_000, "precision")
    assert "spec.precision `fp8` → `bf16`" in text
    assert f"profile {PROFILE}: precision `fp8` → `bf16`" in text
    assert "The full report, with every object: https://example.com/run/1#artifacts." in text
    # One example of each kind before the rest: a ConfigMap and an InferenceService.
    assert "<code>update</code> ConfigMap" in text
    assert "<code>update</code> InferenceService" in text
    # The profile file inside the ConfigMap is diffed as data: the field, not the string.
    assert "-      precision: fp8\n+      precision: bf16\n" in text
    check_full_reports(out, 2_000)
