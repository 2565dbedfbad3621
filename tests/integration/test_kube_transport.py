"""The kube client's transport against the real API server: what goes over the wire."""

from __future__ import annotations

from typing import Any

import pytest

from aimsync.kube.client import KubeClient
from aimsync.kube.read import list_objects
from aimsync.kube.resources import RESOURCES

pytestmark = pytest.mark.integration


def test_a_large_list_arrives_compressed_and_reads_as_sent(
    kube: KubeClient, namespace: str
) -> None:
    sent = {f"config-{i}": {"payload": f"{i:04d}" * 1024} for i in range(60)}  # 240 KiB
    for name, data in sent.items():
        kube.request("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                     body={"metadata": {"name": name}, "data": data})
    encodings: list[str | None] = []
    pool = kube.api.rest_client.pool_manager
    send = pool.request

    def observed(*args: Any, **kwargs: Any) -> Any:
        response = send(*args, **kwargs)
        encodings.append(response.headers.get("Content-Encoding"))
        return response

    pool.request = observed  # type: ignore[method-assign]
    items = list_objects(kube, RESOURCES["ConfigMap"], namespace)
    assert encodings == ["gzip"]
    assert {i["metadata"]["name"]: i["data"] for i in items if i["metadata"]["name"]
            in sent} == sent
