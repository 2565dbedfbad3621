"""Cross-reference checks that need no cluster (run once every object is schema-valid).

A service's profile.name and a cache's profileName must name a profile that exists in the
allowed scope; a selector that matches nothing is a warning; the InferenceService name derived
from the service must fit (reference §3.1).
"""

from __future__ import annotations

from msgspec import Struct

from aimsync.api import AIMClusterProfile, AIMKind, AIMProfile, AIMService
from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.api.selector import match_selector
from aimsync.api.validation import suggest
from aimsync.core.naming import http_route_name, inference_service_name, profile_configmap_name
from aimsync.core.path_template import PathTemplateError, render_path
from aimsync.findings import Findings
from aimsync.specs import Spec, Specs


def _find_profile(
    specs: Specs, namespace: str, name: str
) -> Spec[AIMProfile] | Spec[AIMClusterProfile] | None:
    return specs.profiles.get((namespace, name)) or specs.cluster_profiles.get(name)


def _not_found_hint(name: str, candidates: list[str]) -> str:
    hint = suggest(name, candidates)
    if hint:
        return f"; did you mean {hint!r}?"
    if candidates:
        shown = ", ".join(sorted(candidates)[:8])
        more = " ..." if len(candidates) > 8 else ""
        return f"; profiles available here: {shown}{more}"
    return "; no profiles are defined for it"


InvalidKeys = set[tuple[AIMKind, str | None, str]]


def _invalid_profile(invalid: InvalidKeys, namespace: str | None, name: str) -> bool:
    """A reference to an object that exists but failed validation is not reported again."""
    return any(
        (kind, ns, name) in invalid
        for kind in (AIMKind.PROFILE, AIMKind.CLUSTER_PROFILE)
        for ns in (namespace, None)
    )


class Deployable(Struct, frozen=True):
    """Deployable profiles by aimId, namespace profiles per namespace: a selector is only
    matched against profiles of its own aimId (the first filter would drop all others)."""

    namespaced: dict[tuple[str, str], list[AIMProfileSpecCommon]]
    cluster: dict[str, list[AIMProfileSpecCommon]]

    @staticmethod
    def of(specs: Specs) -> Deployable:
        namespaced: dict[tuple[str, str], list[AIMProfileSpecCommon]] = {}
        cluster: dict[str, list[AIMProfileSpecCommon]] = {}
        for (namespace, _), profile in sorted(specs.profiles.items()):
            if profile.obj.spec.is_deployable:
                key = (namespace, profile.obj.spec.aim_id or "")
                namespaced.setdefault(key, []).append(profile.obj.spec)
        for cluster_profile in specs.cluster_profiles.values():
            if cluster_profile.obj.spec.is_deployable:
                aim_id = cluster_profile.obj.spec.aim_id or ""
                cluster.setdefault(aim_id, []).append(cluster_profile.obj.spec)
        return Deployable(namespaced, cluster)

    def for_selector(self, namespace: str, aim_id: str | None) -> list[AIMProfileSpecCommon]:
        if aim_id:
            return self.namespaced.get((namespace, aim_id), []) + self.cluster.get(aim_id, [])
        return [
            spec for (ns, _), specs in self.namespaced.items() if ns == namespace
            for spec in specs
        ] + [spec for specs in self.cluster.values() for spec in specs]


def _profiles_invalid(invalid: InvalidKeys) -> bool:
    return any(kind is not AIMKind.PROFILE_CACHE and kind is not AIMKind.SERVICE
               for kind, _, _ in invalid)


def check_service(
    spec: Spec[AIMService],
    specs: Specs,
    findings: Findings,
    invalid: InvalidKeys,
    unreadable: bool = False,
    deployable: Deployable | None = None,
    invalid_profiles: bool | None = None,
) -> None:
    """`deployable`, `invalid_profiles`: `Deployable.of(specs)` and
    `_profiles_invalid(invalid)` when already known (they are the same for every service)."""
    namespace = spec.namespace or ""
    service = spec.obj.spec
    try:
        inference_service_name(spec.name, namespace)
    except ValueError as exc:
        findings.error(
            spec.source.location("metadata", "namespace"),
            str(exc),
            field="metadata.namespace",
            rule="aimsync.isvc-name-fits",
        )
    routing = service.routing
    if routing is not None and routing.enabled and routing.path_template:
        try:
            render_path(routing.path_template, spec.obj.to_api())
        except PathTemplateError as exc:
            findings.error(
                spec.source.location("spec", "routing", "pathTemplate"),
                f"pathTemplate cannot be rendered: {exc} (PathTemplateInvalid); use placeholders "
                "such as {.metadata.namespace} and {.metadata.name}",
                field="spec.routing.pathTemplate",
                rule="aimsync.path-template",
            )
    profile = service.profile
    if profile is None:
        return
    if profile.name:
        found = _find_profile(specs, namespace, profile.name)
        if found is None and (unreadable or _invalid_profile(invalid, namespace, profile.name)):
            return
        if found is None:
            names = [n for ns, n in specs.profiles if ns == namespace] + list(
                specs.cluster_profiles
            )
            findings.error(
                spec.source.location("spec", "profile", "name"),
                f"no AIMProfile or AIMClusterProfile named {profile.name!r} (looked in "
                f"namespace {namespace} first, then cluster profiles)"
                + _not_found_hint(profile.name, names),
                field="spec.profile.name",
                rule="ref.profile-not-found",
            )
        elif not found.obj.spec.is_deployable:
            findings.error(
                spec.source.location("spec", "profile", "name"),
                f"{found.ref} is a base profile (no aimId and modelSources) and cannot be "
                f"deployed; name a deployable profile ({found.source.start})",
                field="spec.profile.name",
                rule="ref.base-profile",
            )
        return
    selector = profile.selector
    if selector is None or (
        _profiles_invalid(invalid) if invalid_profiles is None else invalid_profiles
    ):
        return  # with invalid profiles around, "matches nothing" may be untrue
    candidates = (deployable or Deployable.of(specs)).for_selector(namespace, selector.aim_id)
    if any(match_selector(c, selector).matches for c in candidates):
        return
    message = (
        "spec.profile.selector matches no deployable AIMProfile in namespace "
        f"{namespace} and no AIMClusterProfile; the service will stay Pending"
    )
    findings.warning(
        spec.source.location("spec", "profile", "selector"),
        message,
        field="spec.profile.selector",
        rule="ref.selector-matches-nothing",
    )


