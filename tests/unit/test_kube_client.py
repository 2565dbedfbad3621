"""The transport's retry policy and error typing (a fake transport; no API semantics)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from aimsync.core.halt import DeadlineExceeded, Interrupted, StopRequest
from aimsync.kube.client import (
    KubeClient,
    PreparedRequest,
    RetryPolicy,
    ThrottledRefresh,
    _decode,
    _encode,
)
from aimsync.kube.errors import ConnectionFailed, Invalid, NotFound, ServerError
from aimsync.kube.guard import ApiUnreachable, RequestGuard


class FakeTransport(KubeClient):
    """Answers from a script of (status, body, retry-after) or exceptions."""

    def __init__(self, answers: list[Any]) -> None:
        self.slept: list[float] = []
        super().__init__(None, retry=RetryPolicy(attempts=4), sleep=self.slept.append)  # type: ignore[arg-type]
        self.answers = answers

    def _prepare(self, *args: Any) -> PreparedRequest:
        return PreparedRequest("https://example.invalid/x", {}, None)

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


# -- the run's guard (aimsync.kube.guard): what a request checks before it is sent ----------


class Recording(FakeTransport):
    """Also records the (connect, read) timeouts each attempt was given."""

    def __init__(self, answers: list[Any]) -> None:
        super().__init__(answers)
        self.timeouts: list[tuple[float, float]] = []

    def _send(self, *args: Any) -> tuple[int, bytes, str | None]:
        self.timeouts.append(args[2])
        return super()._send(*args)


def test_a_server_that_never_answers_is_asked_twice_not_five_times() -> None:
    kube = Recording([urllib3.exceptions.ReadTimeoutError(None, "/x", "read timed out")] * 4)
    with pytest.raises(ConnectionFailed):
        kube.request("GET", "/x")
    assert len(kube.timeouts) == 2


def test_every_request_has_connect_and_read_timeouts() -> None:
    kube = Recording([(200, b"{}", None)])
    kube.request("GET", "/x")
    assert kube.timeouts == [(5.0, 30.0)]


def test_no_request_is_sent_after_a_stop_was_asked() -> None:
    kube = Recording([(200, b"{}", None)])
    stop = StopRequest()
    kube.guard = RequestGuard(stop=stop)
    stop.request(signal.SIGTERM)
    with pytest.raises(Interrupted) as stopped:
        kube.request("PATCH", "/x", body={})
    assert stopped.value.exit_code == 143 and kube.timeouts == []


def test_the_runs_own_lease_requests_are_sent_while_it_stops() -> None:
    kube = Recording([(200, b"{}", None)])
    stop = StopRequest()
    kube.guard = RequestGuard(stop=stop)
    stop.request(signal.SIGTERM)
    kube.request("DELETE", "/lease", exempt=True)
    assert kube.timeouts == [(5.0, 3.0)]


def test_requests_end_by_the_runs_deadline_and_none_is_sent_after_it() -> None:
    now = [100.0]
    kube = Recording([(200, b"{}", None)])
    kube.guard = RequestGuard(deadline=112.0, timeout_seconds=60, clock=lambda: now[0])
    kube.request("GET", "/x")
    assert kube.timeouts == [(5.0, 12.0)]  # the read may not outlast the deadline
    now[0] = 112.5
    with pytest.raises(DeadlineExceeded, match="--timeout 60s"):
        kube.request("GET", "/x")


def test_a_write_takes_at_most_the_time_the_lease_is_still_valid_for() -> None:
    kube = Recording([(200, b"{}", None), (200, b"{}", None)])
    kube.guard = RequestGuard(fence=lambda: 7.0)
    kube.request("PATCH", "/x", body={})
    kube.request("PATCH", "/x", query=[("dryRun", "All")], body={})  # a dry run writes nothing
    assert kube.timeouts == [(5.0, 7.0), (5.0, 30.0)]


def test_after_three_unreachable_requests_the_circuit_opens() -> None:
    lost = urllib3.exceptions.ProtocolError("connection refused")
    kube = Recording([lost] * 12)
    for _ in range(3):
        with pytest.raises(ConnectionFailed):
            kube.request("GET", "/x")
    sent = len(kube.timeouts)
    with pytest.raises(ApiUnreachable, match="did not answer 3 requests in a row"):
        kube.request("GET", "/x")
    assert len(kube.timeouts) == sent  # nothing sent: one finding, not one per object


def test_an_answer_closes_the_circuit_count() -> None:
    lost = urllib3.exceptions.ProtocolError("connection refused")
    kube = Recording([lost] * 8 + [(200, b"{}", None)] + [lost] * 4)
    for _ in range(2):
        with pytest.raises(ConnectionFailed):
            kube.request("GET", "/x")
    kube.request("GET", "/x")
    with pytest.raises(ConnectionFailed):  # counted from zero again: not open yet
        kube.request("GET", "/x")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_answers_decode_to_the_values_the_json_module_reads(value: object) -> None:
    raw = json.dumps(value).encode()
    kube = FakeTransport([(200, raw, None)])
    assert kube.request_with_status("GET", "/x")[1] == (
        value if isinstance(value, dict) else {})
    assert _decode(raw) == json.loads(raw)


@given(JSON_VALUES)
def test_request_bodies_encode_to_json_the_json_module_reads_back_as_they_were(
    value: object,
) -> None:
    encoded = _encode(value)
    assert (encoded is None) == (value is None)
    assert encoded is None or json.loads(encoded) == value


def test_an_answer_that_is_not_json_is_kept_as_its_first_bytes_of_text() -> None:
    assert _decode(b"\xff<html>" + b"x" * 300) == ("\ufffd<html>" + "x" * 300)[:256]
    assert _decode(b"") == {}


def test_a_write_is_serialized_before_the_lease_is_checked_and_sent_right_after() -> None:
    steps: list[str] = []

    class InOrder(FakeTransport):
        def _prepare(self, *args: Any) -> PreparedRequest:
            steps.append("serialize")
            return super()._prepare(*args)

        def _send(self, *args: Any) -> tuple[int, bytes, str | None]:
            steps.append("send")
            return super()._send(*args)

    def fence() -> float:
        steps.append("check the lease")
        return 5.0

    kube = InOrder([(200, b"{}", None)])
    kube.guard.fence = fence
    kube.request("PATCH", "/x", body={"spec": {}})
    assert steps == ["serialize", "check the lease", "send"]


def test_credentials_are_refreshed_at_most_once_a_second() -> None:
    now = [100.0]
    refreshed: list[float] = []
    refresh = ThrottledRefresh(lambda configuration: refreshed.append(now[0]),
                               clock=lambda: now[0])
    for _ in range(12):  # 12 requests, a quarter of a second apart
        refresh(None)
        now[0] += 0.25
    assert refreshed == [100.0, 101.0, 102.0]


EXEC_PLUGIN = """\
import datetime, json, pathlib, sys
runs = pathlib.Path(sys.argv[1])
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                  "kind": "ExecCredential",
                  "status": {"token": f"token-{len(runs.read_text())}",
                             "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}))
"""


def test_a_short_lived_exec_token_does_not_run_its_plugin_for_every_request(
    tmp_path: Path,
) -> None:
    # The token expires within the loader's five-minute margin: the loader alone would run
    # the plugin again before every request.
    plugin, runs = tmp_path / "plugin.py", tmp_path / "runs"
    plugin.write_text(EXEC_PLUGIN)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable, "args": [str(plugin), str(runs)],
            "interactiveMode": "Never"}}}],
    }))
    kube = KubeClient.connect(kubeconfig)
    headers = [kube._prepare("GET", "/api/v1/namespaces", [], None, "", "application/json")
               .headers["authorization"] for _ in range(20)]
    assert len(runs.read_text()) <= 3  # the load, and a refresh at most once a second
    assert headers[-1] == f"Bearer token-{len(runs.read_text())}"
