"""Does a profile pass a service's profile selector? (`MatchesProfileCopySelector`,
aim-engine internal/v1alpha2/aimprofile/profile_copy.go at e837778)

Pure functions over the API models; the ranking lives in resolve/ranking.py. At e837778 there
is no type floor (`minimumType` came later): every filter is an exact match.
"""

from __future__ import annotations

from msgspec import Struct

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.service import ProfileSelector

# `profileTypeRank` (resolver.go at e837778): optimized 0 ... unoptimized 3; empty or unknown 4.
TYPE_RANK = {"optimized": 0, "general": 1, "preview": 2, "unoptimized": 3}
UNKNOWN_TYPE_RANK = 4


def type_rank(profile_type: str | None) -> int:
    return TYPE_RANK.get(profile_type or "", UNKNOWN_TYPE_RANK)


def partitioning_matches(wanted: str | None, actual: str | None) -> bool:
    """`matchesPartitioningSelector`: '' no filter; unpartitioned; partitioned; a scheme with a
    '-' (CPX-NPS4) exactly; a bare scheme (CPX) as the prefix of one (CPX-NPS1, CPX-NPS4)."""
    want = (wanted or "").strip().upper()
    have = (actual or "").strip().upper()
    if not want:
        return True
    if want == "UNPARTITIONED":
        return have in ("", "UNPARTITIONED")
    if want == "PARTITIONED":
        return have not in ("", "UNPARTITIONED")
    if "-" in want:
        return have == want
    return have.startswith(want + "-")


class SelectorVerdict(Struct, frozen=True):
    """Whether a profile passes, and if not the first filter that dropped it."""

    matches: bool
    reason: str = ""  # e.g. "metric is throughput, selector wants latency"


_EXACT_FIELDS = (
    ("aim_id", "aimId"),
    ("model_id", "modelId"),
    ("profile_id", "profileId"),
    ("engine", "engine"),
    ("metric", "metric"),
    ("precision", "precision"),
    ("type", "type"),
    ("accelerator_model", "acceleratorModel"),
    ("accelerator_type", "acceleratorType"),
)


def match_selector(spec: AIMProfileSpecCommon, selector: ProfileSelector) -> SelectorVerdict:
    for attr, name in _EXACT_FIELDS:
        wanted = getattr(selector, attr)
        if wanted:
            actual = getattr(spec, attr)
            if actual != wanted:
                shown = actual if actual else "not set"
                return SelectorVerdict(False, f"{name} is {shown}, selector wants {wanted}")
    if not partitioning_matches(
        selector.accelerator_partitioning_mode, spec.accelerator_partitioning_mode
    ):
        return SelectorVerdict(
            False,
            f"acceleratorPartitioningMode is {spec.accelerator_partitioning_mode}, selector "
            f"wants {selector.accelerator_partitioning_mode}",
        )
    if selector.accelerator_count is not None and spec.accelerator_count != (
        selector.accelerator_count
    ):
        return SelectorVerdict(
            False,
            f"acceleratorCount is {spec.accelerator_count}, selector wants "
            f"{selector.accelerator_count}",
        )
    for key, wanted_value in (selector.engine_args or {}).items():
        args = spec.engine_args or {}
        if key not in args or args[key] != wanted_value:
            return SelectorVerdict(False, f"engineArgs.{key} differs from the selector")
    if selector.origin and selector.origin != "user-authored":
        # Profiles in Git are written by people: their origin is always user-authored.
        return SelectorVerdict(
            False, f"origin is user-authored, selector wants {selector.origin}"
        )
    if spec.manual_selection_only:
        return SelectorVerdict(False, "manualSelectionOnly: chosen by name only")
    return SelectorVerdict(True)
