import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def cli_env() -> dict:
    """Environment for running the installed console script as a user would."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def clean_argocd_env(monkeypatch):
    """No Argo CD or flink-gitops variables from the outer environment leak into a render."""
    for key in list(os.environ):
        if key.startswith(("ARGOCD_", "PARAM_", "KUBE_", "FLINK_GITOPS_")):
            monkeypatch.delenv(key)


@pytest.fixture
def kubeapi():
    """The simulated API server (flink_gitops.simulation.apiserver) on 127.0.0.1, stopped after the test."""
    from flink_gitops.simulation.apiserver import ApiServer

    with ApiServer() as server:
        yield server


@pytest.fixture
def kube_env(cli_env, tmp_path) -> dict:
    """cli_env without the machine's own cluster configuration ($KUBECONFIG, ~/.kube, a pod's)."""
    env = {k: v for k, v in cli_env.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["HOME"] = str(tmp_path / "home")
    return env
