"""`kind: List` (what `kubectl get -o yaml` writes) and the seed's AIM*List kinds read as
their items, each item located in its file (issue 10; the seed lists AIMClusterProfileList,
AIMProfileList, AIMProfileCacheList and AIMServiceList)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from aimsync.pipeline import check_repository, render_repository
from aimsync.render.gating import CacheState
from aimsync.render.labels import SOURCE_ANNOTATION
from tests.support import CLUSTER_PROFILE, service, write_repo

NS = "ml-team"
SERVICES = {"chat": "profile: {name: qwen}", "batch": "profile: {name: qwen}\nreplicas: 2"}


def separate_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"cluster/profiles/qwen.yaml": CLUSTER_PROFILE}
    for name, spec in SERVICES.items():
        files[f"namespaces/{NS}/services/{name}.yaml"] = service(spec, name=name)
    return files


def as_list(documents: list[dict[str, Any]], kind: str = "List", typed: bool = False) -> str:
    """A list document as kubectl (`kind: List`) or the API server (typed: items without
    apiVersion and kind) writes it."""
    items = [
        {k: v for k, v in d.items() if k not in ("apiVersion", "kind")} if typed else d
        for d in documents
    ]
    api_version = "aim.eai.amd.com/v1alpha2" if typed else "v1"
    return yaml.safe_dump(
        {"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": ""},
         "items": items},
        sort_keys=False,
    )


def service_documents() -> list[dict[str, Any]]:
    return [yaml.safe_load(service(spec, name=name)) for name, spec in SERVICES.items()]


def objects_of(root: Path) -> list[dict[str, Any]]:
    """The rendered objects without the source-file annotation (which names the file)."""
    derived = render_repository(root)
    out = []
    for obj in derived.gated(CacheState(assume_ready=True)).objects:
        manifest = yaml.safe_load(yaml.safe_dump(obj.manifest))
        manifest["metadata"].get("annotations", {}).pop(SOURCE_ANNOTATION, None)
        out.append(manifest)
    return out


def test_a_kubectl_list_renders_like_separate_files(tmp_path: Path) -> None:
    separate = write_repo(tmp_path / "separate", separate_files())
    listed = write_repo(tmp_path / "listed", {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        f"namespaces/{NS}/services/all.yaml": as_list(service_documents()),
    })
    assert objects_of(listed) == objects_of(separate)


def test_an_aim_service_list_from_the_api_renders_like_separate_files(tmp_path: Path) -> None:
    separate = write_repo(tmp_path / "separate", separate_files())
    listed = write_repo(tmp_path / "listed", {
        "cluster/profiles/qwen.yaml": as_list(
            [yaml.safe_load(CLUSTER_PROFILE)], "AIMClusterProfileList", typed=True
        ),
        f"namespaces/{NS}/services/all.yaml": as_list(
            service_documents(), "AIMServiceList", typed=True
        ),
    })
    assert objects_of(listed) == objects_of(separate)


def test_an_error_inside_a_list_item_names_the_items_line(tmp_path: Path) -> None:
    documents = service_documents()
    documents[1]["spec"]["replicas"] = "two"
    text = as_list(documents)
    write_repo(tmp_path, {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        f"namespaces/{NS}/services/all.yaml": text,
    })
    (error,) = check_repository(tmp_path).findings.errors
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "replicas: two" in t)
    assert (error.location.path, error.location.line) == (f"namespaces/{NS}/services/all.yaml",
                                                          line)
    assert error.field == "spec.replicas"


def test_a_list_without_items_is_a_located_error(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        f"namespaces/{NS}/services/all.yaml": textwrap.dedent("""\
            apiVersion: v1
            kind: List
            items: {}
        """),
    })
    (error,) = check_repository(tmp_path).findings.errors
    assert error.location.line == 3 and error.field == "items"
    assert "list named items" in error.message
