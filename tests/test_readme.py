"""What a new user does: in a fresh copy of the checkout, `make run`, then every command the README shows, run as
shown (the live ones against the suite's API-server stand-in, over HTTPS, through $KUBECONFIG)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import LIVE, load, seed
from tests.service_process import get_json, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
TEST_BIN = str(Path(sys.executable).parent)


def readme_commands() -> list[str]:
    """Each line of the README's ```sh blocks, without its trailing comment."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
        for line in block.splitlines():
            command = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            if command:
                lines.append(command)
    return lines


@dataclass
class Ran:
    code: int
    out: str
    err: str
    home: Path


@dataclass
class Expect:
    code: int | None  # None: not run here
    check: Callable[[Ran], None] | None = None
    why_not: str = ""
    needs: tuple[str, ...] = ()


def _rows(ran: Ran) -> dict[str, str]:
    return {r["name"]: r["status"] for r in json.loads(ran.out)}


def _table(ran: Ran) -> dict[str, str]:
    lines = ran.out.splitlines()
    assert lines[0].split()[:4] == ["KIND", "NAMESPACE", "NAME", "HEALTH"], ran.out
    return {line.split()[2]: line.split()[3] for line in lines[1:]}


SERVE = ".venv/bin/flink-gitops serve --auth none"  # the README's local service: no authentication on loopback
DEMO = "make demo"  # runs until Ctrl-C, on port 8080
LIVE_HEALTH = {"backfill": "Healthy", "fraud-scoring": "Healthy", "orders": "Healthy", "pricing": "Degraded"}

#: Every command the README shows, what it must do here, or why it is not run here.
EXPECTED: dict[str, Expect] = {
    "make run": Expect(0, why_not="run first, by the fixture (test_make_run_...)"),
    "make test": Expect(None, why_not="this suite is `make test`"),
    DEMO: Expect(0, why_not="runs until Ctrl-C: test_make_demo_as_shown starts it after `make run`, reads its "
                            "dashboard and stops it with Ctrl-C (SIGINT to its process group, as a terminal sends it)"),
    ".venv/bin/flink-gitops render examples/app --explain": Expect(
        0, lambda r: (r.out.count("kind: FlinkDeployment") >= 1 and "argocd.argoproj.io/sync-wave" in r.out
                      and "wave" in r.err) or pytest.fail(r.err)),
    ".venv/bin/flink-gitops render --list-params": Expect(
        0, lambda r: all(name in r.out for name in ("source", "log4j-strategy", "sync-waves", "validate"))
        or pytest.fail(r.out)),
    ".venv/bin/flink-gitops health examples/live": Expect(1, lambda r: _table(r) == LIVE_HEALTH or pytest.fail(r.out)),
    "kubectl get flinkdeployments -A -o yaml | .venv/bin/flink-gitops health - -o json": Expect(
        1, lambda r: _rows(r) == {k: v for k, v in LIVE_HEALTH.items() if k != "fraud-scoring"} or pytest.fail(r.out),
        needs=("kubectl",)),
    ".venv/bin/flink-gitops health --engine flux examples/live": Expect(
        3, lambda r: "InProgress" in r.out and r.out.startswith("KIND ") or pytest.fail(r.out)),
    ".venv/bin/flink-gitops render examples/app --target flux": Expect(
        0, lambda r: "kind: FlinkDeployment" in r.out and "sync-wave" not in r.out or pytest.fail(r.out)),
    ".venv/bin/flink-gitops generate argocd-cm": Expect(
        0, lambda r: "resource.customizations.health.flink.apache.org_FlinkDeployment" in r.out or pytest.fail(r.out)),
    ".venv/bin/flink-gitops generate all --check": Expect(0),
    ".venv/bin/flink-gitops plan examples/app/orders-pipeline --cluster -n streaming -o markdown": Expect(
        1, lambda r: ("| FlinkDeployment | streaming | orders-pipeline | create |" in r.out) or pytest.fail(r.out + r.err)),
    "source <(.venv/bin/flink-gitops completion bash)": Expect(0),
    "mkdir -p ~/.zfunc && .venv/bin/flink-gitops completion zsh > ~/.zfunc/_flink-gitops": Expect(
        0, lambda r: (r.home / ".zfunc" / "_flink-gitops").read_text().startswith("#compdef flink-gitops")
        or pytest.fail("no zsh completion file")),
    ".venv/bin/flink-gitops health --cluster -n streaming": Expect(
        1, lambda r: _table(r) == LIVE_HEALTH or pytest.fail(r.out)),
    ".venv/bin/flink-gitops wait flinkdep/orders -n streaming --timeout 10m": Expect(
        0, lambda r: "Healthy" in r.out or pytest.fail(r.out + r.err)),
    SERVE: Expect(0, why_not="a server: test_serve_as_shown starts it and asks it"),
    "kubectl apply -k deploy/health-service/": Expect(
        None, why_not="needs a real cluster (the stand-in serves reads only); tests/test_service_deploy.py builds it "
                      "with kubectl's kustomize"),
    "kubectl apply -k argocd/ --server-side --field-manager=flink-gitops": Expect(
        None, why_not="needs a real Argo CD install; tests/test_real_kustomize.py builds it with kubectl's kustomize"),
}


def test_every_readme_command_is_known_here():
    shown = readme_commands()
    assert len(shown) == len(set(shown)), "a command shown twice"
    assert sorted(shown) == sorted(EXPECTED), (
        "README and this test disagree: add what the README shows to EXPECTED (run it, or say why not)")


# -- a fresh copy of the checkout, after `make run` ----------------------------------------------------------------