def _derived_names(spec: Spec[AIMService]) -> list[tuple[str, str]]:
    """(kind, name) of the objects named after a service (cut to fit, so they may clash)."""
    namespace = spec.namespace or ""
    try:
        names = [("InferenceService", inference_service_name(spec.name, namespace))]
    except ValueError:
        return []  # the namespace is too long: reported on its own
    names.append(("ConfigMap", profile_configmap_name(spec.name)))
    routing = spec.obj.spec.routing
    if routing is not None and routing.enabled and routing.gateway_ref is not None:
        names.append(("HTTPRoute", http_route_name(spec.name, namespace)))
    return names


def check_derived_names(specs: Specs, findings: Findings) -> None:
    """Two services must never derive one object (one object, two owners)."""
    owners: dict[tuple[str, str, str], list[Spec[AIMService]]] = {}
    for spec in specs.services.values():
        for kind, name in _derived_names(spec):
            owners.setdefault((kind, spec.namespace or "", name), []).append(spec)
    for (kind, namespace, name), services in sorted(owners.items()):
        if len(services) < 2:
            continue
        for spec in services:
            others = ", ".join(
                f"{other.ref} ({other.source.location('metadata', 'name')})"
                for other in services if other is not spec
            )
            findings.error(
                spec.source.location("metadata", "name"),
                f"{spec.ref} derives {kind} {namespace}/{name}, and so does {others}: one object "
                "cannot belong to two services; rename one of them",
                field="metadata.name",
                rule="ref.derived-name-collision",
            )


def check_references(
    specs: Specs, findings: Findings, invalid: InvalidKeys, unreadable: bool = False
) -> None:
    """`unreadable`: some file could not be read, so "not found" may be untrue."""
    check_derived_names(specs, findings)
    deployable = Deployable.of(specs)
    invalid_profiles = _profiles_invalid(invalid)
    for spec in specs.services.values():
        check_service(spec, specs, findings, invalid, unreadable, deployable, invalid_profiles)
    for cache in specs.caches.values():
        namespace = cache.namespace or ""
        target = cache.obj.spec
        found: Spec[AIMProfile] | Spec[AIMClusterProfile] | None
        if target.profile_scope == "Cluster":
            found = specs.cluster_profiles.get(target.profile_name)
            scope_text = "no AIMClusterProfile"
            names = list(specs.cluster_profiles)
        else:
            found = specs.profiles.get((namespace, target.profile_name))
            scope_text = f"no AIMProfile in namespace {namespace}"
            names = [n for ns, n in specs.profiles if ns == namespace]
        if found is None and (
            unreadable or _invalid_profile(invalid, namespace, target.profile_name)
        ):
            continue
        if found is None:
            other_scope = (
                "Namespace"
                if target.profile_scope == "Cluster"
                and (namespace, target.profile_name) in specs.profiles
                else "Cluster"
                if target.profile_scope == "Namespace"
                and target.profile_name in specs.cluster_profiles
                else None
            )
            hint = (
                f"; there is one with profileScope: {other_scope}"
                if other_scope
                else _not_found_hint(target.profile_name, names)
            )
            findings.error(
                cache.source.location("spec", "profileName"),
                f"{scope_text} named {target.profile_name!r} (profileScope: "
                f"{target.profile_scope})" + hint,
                field="spec.profileName",
                rule="ref.cache-profile-not-found",
            )
        elif not found.obj.spec.model_sources:
            findings.error(
                cache.source.location("spec", "profileName"),
                f"{found.ref} has no modelSources: there is nothing to cache",
                field="spec.profileName",
                rule="ref.cache-nothing-to-cache",
            )
    for profile in specs.profiles.values():
        caching = profile.obj.spec.caching
        if caching and caching.enabled and not profile.obj.spec.model_sources:
            findings.warning(
                profile.source.location("spec", "caching", "enabled"),
                "caching.enabled has no effect: the profile has no modelSources to cache",
                field="spec.caching.enabled",
                rule="ref.caching-without-sources",
            )
