"""deploy/ on the real control plane.

The kustomize base and the example overlay, built by the control plane's kubectl, are
admitted by server-side apply, and their CronJob's pod by the `restricted` Pod Security level
(aimsync-system enforces it). Then the CronJob's container runs as its pod would: the exact
args of the built kustomization, its ServiceAccount with exactly the shipped roles, in-cluster
configuration (a TokenRequest token, the CA and the namespace at
/var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT), the env the
kubelet would give it (the token from the Secret), a read-only root filesystem with its
emptyDir and ConfigMap volumes as folders, no git configuration at all; against a Git server
on loopback (`git http-backend`) that requires the token. The files are put in place in a
mount namespace of the aimsync process (`unshare`), so nothing of this machine changes.

What plays the kubelet here is the part no process of the control plane does: volumes as
folders, env from the Secret, the service-account files. Where the test cluster cannot be
the user's (the repository URL), the test overlays the base as a user would.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.cluster import ClusterAccess, KubeApiError
from tests.cluster import request as kube_request
from tests.git_support import git
from tests.git_support import human_pushes as push_as_human
from tests.integration.conftest import TEST_NAMESPACE_LABEL
from tests.integration.test_sync import PROFILE, names
from tests.support import document, service, write_repo

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "base"
OVERLAY = DEPLOY / "overlays/example-second-cluster"
EXAMPLES = DEPLOY / "examples"
SYSTEM = "aimsync-system"
SERVICE_ACCOUNT = f"system:serviceaccount:{SYSTEM}:aimsync"
TEAM_NAMESPACES = ("ml-team", "research")  # owned by the base (deploy/base/owned-namespaces.yaml)
FIELD_MANAGER = "aimsync-deploy-test"
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
KUBECTL_TIMEOUT = 120.0
RUN_TIMEOUT = 300.0  # one sync of the CronJob's container (a clone, a push) on a busy machine
GIT_BACKEND_TIMEOUT = 60.0
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# This cluster's overrides of the repository's aimsync.yaml (the overlay's ConfigMap).
CLUSTER_AUTHOR = "aimsync on cluster a"
CLUSTER_SETTINGS = f"git: {{authorName: {CLUSTER_AUTHOR}}}\n"
GIT_USER = "x-access-token"  # what aimsync's askpass answers when the Secret names no user


# --- kubectl ------------------------------------------------------------------------------

def kubectl(
    access: ClusterAccess, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    binary = str(access.kubectl) if access.kubectl else shutil.which("kubectl")
    if binary is None:
        pytest.fail("no kubectl: the local control plane ships one; put one on PATH otherwise")
    return subprocess.run(
        [binary, "--kubeconfig", str(access.kubeconfig), *args], input=stdin,
        capture_output=True, text=True, timeout=KUBECTL_TIMEOUT, check=False,
    )


def built(access: ClusterAccess, path: Path) -> str:
    """`kubectl kustomize PATH`."""
    result = kubectl(access, "kustomize", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def the(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [o for o in objects
                if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return found


def apply(access: ClusterAccess, manifests: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return kubectl(access, "apply", "--server-side", f"--field-manager={FIELD_MANAGER}",
                   *extra, "-f", "-", stdin=manifests)


def applied(access: ClusterAccess, manifests: str) -> None:
    result = apply(access, manifests)
    assert result.returncode == 0, result.stderr
    # PodSecurity answers a workload whose pods it would refuse with a warning.
    assert "Warning" not in result.stderr, result.stderr


def pod_of(cronjob: dict[str, Any], name: str) -> dict[str, Any]:
    """The pod the Job controller would create for a Job of `cronjob`."""
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": cronjob["metadata"]["namespace"],
                     "labels": (template.get("metadata") or {}).get("labels") or {}},
        "spec": template["spec"],
    }


def create_pod_dry_run(api: client.ApiClient, pod: dict[str, Any]) -> dict[str, Any]:
    return kube_request(
        api, "POST", f"/api/v1/namespaces/{pod['metadata']['namespace']}/pods",
        query=[("dryRun", "All")], body=pod,
    )


@pytest.fixture
def team_namespaces(api_client: client.ApiClient) -> None:
    """The namespaces the base owns exist (they are the teams', not part of deploy/) and
    enforce the `restricted` level too."""
    labels = {TEST_NAMESPACE_LABEL: "true", **RESTRICTED}
    for name in TEAM_NAMESPACES:
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels}}
        try:
            kube_request(api_client, "POST", "/api/v1/namespaces", body=body)
        except KubeApiError as exc:
            if exc.status != 409:
                raise


def test_every_namespace_the_base_writes_to_enforces_the_restricted_level(
    base: list[dict[str, Any]], api_client: client.ApiClient
) -> None:
    namespaces = {o["metadata"].get("namespace") for o in base} - {None}
    assert namespaces == {SYSTEM, *TEAM_NAMESPACES}
    for name in namespaces:
        live = kube_request(api_client, "GET", f"/api/v1/namespaces/{name}")
        assert live["metadata"]["labels"].items() >= RESTRICTED.items(), name


@pytest.fixture
def base(control_plane: ClusterAccess, team_namespaces: None) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/`, applied."""
    text = built(control_plane, DEPLOY)
    applied(control_plane, text)
    return documents(text)


# --- (a) the kustomization and Pod Security ------------------------------------------------

def test_the_base_is_applied_server_side_without_warnings(
    control_plane: ClusterAccess, team_namespaces: None
) -> None:
    text = built(control_plane, DEPLOY)
    result = apply(control_plane, text)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    kinds = {o["kind"] for o in documents(text)}
    assert kinds == {"Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding",
                     "ClusterRoleBinding", "ConfigMap", "CronJob"}
    stored = kubectl(control_plane, "get", "-f", "-", "-o", "name", stdin=text)
    assert stored.returncode == 0, stored.stderr
    assert len(stored.stdout.split()) == len(documents(text))


def test_a_pod_of_the_cronjob_is_admitted_under_restricted(
    base: list[dict[str, Any]], api_client: client.ApiClient
) -> None:
    pod = create_pod_dry_run(api_client, pod_of(the(base, "CronJob"), "aimsync-dry-run"))
    (container,) = pod["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_a_pod_without_the_hardening_is_refused_there(
    base: list[dict[str, Any]], api_client: client.ApiClient
) -> None:
    """The control: PodSecurity admission is on and enforces `restricted` in aimsync-system."""
    pod = pod_of(the(base, "CronJob"), "aimsync-unhardened")
    del pod["spec"]["securityContext"]["seccompProfile"]
    del pod["spec"]["containers"][0]["securityContext"]
    with pytest.raises(KubeApiError) as refused:
        create_pod_dry_run(api_client, pod)
    assert refused.value.status == 403
    assert 'violates PodSecurity "restricted:latest"' in refused.value.message


def test_a_job_created_from_the_cronjob_is_admitted(
    control_plane: ClusterAccess, base: list[dict[str, Any]]
) -> None:
    """What a person runs to start a sync by hand."""
    result = kubectl(control_plane, "-n", SYSTEM, "create", "job", "aimsync-by-hand",
                     "--from=cronjob/aimsync", "--dry-run=server", "-o", "yaml")
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    job = yaml.safe_load(result.stdout)
    assert job["spec"]["activeDeadlineSeconds"] > 0 and job["spec"]["backoffLimit"] == 0


def test_the_cronjob_bounds_every_run(base: list[dict[str, Any]]) -> None:
    spec = the(base, "CronJob")["spec"]
    job = spec["jobTemplate"]["spec"]
    (container,) = job["template"]["spec"]["containers"]
    assert spec["concurrencyPolicy"] == "Forbid" and spec["timeZone"]
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] > 0 and spec["failedJobsHistoryLimit"] > 0
    assert "--timeout=20m" in container["args"] and "--lock-wait=90s" in container["args"]
    assert job["activeDeadlineSeconds"] > 20 * 60  # aimsync's own deadline comes first
    assert container["resources"]["limits"]["memory"]
    image = container["image"]
    assert "/" in image.split(":")[0] and not image.endswith(":latest")


