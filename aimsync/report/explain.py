"""Why a service got its profile: candidates, verdicts, ranking, winner, hardware."""

from __future__ import annotations

from aimsync.api.service import AIMService
from aimsync.render.desired import CachePlan
from aimsync.report.table import columns
from aimsync.resolve.ranking import TIER_NAMES
from aimsync.resolve.resolver import Resolution


def _selector_text(service: AIMService) -> str:
    assert service.spec.profile is not None
    if service.spec.profile.name:
        return f"by name: {service.spec.profile.name} (namespace AIMProfile first, then cluster)"
    selector = service.spec.profile.selector
    assert selector is not None
    fields = selector.model_dump(by_alias=True, exclude_none=True, exclude={"role"})
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    return f"by selector: {shown} (exact filters; manualSelectionOnly profiles left out)"


def _cache_lines(cache: CachePlan) -> list[str]:
    lines = ["", f"Cache: {cache.name} ({len(cache.artifacts)} model source(s))"]
    for artifact in cache.artifacts:
        lines.append(f"  {artifact.model_id}: PVC {artifact.pvc.name}")
        if artifact.storage is not None:
            measured = " (size measured by a check-size Job)" if artifact.size_check else ""
            lines.append(f"    {artifact.storage}{measured}, downloaded by Job {artifact.job.name}")
        elif artifact.size_check is not None:
            lines.append(
                f"    size unknown: Job {artifact.size_check.name} measures it at sync; the "
                "PVC and the download Job follow"
            )
    return lines


def explain_text(
    service: AIMService, resolution: Resolution, facts_known: bool, cache: CachePlan | None = None
) -> str:
    namespace, name = resolution.service
    lines = [f"AIMService {namespace}/{name}", f"  {_selector_text(service)}", ""]
    if resolution.candidates:
        lines.append("Candidates")
        rows = [["PROFILE", "SCOPE", "VERDICT", "WHY"]]
        for verdict in resolution.candidates:
            rows.append(
                [verdict.ref.name, verdict.ref.scope, "kept" if verdict.kept else "dropped",
                 "" if verdict.kept else verdict.reason]
            )
        lines += [*columns(rows, indent="  "), ""]
    if resolution.ranking:
        lines.append(
            "Ranking (namespace beats cluster; then " + ", ".join(TIER_NAMES) + "; then the "
            "first with the best status)"
        )
        rows = [["#", "PROFILE", "STATUS", "PRIMARY", "TYPE", "ACCELERATOR", "METRIC",
                 "PRECISION", "VERSION"]]
        for index, ranked in enumerate(resolution.ranking, start=1):
            spec = ranked.spec
            rows.append([
                str(index), ranked.name, ranked.status, str(spec.primary).lower(),
                spec.type or "-",
                f"{spec.accelerator_count or 0} x "
                f"{spec.accelerator_model or spec.accelerator_type}",
                spec.metric or "-", spec.precision or "-", ranked.version or "-",
            ])
        lines += [*columns(rows, indent="  "), ""]
    if resolution.profile is None:
        lines.append(f"No profile: {resolution.reason}: {resolution.message}")
        return "\n".join(lines) + "\n"
    lines.append(f"Winner: {resolution.profile}")
    if resolution.sticky:
        lines.append(
            "  sticky: the last run bound this profile (status/) and it still matches; "
            "annotate the service with aim.eai.amd.com/force-rebind to rank again"
        )
    for other, tier in resolution.deciding:
        lines.append(f"  beats {other} on {tier}")
    if resolution.ambiguous_with:
        lines.append(
            "  warning: tied on every tier but the name with "
            + ", ".join(resolution.ambiguous_with)
            + " (ProfileSelectorAmbiguous); the first name wins"
        )
    if not resolution.resolved:
        lines.append(f"  not deployable now: {resolution.reason}: {resolution.message}")
    status = resolution.status
    assert status is not None
    lines.append("")
    lines.append(f"Hardware: {status.hardware_summary}")
    resources = status.resources or {}
    for group in ("requests", "limits"):
        values = resources.get(group)
        if values:
            lines.append(f"  {group}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    if status.matching_nodes is None:
        lines.append(
            "  matching nodes: unknown (no cluster facts)"
            if facts_known is False
            else "  matching nodes: any (no accelerator required)"
        )
    else:
        lines.append(f"  matching nodes: {status.matching_nodes}")
        for reason in status.mismatch_reasons:
            lines.append(f"    {reason}")
    if cache is not None:
        lines += _cache_lines(cache)
    return "\n".join(lines) + "\n"
