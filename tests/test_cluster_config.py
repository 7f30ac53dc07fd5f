"""Finding the cluster as kubectl does, and every way of logging in the client supports, for real:
each case lists Flink objects from the stand-in through the configured client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from flink_gitops.cluster.config import IN_CLUSTER, connect
from flink_gitops.cluster.watcher import list_once
from flink_gitops.errors import UserError
from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import HEALTHY, seed
from tests.kubeapi.tls import make_pki


@pytest.fixture
def server():
    with ApiServer() as s:
        seed(s, HEALTHY, "default", "orders")
        yield s


def names(cluster) -> list[str]:
    objects, _ = list_once(cluster.api_client, ["FlinkDeployment"])
    return [o["metadata"]["name"] for o in objects]


def kubeconfig(server, path: Path, cluster: str, **kw) -> str:
    return server.kubeconfig(path, cluster=cluster, context=f"ctx-{cluster}", **kw)


def test_kubectl_order_flag_then_variable_then_home_then_pod(server, tmp_path):
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    flag = kubeconfig(server, tmp_path / "flag", "from-flag")
    var = kubeconfig(server, tmp_path / "var", "from-variable")
    kubeconfig(server, home / ".kube" / "config", "from-home")
    pod = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    env = {"HOME": str(home), "KUBECONFIG": var, **pod}
    assert connect(flag, environ=env).name == "from-flag"
    assert connect(None, environ=env).name == "from-variable"
    assert connect(None, environ={"HOME": str(home), **pod}).name == "from-home"
    (home / ".kube" / "config").unlink()
    with pytest.raises(UserError, match="in-cluster configuration"):  # no service account files here
        connect(None, environ={"HOME": str(home), **pod})
    with pytest.raises(UserError, match="no cluster configuration"):
        connect(None, environ={"HOME": str(home)})
    assert names(connect(flag, environ=env)) == ["orders"]


def test_kubeconfig_variable_merges_files_and_context_picks(server, tmp_path):
    first = yaml.safe_load(Path(kubeconfig(server, tmp_path / "a", "alpha")).read_text())
    second = yaml.safe_load(Path(kubeconfig(server, tmp_path / "b", "beta", token="stale")).read_text())
    for doc, name in ((first, "alpha"), (second, "beta")):
        doc["users"][0]["name"] = f"user-{name}"
        doc["contexts"][0]["context"]["user"] = f"user-{name}"
    (tmp_path / "a").write_text(yaml.safe_dump(first))
    (tmp_path / "b").write_text(yaml.safe_dump(second))
    env = {"HOME": str(tmp_path), "KUBECONFIG": f"{tmp_path / 'a'}:{tmp_path / 'b'}"}
    alpha = connect(None, environ=env)  # the first file's current-context wins
    assert (alpha.name, alpha.namespace) == ("alpha", "default") and names(alpha) == ["orders"]
    beta = connect(None, context="ctx-beta", environ=env)
    assert beta.name == "beta"
    from flink_gitops.cluster.watcher import ListError

    with pytest.raises(ListError, match="401 Unauthorized"):
        names(beta)


def test_exec_plugin_supplies_the_token(server, tmp_path):
    plugin = tmp_path / "get-token"
    plugin.write_text(f"#!{sys.executable}\nimport json\nprint(json.dumps({{'apiVersion': "
                      "'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential', "
                      f"'status': {{'token': {server.token!r}}}}}))\n")
    plugin.chmod(0o755)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                     "interactiveMode": "Never"}}
    cluster = connect(kubeconfig(server, tmp_path / "kc", "exec", user=user), environ={"HOME": str(tmp_path)})
    assert names(cluster) == ["orders"]

    failing = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/bin/false",
                        "interactiveMode": "Never"}}
    path = kubeconfig(server, tmp_path / "kc-bad", "exec", user=failing)
    with pytest.raises(UserError, match=f"{tmp_path / 'kc-bad'}: cannot load kubeconfig"):
        connect(path, environ={"HOME": str(tmp_path)})


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_client_certificate_over_https(pki, tmp_path):
    with ApiServer(tls=pki) as server:
        seed(server, HEALTHY, "default", "orders")
        user = {"client-certificate": str(pki.client_cert), "client-key": str(pki.client_key)}
        cluster = connect(kubeconfig(server, tmp_path / "kc", "certs", user=user), environ={"HOME": str(tmp_path)})
        assert cluster.server.startswith("https://127.0.0.1:")
        assert names(cluster) == ["orders"]
        # without the certificate (and without the token) the server says 401
        anonymous = connect(kubeconfig(server, tmp_path / "anon", "anon", user={}), environ={"HOME": str(tmp_path)})
        from flink_gitops.cluster.watcher import ListError

        with pytest.raises(ListError, match="401"):
            names(anonymous)


def test_in_cluster_service_account(pki, tmp_path, monkeypatch):
    from kubernetes.config import incluster_config

    with ApiServer(tls=pki) as server:
        seed(server, HEALTHY, "default", "orders")
        token = tmp_path / "token"
        token.write_text(server.token)
        monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
        monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(pki.ca))
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
        monkeypatch.delenv("KUBECONFIG", raising=False)
        cluster = connect(None, environ={"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "127.0.0.1"})
        assert (cluster.name, cluster.server) == (IN_CLUSTER, f"https://127.0.0.1:{port}")
        # what serve's /api/v1/info reports: no kubeconfig context, the pod's service account
        assert (cluster.context, cluster.source) == (IN_CLUSTER, IN_CLUSTER)
        assert names(cluster) == ["orders"]
