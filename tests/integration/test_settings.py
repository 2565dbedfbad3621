"""Settings of aimsync.yaml against the real control plane: every setting is read by a run,
and the prune guards of the file are the defaults of the flags."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from pydantic import BaseModel

from aimsync.settings import Settings
from tests.cluster import ClusterAccess
from tests.integration.test_sync import (
    items,
    names,
    repo,
    settings,
    succeed_jobs,
    sync,
    sync_report,
)
from tests.support import CLUSTER_PROFILE, service, write_repo

pytestmark = pytest.mark.integration


def setting_models(model: type[BaseModel] = Settings) -> Iterator[type[BaseModel]]:
    """Settings and every model nested in it."""
    yield model
    for info in model.model_fields.values():
        nested = info.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            yield from setting_models(nested)


def every_setting() -> set[tuple[str, str]]:
    return {(m.__name__, name) for m in setting_models() for name in m.model_fields}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str]]:
    """(model, field) of every settings field the code reads while the test runs."""
    seen: set[tuple[str, str]] = set()
    for model in setting_models():
        original = model.__getattribute__

        def recording(
            self: BaseModel, name: str, original: Any = original
        ) -> Any:
            fields = type(self).model_fields
            if name in fields:
                seen.add((type(self).__name__, name))
            return original(self, name)

        monkeypatch.setattr(model, "__getattribute__", recording)
    return seen


def test_every_setting_is_read_by_a_run(
    control_plane: ClusterAccess, namespace: str, tmp_path: Path, reads: set[tuple[str, str]]
) -> None:
    """Each setting set to something other than its default; a sync that prunes and
    commits status must read every one (a setting nobody reads is a bug: accepted and
    ignored). What a setting does is tested where it acts; this test catches a setting that
    nothing reads at all."""
    aimsync_yaml = textwrap.dedent(f"""\
        fieldManager: aimsync-test
        reclaimFromManagers: [kubectl]
        downloaderImage: registry.example.com/downloader:9
        defaultStorageClass: standard
        defaultCacheSize: 20Gi
        pvcHeadroomPercent: 25
        lock: {{namespace: {namespace}, name: lock-x}}
        inventory: {{namespace: {namespace}, name: inventory-x}}
        prune: {{allowEmpty: true, sharedCaches: true}}
        namespaces: [{namespace}]
        exclude: ["drafts/**"]
        git: {{authorName: bot, authorEmail: bot@example.com}}
        limits: {{maxFileBytes: 200000, maxFiles: 100}}
        """)
    sizeless = CLUSTER_PROFILE.replace("name: qwen\n", f"name: qwen-{namespace}\n").replace(
        "      size: 35Gi\n", ""
    )
    root = tmp_path / "repo"
    write_repo(root, {
        "aimsync.yaml": aimsync_yaml,
        "cluster/profiles/qwen.yaml": sizeless,
        f"namespaces/{namespace}/services/chat.yaml": service(
            f"profile: {{name: qwen-{namespace}}}", name="chat"
        ),
        "drafts/ignored.yaml": "not: [valid",
    })
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "specs"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *command],
                       cwd=root, check=True, capture_output=True)
    reads.clear()  # what the test itself read while setting up does not count
    result = sync(control_plane, root, "--prune", "--commit-status")
    assert result.exit_code == 0, result.output
    assert every_setting() - reads == set()


def removed_after_sync(
    access: ClusterAccess, api: client.ApiClient, namespace: str, tmp_path: Path
) -> Path:
    """A repository whose aimsync.yaml opens both prune guards, synced (downloads done),
    then its only service removed: a --prune now renders nothing."""
    root = repo(tmp_path, namespace)
    (root / "aimsync.yaml").write_text(
        settings(namespace) + "prune: {allowEmpty: true, sharedCaches: true}\n"
    )
    assert sync(access, root).exit_code == 0
    succeed_jobs(api, namespace)
    assert sync(access, root).exit_code == 0
    (root / f"namespaces/{namespace}/services/chat.yaml").unlink()
    return root


def test_prune_settings_are_the_defaults_of_the_flags(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = removed_after_sync(control_plane, api_client, namespace, tmp_path)
    result = sync(control_plane, root, "--prune")
    assert result.exit_code == 0, result.output
    # Deleted: the PVC stays Terminating (no controller removes its protection finalizer).
    (pvc,) = items(api_client, namespace, "persistentvolumeclaims")
    assert pvc["metadata"].get("deletionTimestamp")
    assert names(api_client, namespace, "jobs", "batch/v1") == []


def test_a_flag_overrides_the_prune_setting(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    root = removed_after_sync(control_plane, api_client, namespace, tmp_path)
    result = sync_report(control_plane, root, "--prune", "--no-allow-empty")
    assert result["exitCode"] == 0, result
    assert {c["reason"] for c in result["changes"]} == {
        "the render is empty; refusing to prune everything without --allow-empty"
    }
    (pvc,) = items(api_client, namespace, "persistentvolumeclaims")
    assert not pvc["metadata"].get("deletionTimestamp")