def test_the_second_cluster_overlay_is_admitted(
    control_plane: ClusterAccess, api_client: client.ApiClient, base: list[dict[str, Any]]
) -> None:
    text = built(control_plane, OVERLAY)
    result = apply(control_plane, text, "--dry-run=server")
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    overlay = documents(text)
    cronjob = the(overlay, "CronJob")
    create_pod_dry_run(api_client, pod_of(cronjob, "aimsync-second-cluster-dry-run"))
    bindings = {o["metadata"]["namespace"] for o in overlay
                if o["kind"] == "RoleBinding" and o["roleRef"]["name"] == "aimsync"}
    assert bindings == {"research"}
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert {e["name"] for e in container["env"]} >= {"AIMSYNC_GIT_SSH_KEY_FILE",
                                                     "AIMSYNC_GIT_KNOWN_HOSTS"}
    assert "AIMSYNC_GIT_TOKEN" not in {e["name"] for e in container["env"]}


def test_the_example_secrets_are_valid_and_what_the_pods_read(
    control_plane: ClusterAccess, base: list[dict[str, Any]]
) -> None:
    token_secret = yaml.safe_load((EXAMPLES / "git-token-secret.yaml").read_text())
    ssh_secret = yaml.safe_load((EXAMPLES / "git-ssh-secret.yaml").read_text())
    for example in ("git-token-secret.yaml", "git-ssh-secret.yaml"):
        result = apply(control_plane, (EXAMPLES / example).read_text(), "--dry-run=server")
        assert result.returncode == 0, result.stderr
    (container,) = pod_of(the(base, "CronJob"), "x")["spec"]["containers"]
    for ref in (e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e):
        assert ref["name"] == token_secret["metadata"]["name"]
        assert ref["key"] in token_secret["stringData"]
    spec = pod_of(the(documents(built(control_plane, OVERLAY)), "CronJob"), "x")["spec"]
    (volume,) = [v for v in spec["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == ssh_secret["metadata"]["name"]
    (ssh_container,) = spec["containers"]
    files = {Path(e["value"]).name for e in ssh_container["env"]
             if e["name"] in ("AIMSYNC_GIT_SSH_KEY_FILE", "AIMSYNC_GIT_KNOWN_HOSTS")}
    assert files == {"ssh-privatekey", "known_hosts"} <= set(ssh_secret["stringData"])


# --- a Git server on loopback that requires the token ---------------------------------------

class GitServer(http.server.ThreadingHTTPServer):
    """Smart HTTP over `git http-backend` for the repositories under `root`; every request
    needs Basic credentials `x-access-token:<token>`, as a Git host's token does."""

    daemon_threads = True

    def __init__(self, root: Path, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _GitHandler)
        self.root = root
        expected = base64.b64encode(f"{GIT_USER}:{token}".encode()).decode()
        self.authorization = f"Basic {expected}"
        self.requests: list[tuple[str, str, int]] = []  # method, path?query, status
        # Called once, before the first push is answered (a person pushing meanwhile).
        self.before_push: Callable[[], None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GitHandler(http.server.BaseHTTPRequestHandler):
    server: GitServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # the requests are recorded
        pass

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if self.headers.get("Authorization") != self.server.authorization:
            self._answer(401, [("WWW-Authenticate", 'Basic realm="git"')], b"")
            return
        body = self._body()
        hook = self.server.before_push
        if self.command == "GET" and url.query == "service=git-receive-pack" and hook:
            self.server.before_push = None
            hook()
        env = {
            "PATH": os.environ["PATH"], "HOME": str(self.server.root),
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": GIT_USER, "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command, "PATH_INFO": urllib.parse.unquote(url.path),
            "QUERY_STRING": url.query, "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        cgi = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                             timeout=GIT_BACKEND_TIMEOUT, check=False)
        head, _, payload = cgi.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self._answer(status, headers, payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.server.requests.append((self.command, self.path, status))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextlib.contextmanager
def git_server(root: Path, token: str) -> Iterator[GitServer]:
    server = GitServer(root, token)
    thread = threading.Thread(target=server.serve_forever, name="git-http", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the CronJob's container, run as its pod would be ---------------------------------------

@dataclass
class Pod:
    """The CronJob's container as the kubelet would start it, in a mount namespace."""

    argv: list[str]
    env: dict[str, str]
    volumes: dict[str, Path]  # mountPath in the pod -> folder here
    service_account: Path  # token, ca.crt, namespace
    outputs: list[str] = field(default_factory=list)

    def folder(self, mount_path: str) -> Path:
        return self.volumes[mount_path]

    def run(self) -> subprocess.CompletedProcess[str]:
        q = shlex.quote
        run_dir = os.path.realpath(Path(SERVICE_ACCOUNT_DIR).parents[2])  # /var/run -> /run
        setup = ["set -eu"]
        # Volumes stay writable; everything else of the root filesystem becomes read-only.
        setup += [f"mount --bind {q(str(p))} {q(str(p))}" for p in self.volumes.values()]
        setup += [
            f"mount -t tmpfs -o mode=0755 tmpfs {q(run_dir)}",
            f"mkdir -p {q(SERVICE_ACCOUNT_DIR)}",
            f"mount --bind {q(str(self.service_account))} {q(SERVICE_ACCOUNT_DIR)}",
            f"mount -o remount,bind,ro {q(SERVICE_ACCOUNT_DIR)}",
            # No git configuration of this machine's: the image has none.
            "if [ -e /etc/gitconfig ]; then mount --bind /dev/null /etc/gitconfig; fi",
            "mount -o remount,bind,ro /",
            'exec "$@"',
        ]
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare[1:1] = ["--user", "--map-root-user"]
        result = subprocess.run(  # in the image's WORKDIR, which is HOME
            [*unshare, "sh", "-c", "\n".join(setup), "pod", *self.argv], env=self.env,
            cwd=self.env["HOME"], capture_output=True, text=True, timeout=RUN_TIMEOUT,
            check=False,
        )
        if "unshare failed" in result.stderr:
            pytest.fail(f"cannot make a mount namespace for the pod: {result.stderr.strip()} "
                        "(unprivileged user namespaces are off: run as root, or "
                        "sysctl kernel.apparmor_restrict_unprivileged_userns=0)")
        self.outputs += [result.stdout, result.stderr]
        return result


def secret_value(api: client.ApiClient, namespace: str, ref: dict[str, Any]) -> str | None:
    try:
        secret = kube_request(api, "GET", f"/api/v1/namespaces/{namespace}/secrets/{ref['name']}")
    except KubeApiError as exc:
        if exc.status == 404 and ref.get("optional"):
            return None
        raise
    data = secret.get("data") or {}
    if ref["key"] not in data:
        assert ref.get("optional"), f"secret {ref['name']} has no key {ref['key']}"
        return None
    return base64.b64decode(data[ref["key"]]).decode()


def service_account_token(api: client.ApiClient) -> str:
    review = kube_request(
        api, "POST", f"/api/v1/namespaces/{SYSTEM}/serviceaccounts/aimsync/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
              "spec": {"expirationSeconds": 3600}},
    )
    return str(review["status"]["token"])


def cluster_ca(kubeconfig: Path) -> bytes:
    config: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    cluster: dict[str, str] = config["clusters"][0]["cluster"]
    if "certificate-authority-data" in cluster:
        return base64.b64decode(cluster["certificate-authority-data"])
    return (kubeconfig.parent / cluster["certificate-authority"]).read_bytes()


def pod_from(
    access: ClusterAccess, api: client.ApiClient, cronjob: dict[str, Any], folder: Path
) -> Pod:
    """The container of the stored CronJob, with what the kubelet gives it."""
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    volumes: dict[str, Path] = {}
    for mount in container.get("volumeMounts") or []:
        (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
        path = folder / "volumes" / mount["name"]
        path.mkdir(parents=True)
        if "configMap" in volume:
            data = kube_request(api, "GET", f"/api/v1/namespaces/{SYSTEM}/configmaps/"
                                f"{volume['configMap']['name']}").get("data") or {}
            for key, value in data.items():
                (path / key).write_text(value)
        else:
            assert "emptyDir" in volume, f"the test does not provide {volume}"
        volumes[mount["mountPath"]] = path
    server = urllib.parse.urlsplit(access.server)
    assert server.hostname and server.port
    bin_dir = Path(sys.executable).parent
    env = {  # the image's environment, then the kubelet's service variables
        "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        "HOSTNAME": "aimsync-29000000-x7k2p",
        "KUBERNETES_SERVICE_HOST": server.hostname,
        "KUBERNETES_SERVICE_PORT": str(server.port),
        "KUBERNETES_SERVICE_PORT_HTTPS": str(server.port),
    }
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif (value := secret_value(api, SYSTEM, item["valueFrom"]["secretKeyRef"])) is not None:
            env[item["name"]] = value
    for name, value in env.items():  # paths inside the pod's volumes are these folders
        for mount_path, path in volumes.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                env[name] = str(path) + value[len(mount_path):]
    account = folder / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(service_account_token(api))
    (account / "ca.crt").write_bytes(cluster_ca(access.kubeconfig))
    (account / "namespace").write_text(SYSTEM)
    # The image's ENTRYPOINT (`aimsync`, behind tini) is this checkout's aimsync here.
    env["PYTHONPATH"] = str(ROOT)
    return Pod([sys.executable, "-m", "aimsync", *container["args"]], env, volumes, account)


def cronjob_args(objects: list[dict[str, Any]]) -> list[str]:
    template = the(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]
    (container,) = template["spec"]["containers"]
    return list(container["args"])


def overlay_for(tmp_path: Path, repo_url: str, base_args: list[str], namespace: str) -> Path:
    """A user's overlay on deploy/base: their repository, their owned namespace."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    index = next(i for i, a in enumerate(base_args) if a.startswith("--repo="))
    rolebinding = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "aimsync", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "aimsync"},
        "subjects": [{"kind": "ServiceAccount", "name": "aimsync", "namespace": SYSTEM}],
    }
    (overlay / "owned-namespace.yaml").write_text(yaml.safe_dump(rolebinding))
    (overlay / "aimsync.yaml").write_text(CLUSTER_SETTINGS)
    args_path = f"/spec/jobTemplate/spec/template/spec/containers/0/args/{index}"
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(BASE, overlay), "owned-namespace.yaml"],
        "configMapGenerator": [{"name": "aimsync-settings", "namespace": SYSTEM,
                                "behavior": "replace", "files": ["aimsync.yaml"]}],
        "patches": [
            {"target": {"kind": "CronJob", "name": "aimsync"},
             "patch": yaml.safe_dump([{"op": "replace", "path": args_path,
                                       "value": f"--repo={repo_url}"}])},
            *({"patch": yaml.safe_dump({
                "$patch": "delete", "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding", "metadata": {"name": "aimsync", "namespace": team}})}
              for team in TEAM_NAMESPACES),
        ],
    }
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return overlay


def specs_repository(namespace: str) -> dict[str, str | bytes]:
    # No nodes in this cluster: a cache spec gives the run objects to apply whatever they are.
    return {
        "aimsync.yaml": f"namespaces: [{namespace}]\n",  # lock and inventory: the defaults
        "cluster/profiles/qwen.yaml": PROFILE.format(ns=namespace),
        f"namespaces/{namespace}/services/chat.yaml":
            service(f"profile: {{name: qwen-{namespace}}}"),
        f"namespaces/{namespace}/caches/warm.yaml": document(
            "AIMProfileCache", "warm", f"profileName: qwen-{namespace}\nprofileScope: Cluster"
        ),
    }


def human_pushes(remote: Path, folder: Path) -> str:
    """A person pushes a commit of their own to main (straight to the repository)."""
    folder.mkdir(parents=True)
    return push_as_human(remote, folder)


@dataclass
class Deployment:
    pod: Pod
    server: GitServer
    remote: Path  # the bare repository behind the server
    token: str
    base_args: list[str]

    def log(self) -> list[str]:
        return git(self.remote, "log", "--format=%H|%an|%s", "main").splitlines()


@pytest.fixture
def deployment(
    control_plane: ClusterAccess, api_client: client.ApiClient, namespace: str,
    tmp_path: Path, team_namespaces: None,
) -> Iterator[Deployment]:
    """deploy/base overlaid for this test's repository and namespace and applied; the token
    Secret filled in from the example; a Git server with the specs; the pod to run."""
    token = f"aimsync-test-token-{secrets.token_hex(16)}"
    seed = write_repo(tmp_path / "seed", specs_repository(namespace))
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "specs")
    repositories = tmp_path / "git"
    remote = repositories / "platform/aim-gitops.git"
    remote.parent.mkdir(parents=True)
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    with git_server(repositories, token) as server:
        base_args = cronjob_args(documents(built(control_plane, DEPLOY)))
        overlay = overlay_for(tmp_path, f"{server.url}/platform/aim-gitops.git", base_args,
                              namespace)
        text = built(control_plane, overlay)
        applied(control_plane, text)
        example = yaml.safe_load((EXAMPLES / "git-token-secret.yaml").read_text())
        example["stringData"]["token"] = token
        applied(control_plane, yaml.safe_dump(example))
        cronjob = kube_request(
            api_client, "GET", f"/apis/batch/v1/namespaces/{SYSTEM}/cronjobs/aimsync"
        )
        pod = pod_from(control_plane, api_client, cronjob, tmp_path / "pod")
        yield Deployment(pod, server, remote, token, base_args)


def test_the_overlay_changes_only_the_repository_in_the_args(deployment: Deployment) -> None:
    args = deployment.pod.argv[3:]
    changed = [(a, b) for a, b in zip(deployment.base_args, args, strict=True) if a != b]
    assert changed == [(next(a for a in deployment.base_args if a.startswith("--repo=")),
                        f"--repo={deployment.server.url}/platform/aim-gitops.git")]


def test_the_cronjob_applies_the_objects_and_pushes_the_status(
    deployment: Deployment, api_client: client.ApiClient, namespace: str
) -> None:
    result = deployment.pod.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(names(api_client, namespace, "jobs", "batch/v1")) == 1
    assert len(names(api_client, namespace, "persistentvolumeclaims")) == 1
    log = deployment.log()
    assert len(log) == 2 and log[0].split("|")[1] == CLUSTER_AUTHOR  # the ConfigMap's
    files = git(deployment.remote, "ls-tree", "-r", "--name-only", "main").split()
    assert f"status/namespaces/{namespace}/caches/warm.yaml" in files
    # git asked for credentials only because the server demanded them.
    assert any(status == 401 for _, _, status in deployment.server.requests)


def test_a_second_run_of_the_cronjob_makes_no_commit(deployment: Deployment) -> None:
    first = deployment.pod.run()
    assert first.returncode == 0, first.stdout + first.stderr
    before = deployment.log()
    again = deployment.pod.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert deployment.log() == before


def test_a_human_commit_pushed_between_two_runs_survives(
    deployment: Deployment, tmp_path: Path
) -> None:
    first = deployment.pod.run()
    assert first.returncode == 0, first.stdout + first.stderr
    human = human_pushes(deployment.remote, tmp_path / "between")
    again = deployment.pod.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert human in [line.split("|")[0] for line in deployment.log()]
    assert git(deployment.remote, "show", "main:NOTES.md") == "a human was here\n"


def test_a_human_commit_pushed_while_the_cronjob_runs_survives(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The person pushes after the clone, before aimsync's push: it fetches, rebases, pushes."""
    pushed: list[str] = []
    deployment.server.before_push = lambda: pushed.append(
        human_pushes(deployment.remote, tmp_path / "during")
    )
    result = deployment.pod.run()
    assert result.returncode == 0, result.stdout + result.stderr
    (human,) = pushed
    log = deployment.log()
    assert log[0].split("|")[1] == CLUSTER_AUTHOR
    assert log[1] == f"{human}|Human|human change"
    assert git(deployment.remote, "show", "main:NOTES.md") == "a human was here\n"


def test_the_token_is_nowhere_in_output_or_files(
    deployment: Deployment, api_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    for _ in range(2):
        result = deployment.pod.run()
        assert result.returncode == 0, result.stdout + result.stderr
    human_pushes(deployment.remote, tmp_path / "human")
    assert deployment.pod.run().returncode == 0
    token = deployment.token
    assert all(token not in output for output in deployment.pod.outputs)
    for mount_path in ("/home/aimsync", "/tmp"):  # HOME and TMPDIR (the clone was there)
        for path in deployment.pod.folder(mount_path).rglob("*"):
            assert not path.is_file() or token.encode() not in path.read_bytes(), path
    for path in deployment.remote.rglob("*"):  # refs, config, logs, hooks of the remote
        assert not path.is_file() or token.encode() not in path.read_bytes(), path
    history = git(deployment.remote, "log", "--all", "-p", "--format=%H %an %ae %s%n%b")
    assert token not in history
    for plural, group in (("configmaps", ""), ("persistentvolumeclaims", ""),
                          ("jobs", "batch/v1")):
        base = f"/apis/{group}" if group else "/api/v1"
        listed = kube_request(api_client, "GET", f"{base}/namespaces/{namespace}/{plural}")
        assert token not in yaml.safe_dump(listed)
    inventory = kube_request(
        api_client, "GET", f"/api/v1/namespaces/{SYSTEM}/configmaps/aimsync-inventory"
    )
    assert token not in yaml.safe_dump(inventory)


def test_the_git_server_refuses_git_without_the_token(
    deployment: Deployment, tmp_path: Path, machine_without_git_config: None
) -> None:
    refused = subprocess.run(
        ["git", "ls-remote", f"{deployment.server.url}/platform/aim-gitops.git"],
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}, cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert refused.returncode != 0
    assert "Authentication failed" in refused.stderr or "could not read" in refused.stderr


def test_without_its_rolebinding_in_a_namespace_the_cronjob_is_refused_there(
    deployment: Deployment, api_client: client.ApiClient, namespace: str
) -> None:
    """The run acts as the ServiceAccount with the shipped roles, not as anyone else."""
    kube_request(api_client, "DELETE",
                 f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/aimsync")
    result = deployment.pod.run()
    assert result.returncode == 3, result.stdout + result.stderr
    assert SERVICE_ACCOUNT in result.stdout + result.stderr
    assert names(api_client, namespace, "jobs", "batch/v1") == []


GROUPS = {"jobs": "batch", "leases": "coordination.k8s.io"}


@pytest.mark.parametrize(("verb", "resource", "name", "where", "allowed"), [
    ("create", "jobs", "", "team", True),
    ("get", "pods/log", "x", "team", True),
    ("get", "secrets", "aimsync-git", SYSTEM, False),
    ("list", "configmaps", "", SYSTEM, False),
    ("patch", "configmaps", "another-configmap", SYSTEM, False),
    ("update", "leases", "another-lease", SYSTEM, False),
    ("create", "jobs", "", SYSTEM, False),
    ("create", "pods", "", "team", False),
    ("list", "secrets", "", "team", False),
    ("delete", "namespaces", "x", "", False),
])
def test_the_service_account_may_do_what_sync_needs_and_nothing_more(
    deployment: Deployment, api_client: client.ApiClient, namespace: str,
    verb: str, resource: str, name: str, where: str, allowed: bool,
) -> None:
    plural, _, subresource = resource.partition("/")
    attributes = {"verb": verb, "resource": plural, "subresource": subresource, "name": name,
                  "namespace": namespace if where == "team" else where,
                  "group": GROUPS.get(plural, "")}
    review = kube_request(
        api_client, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        body={"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": SERVICE_ACCOUNT,
                       "groups": ["system:serviceaccounts", f"system:serviceaccounts:{SYSTEM}",
                                  "system:authenticated"],
                       "resourceAttributes": attributes}},
    )
    assert review["status"]["allowed"] is allowed, review["status"]

