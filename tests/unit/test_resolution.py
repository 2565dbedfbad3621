"""Profile resolution (reference §2): every rule and every tie-break, table by table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimsync.api.selector import partitioning_matches
from aimsync.core.facts import ClusterFacts, Node
from aimsync.load.status_tree import ProfileBinding
from aimsync.resolve.resolver import Resolution, resolve_all
from tests.factories import gpu_profile, make_specs, mi300x_node

NS = "team"
BY_SELECTOR = {"profile": {"selector": {"aimId": "qwen/qwen3-32b"}}}


def resolve(
    cluster: dict[str, dict[str, Any]] | None = None,
    namespaced: dict[str, dict[str, Any]] | None = None,
    service: dict[str, Any] | None = None,
    facts: ClusterFacts | None = None,
) -> Resolution:
    specs = make_specs(
        cluster=cluster,
        namespaced={(NS, n): s for n, s in (namespaced or {}).items()},
        services={(NS, "chat"): service or BY_SELECTOR},
    )
    resolutions = resolve_all(specs, facts or ClusterFacts.unknown()).resolutions
    return resolutions[0]


def test_by_name_prefers_the_namespace_profile() -> None:
    result = resolve(
        cluster={"p": gpu_profile()}, namespaced={"p": gpu_profile()},
        service={"profile": {"name": "p"}},
    )
    assert (result.profile and result.profile.scope) == "Namespace"


def test_by_name_falls_back_to_the_cluster_profile() -> None:
    result = resolve(cluster={"p": gpu_profile()}, service={"profile": {"name": "p"}})
    assert result.resolved and result.profile and result.profile.scope == "Cluster"


def test_by_name_reaches_any_type_tier() -> None:
    result = resolve(
        cluster={"p": gpu_profile(type="unoptimized")}, service={"profile": {"name": "p"}}
    )
    assert result.resolved


def test_by_name_not_found_uses_the_operator_message() -> None:
    result = resolve(cluster={"p": gpu_profile()}, service={"profile": {"name": "q"}})
    assert result.reason == "ProfileNotFound"
    assert result.message == "no AIMProfile or AIMClusterProfile named 'q'"


def test_base_profile_is_not_deployable() -> None:
    result = resolve(
        cluster={"base": {"image": "img:1"}}, service={"profile": {"name": "base"}}
    )
    assert result.reason == "BaseProfile"


def test_selector_drops_profiles_that_differ_and_says_why() -> None:
    result = resolve(
        cluster={"a": gpu_profile(metric="throughput"), "b": gpu_profile()},
        service={"profile": {"selector": {"aimId": "qwen/qwen3-32b", "metric": "latency"}}},
    )
    assert result.profile and result.profile.name == "b"
    dropped = {v.ref.name: v.reason for v in result.candidates if not v.kept}
    assert dropped == {"a": "metric is throughput, selector wants latency"}


def test_selector_type_floor_defaults_to_optimized() -> None:
    result = resolve(cluster={"a": gpu_profile(type="preview")})
    assert result.reason == "ProfileNotFound"
    assert "minimumType=optimized floor: 1 candidate(s)" in result.message


def test_selector_with_no_match_at_all() -> None:
    result = resolve(cluster={"a": gpu_profile(aimId="other/model")})
    assert result.message == "no AIMProfile or AIMClusterProfile matched the selector"


def test_selector_skips_base_profiles() -> None:
    result = resolve(cluster={"base": {"image": "i", "aimId": None}, "real": gpu_profile()})
    assert result.profile and result.profile.name == "real"


def test_namespace_candidates_beat_cluster_candidates() -> None:
    result = resolve(
        cluster={"cluster-primary": gpu_profile(primary=True)},
        namespaced={"local": gpu_profile(type="optimized")},
    )
    assert result.profile and result.profile.name == "local"


TIERS = [
    ("primary", {"primary": True}, {"primary": False}),
    ("type", {"type": "optimized"}, {"type": "general"}),
    ("acceleratorModel", {"acceleratorModel": "MI325X"}, {"acceleratorModel": "MI300X"}),
    ("metric", {"metric": "latency"}, {"metric": "throughput"}),
    ("precision", {"precision": "fp4"}, {"precision": "fp8"}),
    ("acceleratorCount", {"acceleratorCount": 1}, {"acceleratorCount": 2}),
    ("acceleratorCount-zero-loses", {"acceleratorCount": 4}, {"acceleratorCount": 0}),
    ("acceleratorType", {"acceleratorType": "gpu", "acceleratorModel": None},
     {"acceleratorType": "cpu", "acceleratorModel": None}),
    ("version", {"image": "img:1.10.0"}, {"image": "img:1.9.0"}),
    ("version-empty-last", {"image": "img:0.1"}, {"image": "img"}),
]


@pytest.mark.parametrize(("tier", "better", "worse"), TIERS, ids=[t[0] for t in TIERS])
def test_ranking_tier_decides(tier: str, better: dict[str, Any], worse: dict[str, Any]) -> None:
    # The worse profile gets the alphabetically earlier name, so only the tier can decide.
    # type: general is only reachable by name, so the type tier is checked on the ranking.
    result = resolve(
        cluster={"a-worse": gpu_profile(**worse), "b-better": gpu_profile(**better)},
    )
    if tier == "type":
        assert [r.name for r in result.ranking] == ["b-better"]  # general is below the floor
        return
    assert result.profile and result.profile.name == "b-better"
    assert ("a-worse", tier.split("-")[0]) in result.deciding


def test_name_breaks_the_last_tie_and_reports_ambiguity() -> None:
    result = resolve(cluster={"b": gpu_profile(), "a": gpu_profile()})
    assert result.profile and result.profile.name == "a"
    assert result.ambiguous_with == ("b",)


def test_a_ready_profile_beats_a_not_available_primary() -> None:
    facts = ClusterFacts((Node.from_api(mi300x_node("n1")),))
    result = resolve(
        cluster={
            "a-primary-mi325x": gpu_profile(primary=True, acceleratorModel="MI325X"),
            "b-mi300x": gpu_profile(),
        },
        facts=facts,
    )
    assert result.ranking[0].name == "a-primary-mi325x"
    assert result.profile and result.profile.name == "b-mi300x"
    assert result.resolved


def test_profile_without_matching_nodes_is_not_ready() -> None:
    result = resolve(
        cluster={"p": gpu_profile(acceleratorModel="MI325X")},
        service={"profile": {"name": "p"}},
        facts=ClusterFacts(()),
    )
    assert result.reason == "ProfileNotReady"
    assert result.message.startswith("Profile p is not ready yet")


def test_service_resources_that_fit_a_node_make_the_profile_usable() -> None:
    facts = ClusterFacts((Node.from_api(mi300x_node("n1", gpus=2)),))
    service = {"profile": {"name": "p"}, "resources": {"requests": {"amd.com/gpu": 2}}}
    result = resolve(
        cluster={"p": gpu_profile(acceleratorCount=4)}, service=service, facts=facts
    )
    assert result.resolved


def test_overrides_merge_into_the_effective_profile() -> None:
    profile = gpu_profile(
        engineArgs={"a": 1, "b": 2},
        engineEnv={"X": "1"},
        containerEnv=[{"name": "KEEP", "value": "k"}, {"name": "SWAP", "value": "old"}],
    )
    service = {
        "profile": {"name": "p"},
        "profileOverrides": {
            "engineArgs": {"b": 3},
            "engineEnv": {"Y": "2"},
            "containerEnv": [{"name": "SWAP", "value": "new"}],
            "acceleratorCount": 2,
            "modelSources": [{"modelId": "me/tuned", "sourceUri": "s3://b/tuned", "size": "1Gi"}],
        },
    }
    result = resolve(cluster={"p": profile}, service=service)
    spec = result.spec
    assert spec is not None and result.status is not None
    assert spec.engine_args == {"a": 1, "b": 3}
    assert spec.engine_env == {"X": "1", "Y": "2"}
    assert [(e.name, e.value) for e in spec.container_env or []] == [
        ("KEEP", "k"), ("SWAP", "new")
    ]
    assert spec.model_id == "me/tuned"
    assert result.status.requests["amd.com/gpu"] == "2"  # recomputed for the override


@pytest.mark.parametrize(
    ("wanted", "actual", "matches"),
    [
        ("", "CPX-NPS4", True),
        ("unpartitioned", "", True),
        ("unpartitioned", "unpartitioned", True),
        ("unpartitioned", "CPX-NPS4", False),
        ("partitioned", "CPX-NPS4", True),
        ("partitioned", "unpartitioned", False),
        ("CPX", "cpx-nps4", True),
        ("CPX", "DPX-NPS1", False),
        ("CPX-NPS4", "CPX-NPS4", True),
        ("CPX-NPS4", "CPX-NPS1", False),
    ],
)
def test_partitioning_selector(wanted: str, actual: str, matches: bool) -> None:
    assert partitioning_matches(wanted, actual) is matches


def test_engine_args_selector_matches_top_level_keys() -> None:
    service = {"profile": {"selector": {"aimId": "qwen/qwen3-32b",
                                        "engineArgs": {"max-num-seqs": 256}}}}
    result = resolve(
        cluster={"a": gpu_profile(engineArgs={"max-num-seqs": 128}),
                 "b": gpu_profile(engineArgs={"max-num-seqs": 256, "other": True})},
        service=service,
    )
    assert result.profile and result.profile.name == "b"


def sticky(previous: tuple[str, str], annotations: dict[str, str] | None = None) -> Resolution:
    service: dict[str, Any] = dict(BY_SELECTOR)
    specs = make_specs(
        cluster={"a-old": gpu_profile(), "b-primary": gpu_profile(primary=True)},
        services={(NS, "chat"): service},
    )
    if annotations:
        chat = specs.services[(NS, "chat")]
        metadata = chat.obj.metadata.model_copy(update={"annotations": annotations})
        specs.services[(NS, "chat")] = type(chat)(
            chat.kind, chat.name, chat.namespace, chat.source,
            chat.obj.model_copy(update={"metadata": metadata}),
        )
    bindings = {(NS, "chat"): ProfileBinding(*previous)}
    return resolve_all(specs, ClusterFacts.unknown(), bindings).resolutions[0]


def test_the_profile_bound_last_time_is_kept_while_it_matches() -> None:
    result = sticky(("a-old", "Cluster"))
    assert result.sticky and result.profile and result.profile.name == "a-old"


def test_force_rebind_ranks_again() -> None:
    result = sticky(("a-old", "Cluster"), {"aim.eai.amd.com/force-rebind": "now"})
    assert not result.sticky and result.profile and result.profile.name == "b-primary"


def test_a_previous_profile_that_no_longer_matches_is_replaced() -> None:
    result = sticky(("gone", "Cluster"))
    assert not result.sticky and result.profile and result.profile.name == "b-primary"


def test_bindings_are_read_from_the_status_folder(tmp_path: Path) -> None:
    from aimsync.pipeline import render_repository
    from tests.support import CLUSTER_PROFILE, service, write_repo

    better = CLUSTER_PROFILE.replace("name: qwen\n", "name: better\n").replace(
        "  type: optimized\n", "  type: optimized\n  primary: true\n"
    )
    status = (
        "apiVersion: aim.eai.amd.com/v1alpha2\nkind: AIMService\n"
        "metadata: {name: chat, namespace: team}\n"
        "status: {resolvedProfile: {name: qwen, kind: AIMClusterProfile, scope: Cluster}}\n"
    )
    write_repo(tmp_path, {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        "cluster/profiles/better.yaml": better,
        "namespaces/team/services/chat.yaml": service(
            "profile:\n  selector: {aimId: qwen/qwen3-32b}"
        ),
        "status/namespaces/team/services/chat.yaml": status,
    })
    (result,) = render_repository(tmp_path).resolved.resolutions
    assert result.sticky and result.profile and result.profile.name == "qwen"
