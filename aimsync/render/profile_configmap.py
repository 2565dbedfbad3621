"""The profile ConfigMap the AIM image reads at start-up, as the operator writes it
(aim-engine internal/v1alpha2/aimservice/configmap.go at e837778: assembleProfileYAML,
profileFilename, buildProfileConfigMap).

The runtime images REQUIRE `metadata.gpu` and `metadata.gpu_count` (omitting them crashes the
predictor pod). The file is YAML as `sigs.k8s.io/yaml` writes it: keys in go-yaml's natural
order, block style, strings that would read as another type quoted.
"""

from __future__ import annotations

import json
import math
from functools import cmp_to_key
from typing import Any

import yaml

from aimsync.api.profile import AIMProfileSpecCommon
from aimsync.core.naming import profile_configmap_name
from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.render.labels import SERVICE_LABEL, base_labels, sanitize_label_value

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml


def profile_file_stem(spec: AIMProfileSpecCommon) -> str:
    """`profileFilename` without `.yaml`: `vllm-<lower(model)|none>-<precision>-tp<count>-
    <metric>`, always generated (`spec.profileId` is not used at e837778)."""
    accelerator = (spec.accelerator_model or "").lower() or "none"
    return (
        f"vllm-{accelerator}-{spec.precision or ''}-tp{spec.accelerator_count or 0}-"
        f"{spec.metric or ''}"
    )


def _go_yaml_compare(a: str, b: str) -> int:
    """go-yaml v2's key order (sorter.go keyList.Less): letters by code point, a non-letter
    before a letter, runs of digits by their value (`tp2` before `tp10`)."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x == y:
            continue
        if x.isalpha() and y.isalpha():
            return -1 if x < y else 1
        if x.isalpha() or y.isalpha():
            return 1 if x.isalpha() else -1
        ai, an = _digit_run(a, i)
        bi, bn = _digit_run(b, i)
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if x < y else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _digit_run(text: str, start: int) -> tuple[int, int]:
    """(end, value) of the run of digits at `start` (value 0 when there is none)."""
    end, value = start, 0
    while end < len(text) and text[end].isdigit():
        value = value * 10 + int(text[end])
        end += 1
    return end, value


go_yaml_key = cmp_to_key(_go_yaml_compare)


def _go_sorted(value: Any) -> Any:
    """Mappings in go-yaml's order (Python's YAML writer keeps insertion order)."""
    if isinstance(value, dict):
        return {k: _go_sorted(value[k]) for k in sorted(value, key=go_yaml_key)}
    if isinstance(value, list):
        return [_go_sorted(v) for v in value]
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)  # JSON numbers go through float64: 8192.0 is written 8192
    return value


def profile_document(spec: AIMProfileSpecCommon) -> str:
    metadata: dict[str, object] = {
        "engine": spec.engine or "",
        "gpu": spec.accelerator_model or "",
        "gpu_count": spec.accelerator_count or 0,
        "accelerator_model": spec.accelerator_model or "",
        "accelerator_type": spec.accelerator_type or "",
        "accelerator_count": spec.accelerator_count or 0,
        "manual_selection_only": False,
        "metric": spec.metric or "",
        "precision": spec.precision or "",
        "type": spec.type or "",
    }
    if spec.features:
        metadata["features"] = list(spec.features)
    document = {
        "aim_id": spec.aim_id or "",
        "model_id": spec.model_id or "",
        "metadata": metadata,
        # Through JSON, as the operator's map[string]any round trip.
        "engine_args": json.loads(json.dumps(spec.engine_args or {})),
        "env_vars": dict(spec.engine_env or {}),
    }
    return yaml.dump(
        _go_sorted(document), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
        allow_unicode=True, width=1_000_000,
    )


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
