"""Profile resolution as the operator's resolver at e837778 does it (aim-engine
internal/v1alpha2/aimservice/resolver.go and its resolver_test.go): every rule and every
tie-break, table by table."""

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


def test_a_selector_has_no_type_floor() -> None:
    """At e837778 there is no minimumType: a preview profile is chosen when it is the only one."""
    result = resolve(cluster={"a": gpu_profile(type="preview")})
    assert result.resolved and result.profile and result.profile.name == "a"


def test_the_precision_filter_picks_a_general_profile() -> None:
    """The e2e case "resolve by model and selector": selector precision bf16 keeps the
    general bf16 profile and drops the optimized fp8 one."""
    result = resolve(
        cluster={
            "seed-bf16": gpu_profile(precision="bf16", type="general", primary=True),
            "seed-fp8": gpu_profile(precision="fp8", type="optimized", primary=True),
        },
        service={"profile": {"selector": {"aimId": "qwen/qwen3-32b", "precision": "bf16"}}},
    )
    assert result.profile and result.profile.name == "seed-bf16"


def test_manual_selection_only_profiles_are_left_out_of_selection() -> None:
    result = resolve(cluster={
        "manual": gpu_profile(primary=True, manualSelectionOnly=True), "auto": gpu_profile(),
    })
    assert result.profile and result.profile.name == "auto"


def test_a_manual_selection_only_profile_is_chosen_by_name() -> None:
    result = resolve(cluster={"manual": gpu_profile(manualSelectionOnly=True)},
                     service={"profile": {"name": "manual"}})
    assert result.resolved


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
    ("version", {"image": "img:2.0.0"}, {"image": "img:1.9.0"}),
    # compareProfileVersions compares plain strings: "0.9.0" > "0.10.0".
    ("version-as-a-string", {"image": "img:0.9.0"}, {"image": "img:0.10.0"}),
    ("version-empty-last", {"image": "img:0.1"}, {"image": "img"}),
    ("type-empty-below-unoptimized", {"type": "unoptimized"}, {"type": None}),
]


@pytest.mark.parametrize(("tier", "better", "worse"), TIERS, ids=[t[0] for t in TIERS])
def test_ranking_tier_decides(tier: str, better: dict[str, Any], worse: dict[str, Any]) -> None:
    # The worse profile gets the alphabetically earlier name, so only the tier can decide.
    result = resolve(
        cluster={"a-worse": gpu_profile(**worse), "b-better": gpu_profile(**better)},
    )
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


def test_a_profile_that_is_not_ready_is_not_deployed_whatever_the_service_asks() -> None:
    """PlanResources at e837778 requires a Ready profile; a service's own resources that fit
    a node change nothing."""
    facts = ClusterFacts((Node.from_api(mi300x_node("n1", gpus=2)),))
    service = {"profile": {"name": "p"}, "resources": {"requests": {"amd.com/gpu": 2}}}
    result = resolve(
        cluster={"p": gpu_profile(acceleratorCount=4)}, service=service, facts=facts
    )
    assert result.reason == "ProfileNotReady"


# TestProfileLess (resolver_test.go at e837778): a always wins over b.
PROFILE_LESS = [
    ("tier 1: primary beats non-primary", {"primary": True, "type": "unoptimized"},
     {"primary": False, "type": "optimized"}),
    ("tier 2: optimized beats general", {"type": "optimized", "acceleratorModel": "W7900"},
     {"type": "general", "acceleratorModel": "MI325X"}),
    ("tier 3: MI325X beats MI300X", {"acceleratorModel": "MI325X", "metric": "throughput"},
     {"acceleratorModel": "MI300X", "metric": "latency"}),
    ("tier 3: known model beats unknown model", {"acceleratorModel": "MI210"},
     {"acceleratorModel": "MI999X"}),
    ("tier 4: latency beats throughput", {"metric": "latency", "precision": "fp16"},
     {"metric": "throughput", "precision": "fp4"}),
    ("tier 5: fp8 beats fp16", {"precision": "fp8", "acceleratorCount": 4},
     {"precision": "fp16", "acceleratorCount": 1}),
    ("tier 6: smaller count wins on tie", {"acceleratorCount": 1}, {"acceleratorCount": 4}),
    ("tier 6: zero count loses to explicit count", {"acceleratorCount": 8},
     {"acceleratorCount": 0}),
    ("tier 7: gpu beats cpu on tie", {"acceleratorType": "gpu"}, {"acceleratorType": "cpu"}),
    ("tier 8: higher version wins on tie", {"image": "img:2.0.0"}, {"image": "img:1.9.0"}),
    ("stacked: earlier tier wins",
     {"primary": True, "type": "unoptimized", "acceleratorModel": "W7900",
      "metric": "throughput", "precision": "fp32", "acceleratorCount": 8,
      "acceleratorType": "cpu"},
     {"primary": False, "type": "optimized", "acceleratorModel": "MI325X", "metric": "latency",
      "precision": "fp4", "acceleratorCount": 1, "acceleratorType": "gpu"}),
]


@pytest.mark.parametrize(("row", "a", "b"), PROFILE_LESS, ids=[r[0] for r in PROFILE_LESS])
def test_profile_less_as_the_operator(row: str, a: dict[str, Any], b: dict[str, Any]) -> None:
    """Named so that the name (tier 9) would pick b: the tiers must decide for a."""
    result = resolve(cluster={"zz-a": gpu_profile(**a), "aa-b": gpu_profile(**b)})
    assert result.profile and result.profile.name == "zz-a"


def test_profile_less_falls_back_to_the_name() -> None:
    result = resolve(cluster={"beta": gpu_profile(), "alpha": gpu_profile()})
    assert result.profile and result.profile.name == "alpha"


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
