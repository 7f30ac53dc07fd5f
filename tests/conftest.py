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


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from flink_gitops.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# A stand-in for the sidecar's kustomize/helm: records how it was called, then prints a canned
# stream (or fails with $RECORDER_FAIL). The real helm is not available here.
RECORDER = """#!/bin/sh
{{
  printf 'argv:'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'
  printf 'cwd: %s\\n' "$(pwd)"
}} >> "{record}"
if [ -n "$RECORDER_FAIL" ]; then echo "Error: $RECORDER_FAIL" >&2; exit 1; fi
cat "{canned}"
"""


def install_recorder(tmp_path: Path, name: str, canned: str) -> Path:
    """Put a recording ``name`` executable in ``tmp_path/bin``; returns that folder (for PATH)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (tmp_path / f"{name}.out").write_text(canned)
    exe = bindir / name
    exe.write_text(RECORDER.format(record=tmp_path / f"{name}.record", canned=tmp_path / f"{name}.out"))
    exe.chmod(0o755)
    return bindir


@pytest.fixture
def kubeapi():
    """The API-server stand-in (tests/kubeapi) on 127.0.0.1, stopped after the test."""
    from tests.kubeapi import FakeApiServer

    with FakeApiServer() as server:
        yield server


@pytest.fixture
def kube_env(cli_env, tmp_path) -> dict:
    """cli_env without the machine's own cluster configuration ($KUBECONFIG, ~/.kube, a pod's)."""
    env = {k: v for k, v in cli_env.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["HOME"] = str(tmp_path / "home")
    return env
