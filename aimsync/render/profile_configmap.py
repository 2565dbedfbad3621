"""The profile ConfigMap the AIM image reads at start-up (Gen-A, reference §3.3)."""

from __future__ import annotations

import yaml

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.core.naming import profile_configmap_name
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.render.labels import SERVICE_LABEL, base_labels, sanitize_label_value

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available: 10x faster


def profile_file_stem(spec: AIMProfileSpecCommon) -> str:
    """`<profileId>`, else `vllm-<accelerator|none>-<precision>-tp<count>-<metric>`."""
    if spec.profile_id:
        return spec.profile_id
    accelerator = (spec.accelerator_model or "none").lower()
    return (
        f"vllm-{accelerator}-{spec.precision or 'none'}-tp{spec.accelerator_count or 0}-"
        f"{spec.metric or 'none'}"
    )


def profile_document(spec: AIMProfileSpecCommon) -> str:
    """The profile YAML: keys sorted, empty maps written as {} (as sigs.k8s.io/yaml does)."""
    document = {
        "aim_id": spec.aim_id or "",
        "engine_args": spec.engine_args or {},
        "env_vars": spec.engine_env or {},
        "metadata": {
            "accelerator_count": spec.accelerator_count or 0,
            "accelerator_model": spec.accelerator_model or "",
            "accelerator_type": spec.accelerator_type or "",
            "engine": spec.engine or "",
            "manual_selection_only": spec.manual_selection_only,
            "metric": spec.metric or "",
            "precision": spec.precision or "",
            "type": spec.type or "",
        },
        "model_id": spec.model_id or "",
    }
    return yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False)


def render_profile_configmap(
    service_name: str,
    namespace: str,
    spec: AIMProfileSpecCommon,
    extra_labels: dict[str, str],
    document: str | None = None,
) -> DesiredObject:
    """`document`: the profile YAML when already written (services share profiles)."""
    name = profile_configmap_name(service_name)
    labels = base_labels("inference")
    labels[SERVICE_LABEL] = sanitize_label_value(service_name)
    labels.update(extra_labels)
    manifest: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {f"{profile_file_stem(spec)}.yaml": document or profile_document(spec)},
    }
    return DesiredObject(
        ObjectKey("v1", "ConfigMap", namespace, name),
        manifest,
        origin=f"AIMService {namespace}/{service_name}",
    )
