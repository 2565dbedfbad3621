"""The transport's retry policy and error typing (a fake transport; no API semantics)."""

from __future__ import annotations

from typing import Any

import pytest
import urllib3

from aimsync.kube.client import KubeClient, RetryPolicy
from aimsync.kube.errors import ConnectionFailed, Invalid, NotFound, ServerError


class FakeTransport(KubeClient):
    """Answers from a script of (status, body, retry-after) or exceptions."""

    def __init__(self, answers: list[Any]) -> None:
        self.slept: list[float] = []
        super().__init__(None, retry=RetryPolicy(attempts=4), sleep=self.slept.append)  # type: ignore[arg-type]
        self.answers = answers

    def _send(self, *args: Any) -> tuple[int, bytes, str | None]:
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


def status(code: int, reason: str, message: str) -> bytes:
    return (
        f'{{"kind":"Status","status":"Failure","code":{code},"reason":"{reason}",'
        f'"message":"{message}"}}'
    ).encode()


def test_429_is_retried_after_the_time_the_server_asks() -> None:
    kube = FakeTransport([(429, status(429, "TooManyRequests", "slow"), "3"), (200, b"{}", None)])
    assert kube.request("GET", "/x") == {}
    assert kube.slept == [3.0]
    assert kube.stats.retries == 1 and kube.stats.reads == 2


def test_5xx_backs_off_exponentially_and_gives_up() -> None:
    kube = FakeTransport([(503, b"", None)] * 4)
    with pytest.raises(ServerError):
        kube.request("GET", "/x")
    assert kube.slept == [0.2, 0.4, 0.8]


def test_lost_connections_are_retried_then_reported() -> None:
    kube = FakeTransport([urllib3.exceptions.ProtocolError("reset")] * 4)
    with pytest.raises(ConnectionFailed, match="cannot reach the API server"):
        kube.request("GET", "/x")


def test_client_errors_are_typed_and_not_retried() -> None:
    kube = FakeTransport([(404, status(404, "NotFound", "nope"), None)])
    with pytest.raises(NotFound) as error:
        kube.request("GET", "/x")
    assert error.value.reason == "NotFound" and kube.slept == []


def test_schema_refusal_reported_as_500_is_not_retried() -> None:
    body = status(500, "InternalError",
                  "failed to create typed patch object: .spec.x: field not declared in schema")
    kube = FakeTransport([(500, body, None)])
    with pytest.raises(Invalid):
        kube.request("PATCH", "/x", body={}, content_type="application/apply-patch+yaml")
    assert kube.slept == []


def test_non_status_bodies_are_cut_so_data_never_reaches_logs() -> None:
    kube = FakeTransport([(400, b"x" * 10_000, None)])
    with pytest.raises(Exception) as error:
        kube.request("GET", "/x")
    assert len(str(error.value)) < 400


def test_writes_and_dry_runs_are_counted_apart() -> None:
    kube = FakeTransport([(200, b"{}", None), (201, b"{}", None)])
    kube.request("PATCH", "/x", query=[("dryRun", "All")], body={})
    kube.request("PATCH", "/x", body={})
    assert kube.stats.as_dict() == {
        "reads": 0, "writes": 1, "dryRuns": 1, "retries": 0, "total": 2
    }
