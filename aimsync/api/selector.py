"""Does a profile pass a service's profile selector? (reference §2.3, `MatchesProfileCopySelector`)

Pure functions over the API models; the ranking and the passes live in resolve/ranking.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.service import ProfileSelector

# Type floor ranks: optimized 0 ... unoptimized and empty 3, unknown 4; `any` disables.
TYPE_RANK = {"optimized": 0, "general": 1, "preview": 2, "unoptimized": 3, "": 3}
UNKNOWN_TYPE_RANK = 4
DEFAULT_FLOOR = "optimized"


def type_rank(profile_type: str | None) -> int:
    return TYPE_RANK.get(profile_type or "", UNKNOWN_TYPE_RANK)


def partitioning_matches(wanted: str | None, actual: str | None) -> bool:
    """Selector partitioning: '' no filter; unpartitioned; partitioned; CPX prefix; exact."""
    if not wanted:
        return True
    want = wanted.lower()
    have = (actual or "").lower()
    if want == "unpartitioned":
        return have in ("", "unpartitioned")
    if want == "partitioned":
        return have not in ("", "unpartitioned")
    if "-" not in want:
        return have.startswith(want + "-") or have == want
    return have == want


@dataclass(frozen=True)
class SelectorVerdict:
    """Whether a profile passes, and if not the first filter that dropped it."""

    matches: bool
    reason: str = ""  # e.g. "metric is throughput, selector wants latency"
    below_floor: bool = False  # passes every filter but the type floor


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


def match_selector(
    spec: AIMProfileSpecCommon, selector: ProfileSelector, floor: str = DEFAULT_FLOOR
) -> SelectorVerdict:
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
    if floor != "any" and type_rank(spec.type) > type_rank(floor):
        return SelectorVerdict(
            False,
            f"type {spec.type or 'unset (ranked unoptimized)'} is below the minimum type {floor}",
            below_floor=True,
        )
    return SelectorVerdict(True)