def _tracked_files() -> list[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True, timeout=60).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the fresh copy is made from `git ls-files`")
    return [f for f in listed.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(copy, `make run`'s result): the checkout's files without .venv or anything ignored, then `make run`."""
    copy = tmp_path_factory.mktemp("fresh-clone") / "flink-gitops"
    for rel in _tracked_files():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, copy / rel)
    env = _env(tmp_path_factory.mktemp("home"))
    result = subprocess.run(["make", "run", f"PYTHON={sys.executable}"], cwd=copy, capture_output=True, text=True,
                            env=env, timeout=900)
    return copy, result


def _env(home: Path, kubeconfig: str | None = None) -> dict:
    """The user's environment: no test venv on PATH, no cluster of the machine's own, HOME of their own."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != TEST_BIN)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KUBE", "PYTHON", "VIRTUAL_ENV", "ARGOCD_", "PARAM_", "FLINK_GITOPS_"))
           and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}  # under `make test`: a new make
    env.update(PATH=path, HOME=str(home))
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The stand-in over HTTPS (kubectl sends its token only over TLS), the examples in namespace streaming."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: the stand-in's HTTPS certificate is made with it")
    from tests.kubeapi.tls import make_pki

    folder = tmp_path_factory.mktemp("cluster")
    with ApiServer(tls=make_pki(folder)) as server:
        for path in sorted(LIVE.glob("*.yaml")):
            seed(server, path.stem, "streaming", load(path.stem)["metadata"]["name"])
        yield server.kubeconfig(folder / "kubeconfig")


def test_make_run_installs_renders_into_the_checkout_and_shows_health_without_shell_noise(fresh):
    copy, result = fresh
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = copy / "build" / "example-app.yaml"
    assert rendered.is_file()
    out = result.stdout
    assert "$ .venv/bin/flink-gitops render examples/app --explain > build/example-app.yaml\n" in out
    count = rendered.read_text().count("\n---") + rendered.read_text().startswith("---")
    assert f"--- rendered {count} objects to build/example-app.yaml\n" in out
    assert "$ .venv/bin/flink-gitops health examples/live\n" in out
    assert "pricing" in out and "Degraded" in out  # exit 1 for the Degraded example does not fail the run
    for noise in ("test $?", "|| ", "status=$", "mkdir -p", "/tmp/flink-gitops-render"):
        assert noise not in out, f"make run echoes {noise!r}"
    assert "wave" in result.stderr  # --explain's plan
    assert "/tmp/" not in (copy / "Makefile").read_text()  # two checkouts never share an output file


@pytest.mark.parametrize("command", [c for c, e in EXPECTED.items() if e.code is not None and c not in
                                     ("make run", SERVE, DEMO)])
def test_readme_command_runs_as_shown_after_make_run(command, fresh, cluster, tmp_path):
    copy, made = fresh
    assert made.returncode == 0, made.stdout + made.stderr
    expect = EXPECTED[command]
    for tool in expect.needs:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(["bash", "-c", command], cwd=copy, capture_output=True, text=True,
                            env=_env(home, cluster), timeout=300)
    assert "Traceback" not in result.stderr
    assert result.returncode == expect.code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    if expect.check is not None:
        expect.check(Ran(result.returncode, result.stdout, result.stderr, home))


@contextlib.contextmanager
def on_port_8080(what: str, command: str, cwd, env, log, group: bool = False):
    """``command`` as the README shows it, its output in ``log``; skipped when 8080 is taken. On leaving, SIGTERM
    (``group``: SIGINT to its process group, as Ctrl-C in a terminal), killed if it is not gone in 30 s."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8080)) == 0:
            pytest.skip(f"127.0.0.1:8080 is taken by another process: {what} as shown cannot listen there")
    with open(log, "wb") as sink:
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                start_new_session=group)
    try:
        yield proc
    finally:
        if group:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal: make and the demo both get it
        else:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            raise


def test_serve_as_shown_answers_on_port_8080_and_stops_on_sigterm(fresh, cluster, tmp_path):
    copy, made = fresh
    assert made.returncode == 0
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "serve.log"
    with on_port_8080("`serve`", f"exec {SERVE}", copy, _env(home, cluster), log) as proc:
        wait_until(lambda: get_json("http://127.0.0.1:8080/readyz")[0] == 200, 60,
                   f"serve to be ready on 8080 (log: {log.read_text(errors='replace')[-2000:]})")
        code, body = get_json("http://127.0.0.1:8080/api/v1/resources")
        assert code == 200
        assert {r["name"]: r["status"] for r in body["resources"]} == LIVE_HEALTH
    assert proc.returncode == 0, log.read_text(errors="replace")


def test_make_demo_as_shown_serves_the_simulated_fleet_on_8080_and_stops_on_ctrl_c(fresh, tmp_path):
    copy, made = fresh
    assert made.returncode == 0
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "demo.log"
    # no $KUBECONFIG at all: the demo needs no cluster
    with on_port_8080("`make demo`", DEMO, copy, _env(home), log, group=True):
        wait_until(lambda: "stops the demo" in log.read_text(errors="replace"), 60,
                   f"the demo's banner (log: {log.read_text(errors='replace')[-2000:]})")
        out = log.read_text(errors="replace")
        assert "SIMULATION" in out and "Dashboard   http://127.0.0.1:8080/" in out
        code, body = get_json("http://127.0.0.1:8080/api/v1/resources")
        assert code == 200 and len(body["resources"]) >= 12
    assert "Traceback" not in log.read_text(errors="replace")
    with pytest.raises(OSError):  # the dashboard went with it
        get_json("http://127.0.0.1:8080/livez", timeout=2)
