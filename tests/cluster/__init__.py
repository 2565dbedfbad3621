"""Real Kubernetes test control plane for aimsync: kube-apiserver + embedded etcd.

See tests/cluster/README.md. Entry points:

* ``local_cluster()``  - build if needed, start in a temp dir, install CRDs, stop on exit
* ``connect_existing()`` - use a cluster given by kubeconfig (AIMSYNC_TEST_KUBECONFIG)
* ``python -m tests.cluster {build,up,down,status}``
"""

from tests.cluster.build import Binaries, BuildError, ensure_built
from tests.cluster.controlplane import (
    ClusterAccess,
    ControlPlane,
    ControlPlaneError,
    connect_existing,
    local_cluster,
)
from tests.cluster.crds import CRDSourceError, load_crds
from tests.cluster.kube import (
    KubeApiError,
    install_crds,
    new_api_client,
    request,
    resource_path,
    server_side_apply,
)

__all__ = [
    "Binaries",
    "BuildError",
    "CRDSourceError",
    "ClusterAccess",
    "ControlPlane",
    "ControlPlaneError",
    "KubeApiError",
    "connect_existing",
    "ensure_built",
    "install_crds",
    "load_crds",
    "local_cluster",
    "new_api_client",
    "request",
    "resource_path",
    "server_side_apply",
]
