"""Model sources without `size`: the operator's check-size step in batch form (reference §4.3).

Each test names the operator code at e837778 it reproduces:
internal/v1alpha1/aimartifact/download.go (buildCheckSizeJob), reconcile.go
(parseCheckSizeOutput, planCachePvc) and internal/v1alpha1/utils/storage.go
(ApplyHeadroomAndRound).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aimsync.cli import cli
from aimsync.core.facts import ClusterFacts
from aimsync.core.sizing import MeasuredSize, UnusableOutput, parse_check_size_output, recorded_size
from aimsync.render.desired import DesiredSet
from aimsync.render.gating import CacheState, gate
from aimsync.render.labels import MODEL_SIZE_ANNOTATION
from aimsync.render.render import render
from aimsync.resolve.resolver import resolve_all
from aimsync.specs import Specs
from tests.factories import gpu_profile, make_specs
from tests.support import CLUSTER_PROFILE, service, write_repo

NS = "ml-team"
SOURCE = {"modelId": "qwen/qwen3-32b-fp8", "sourceUri": "hf://Qwen/Qwen3-32B-FP8"}
SIZE = 9_094_593_249  # storage.go's example: 10 % headroom -> 9.31 Gi -> 10 Gi


def unsized(**settings: Any) -> Specs:
    specs = make_specs(
        cluster={"qwen": gpu_profile(modelSources=[SOURCE])},
        services={(NS, "qwen-chat"): {"profile": {"name": "qwen"}}},
    )
    if settings:
        specs.settings = specs.settings.model_copy(update=settings)
    return specs


def rendered(specs: Specs, measured: dict[tuple[str, str], MeasuredSize] | None = None) -> (
    DesiredSet
):
    return render(specs, resolve_all(specs, ClusterFacts.unknown()), measured)


def kinds(desired: DesiredSet) -> list[str]:
    return sorted(o.key.kind for o in desired.objects)


def check_job(desired: DesiredSet) -> dict[str, Any]:
    (check,) = desired.size_checks
    (job,) = [o.manifest for o in desired.objects if o.key == check.job]
    return job


def measured(desired: DesiredSet, *, recorded: bool) -> dict[tuple[str, str], MeasuredSize]:
    (check,) = desired.size_checks
    return {check.artifact: MeasuredSize(SIZE, recorded)}


def test_an_unsized_source_renders_the_check_size_job_and_defers_pvc_and_download() -> None:
    desired = rendered(unsized())
    (check,) = desired.size_checks
    assert [o.key for o in desired.objects if o.key.kind in ("Job", "PersistentVolumeClaim")] == [
        check.job
    ]
    assert desired.deferred == {check.pvc, check.download}
    assert {check.pvc, check.download} <= desired.keys  # wanted: never pruned meanwhile


def test_the_check_size_job_is_what_build_check_size_job_creates() -> None:
    """download.go@e837778 buildCheckSizeJob: image, command, args, filter env, pod
    security context (no container one, no fsGroup), backoffLimit 2, no volume."""
    job = check_job(rendered(unsized()))
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "-check-size-" in job["metadata"]["name"]
    assert job["metadata"]["labels"]["aim.eai.amd.com/component"] == "check-size"
    assert job["spec"]["backoffLimit"] == 2
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"] == {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True}
    assert container["name"] == "check-size"
    assert container["command"] == ["/check-size.sh"]
    assert container["args"] == ["hf://Qwen/Qwen3-32B-FP8"]
    assert container["env"] == [{"name": "AIM_HF_EXCLUDE", "value": "*/*"}]
    assert "securityContext" not in container and "volumes" not in pod


def test_the_service_waits_while_the_size_is_measured() -> None:
    desired = rendered(unsized())
    gated = gate(desired, CacheState())
    assert [w.service for w in gated.waiting] == [(NS, "qwen-chat")]
    assert [o.key.kind for o in gated.objects] == ["Job"]


def test_a_measured_size_gives_the_pvc_with_headroom_and_records_the_size() -> None:
    """planCachePvc / QuantityWithHeadroom@e837778: ceil_Gi(size * 1.1)."""
    first = rendered(unsized())
    desired = rendered(unsized(), measured(first, recorded=False))
    (pvc,) = [o.manifest for o in desired.objects if o.key.kind == "PersistentVolumeClaim"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert pvc["metadata"]["annotations"][MODEL_SIZE_ANNOTATION] == str(SIZE)
    assert desired.size_checks == ()
    assert kinds(desired).count("Job") == 2  # the check-size Job stays until the PVC has it


def test_the_download_job_expects_the_measured_size() -> None:
    first = rendered(unsized())
    desired = rendered(unsized(), measured(first, recorded=True))
    (job,) = [o.manifest for o in desired.objects if o.key.kind == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["EXPECTED_SIZE_BYTES"] == str(SIZE)


def test_once_the_size_is_on_the_pvc_the_check_size_job_is_no_longer_wanted() -> None:
    first = rendered(unsized())
    desired = rendered(unsized(), measured(first, recorded=True))
    (check,) = first.size_checks
    assert check.job not in desired.keys


def test_a_size_the_repository_gives_wins_over_a_measured_one() -> None:
    first = rendered(unsized())
    sized = make_specs(
        cluster={"qwen": gpu_profile(modelSources=[{**SOURCE, "size": "20Gi"}])},
        services={(NS, "qwen-chat"): {"profile": {"name": "qwen"}}},
    )
    desired = rendered(sized, measured(first, recorded=True))
    (pvc,) = [o.manifest for o in desired.objects if o.key.kind == "PersistentVolumeClaim"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "22Gi"
    assert MODEL_SIZE_ANNOTATION not in pvc["metadata"]["annotations"]


def test_default_cache_size_overrides_the_check_size_step() -> None:
    desired = rendered(unsized(default_cache_size="70Gi"))
    assert desired.size_checks == ()
    (pvc,) = [o.manifest for o in desired.objects if o.key.kind == "PersistentVolumeClaim"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "77Gi"
    assert MODEL_SIZE_ANNOTATION not in pvc["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("output", "size"),
    [
        ('{"url":"hf://Qwen/Qwen3-32B-FP8","sizeBytes":9094593249}', SIZE),
        ('downloading metadata\n{"url": "s3://b/m", "sizeBytes": 1}\n', 1),
        ('{"url":"x","sizeBytes":1125899906842624}', 1 << 50),  # 1 PiB: the largest allowed
    ],
)
def test_the_last_log_line_gives_the_size(output: str, size: int) -> None:
    """reconcile.go@e837778 parseCheckSizeOutput: {"url", "sizeBytes"} on the last line."""
    assert parse_check_size_output(output) == size


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("", "empty"),
        ("not json", "not JSON"),
        ('{"url":"x"}', "sizeBytes is missing"),
        ('{"url":"x","sizeBytes":"12"}', "not an integer"),
        ('{"url":"x","sizeBytes":0}', "invalid size: 0 bytes"),
        ('{"url":"x","sizeBytes":-5}', "invalid size: -5 bytes"),
        ('{"url":"x","sizeBytes":1125899906842625}', "at most 1 PiB"),
    ],
)
def test_an_output_that_is_not_a_size_is_refused(output: str, problem: str) -> None:
    """parseCheckSizeOutput@e837778: size <= 0 or > 1 PiB is InvalidSizeOutput."""
    with pytest.raises(UnusableOutput, match=problem):
        parse_check_size_output(output)


@pytest.mark.parametrize(
    ("annotation", "size"),
    [("9094593249", SIZE), (None, None), ("", None), ("12Gi", None), ("0", None), ("-1", None)],
)
def test_a_size_recorded_on_a_pvc_is_read_only_when_it_is_a_size(
    annotation: str | None, size: int | None
) -> None:
    assert recorded_size(annotation) == size


def test_render_shows_the_check_size_job_and_says_the_pvc_follows(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE.replace("      size: 35Gi\n", ""),
        f"namespaces/{NS}/services/chat.yaml": service("profile: {name: qwen}"),
    })
    result = CliRunner().invoke(cli, ["render", str(tmp_path)])
    assert result.exit_code == 0, result.output
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout) if d]
    assert kinds == ["Job"]  # the check-size Job; the InferenceService waits for the cache
    assert "gives no size" in result.stderr and "the download Job follow" in result.stderr
