"""Build API objects and Specs directly (for tests of the pure stages after validation)."""

from __future__ import annotations

from typing import Any

from aimsync.api import AIMClusterProfile, AIMKind, AIMProfile, AIMService
from aimsync.load.yaml_reader import Position, YamlDocument
from aimsync.specs import Spec, Specs, SpecSource

API = "aim.eai.amd.com/v1alpha2"


def gpu_profile(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aimId": "qwen/qwen3-32b",
        "image": "img:1.0",
        "type": "optimized",
        "metric": "latency",
        "precision": "fp8",
        "acceleratorType": "gpu",
        "acceleratorModel": "MI300X",
        "acceleratorCount": 1,
        "modelSources": [
            {
                "modelId": "qwen/qwen3-32b-fp8",
                "sourceUri": "hf://Qwen/Qwen3-32B-FP8",
                "size": "10Gi",
            }
        ],
    }
    base.update(spec)
    return {k: v for k, v in base.items() if v is not None}


def _source(name: str) -> SpecSource:
    return SpecSource(f"{name}.yaml", YamlDocument(0, Position(1, 1), None))


def make_specs(
    cluster: dict[str, dict[str, Any]] | None = None,
    namespaced: dict[tuple[str, str], dict[str, Any]] | None = None,
    services: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> Specs:
    specs = Specs()
    for name, spec in (cluster or {}).items():
        obj = AIMClusterProfile.model_validate(
            {"apiVersion": API, "kind": "AIMClusterProfile", "metadata": {"name": name},
             "spec": spec}
        )
        specs.add(Spec(AIMKind.CLUSTER_PROFILE, name, None, _source(name), obj))
    for (namespace, name), spec in (namespaced or {}).items():
        obj_p = AIMProfile.model_validate(
            {"apiVersion": API, "kind": "AIMProfile",
             "metadata": {"name": name, "namespace": namespace}, "spec": spec}
        )
        specs.add(Spec(AIMKind.PROFILE, name, namespace, _source(name), obj_p))
    for (namespace, name), spec in (services or {}).items():
        obj_s = AIMService.model_validate(
            {"apiVersion": API, "kind": "AIMService",
             "metadata": {"name": name, "namespace": namespace}, "spec": spec}
        )
        specs.add(Spec(AIMKind.SERVICE, name, namespace, _source(name), obj_s))
    return specs


def mi300x_node(name: str, gpus: int = 8, partition: str = "default") -> dict[str, Any]:
    prefix = "feature.node.kubernetes.io/aim-accelerator"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                f"{prefix}.MI300X": str(gpus),
                f"{prefix}.partitioning-scheme.{partition}": "true",
            },
        },
        "status": {"allocatable": {"amd.com/gpu": str(gpus), "cpu": "128", "memory": "2Ti"}},
    }
