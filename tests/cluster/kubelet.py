"""Playing a kubelet for the one thing aimsync asks of a node: a container's log.

`GET /api/v1/namespaces/NS/pods/POD/log` is answered by the kube-apiserver, which looks up
the pod's node (`spec.nodeName`), the node's address and kubelet port (`status.addresses`,
`status.daemonEndpoints.kubeletEndpoint.Port`) and proxies the request over HTTPS to
`/containerLogs/NS/POD/CONTAINER` there. This server is that endpoint, on loopback. The
apiserver has no `--kubelet-certificate-authority` here, so it does not verify the serving
certificate; the test control plane's own serving certificate (for 127.0.0.1) is used.
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from kubernetes import client

from tests.cluster.kube import KubeApiError, request

LogKey = tuple[str, str, str]  # namespace, pod, container


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _KubeletServer

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "containerLogs":
            self._answer(404, b"not found\n")
            return
        text = self.server.logs.get((parts[1], parts[2], parts[3]))
        if text is None:
            self._answer(404, b"container not found\n")
            return
        lines = text.splitlines(keepends=True)
        tail = urllib.parse.parse_qs(url.query).get("tailLines")
        if tail:
            lines = lines[-int(tail[0]):]
        self._answer(200, "".join(lines).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _KubeletServer(http.server.ThreadingHTTPServer):
    logs: dict[LogKey, str]


class FakeKubelet:
    """A loopback HTTPS server answering container logs, and the Node that points at it."""

    def __init__(self, cert: Path, key: Path) -> None:
        self._server = _KubeletServer(("127.0.0.1", 0), _Handler)
        self._server.logs = {}
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def set_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        self._server.logs[(namespace, pod, container)] = text

    def register_node(self, api: client.ApiClient, name: str) -> None:
        """A Node whose kubelet is this server (created, then its status set)."""
        request(api, "POST", "/api/v1/nodes", body={
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
        })
        request(api, "PATCH", f"/api/v1/nodes/{name}/status", body={"status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
        }}, content_type="application/merge-patch+json")

    def __enter__(self) -> FakeKubelet:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def kubelet_node(api: client.ApiClient, pki: Path, name: str) -> Iterator[FakeKubelet]:
    """A fake kubelet and its Node for the length of a test; the Node is deleted after."""
    with FakeKubelet(pki / "apiserver.crt", pki / "apiserver.key") as kubelet:
        kubelet.register_node(api, name)
        try:
            yield kubelet
        finally:
            with contextlib.suppress(KubeApiError):
                request(api, "DELETE", f"/api/v1/nodes/{name}")
