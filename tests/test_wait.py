"""``flink-gitops wait`` through the installed console script, against the API-server stand-in."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time

import pytest

from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import DEGRADED, HEALTHY, SESSION_JOB, job_failed_status, load, seed, status_of
from tests.test_cluster_cli import closed_port, env, flink_gitops, one_error_line, server  # noqa: F401 (fixtures)


class Waiting:
    """A running ``flink-gitops wait``, its stderr read line by line as it comes."""

    def __init__(self, env: dict, *argv: str):
        self.proc = subprocess.Popen(["flink-gitops", "wait", *argv], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, timeout: float = 20) -> str:
        """The next stderr line containing ``text`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                pytest.fail(f"no stderr line with {text!r} within {timeout}s; saw {self.seen}")
            self.seen.append(line)
            if text in line:
                return line

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        try:
            out = self.proc.stdout.read()
            return self.proc.wait(timeout), out
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def test_healthy_already_exits_0_at_once(server, env, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    seed(server, SESSION_JOB, "streaming", "fraud")
    kc = server.kubeconfig(tmp_path / "kc")
    result = flink_gitops(env, "wait", "flinkdep/orders", "FlinkSessionJob/fraud", "-n", "streaming",
                          "--kubeconfig", kc, "--timeout", "30s", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert [(r["kind"], r["name"], r["status"]) for r in json.loads(result.stdout)] == [
        ("FlinkDeployment", "orders", "Healthy"), ("FlinkSessionJob", "fraud", "Healthy")]
    assert "FlinkDeployment streaming/orders: Healthy: Job running" in result.stderr


def test_waits_through_progressing_to_healthy_by_watching(server, env, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    server.update("FlinkDeployment", "streaming", "orders", spec=dict(load(HEALTHY)["spec"], restartNonce=1))
    w = Waiting(env, "flinkdeployment/orders", "-n", "streaming", "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
    w.expect("FlinkDeployment streaming/orders: Progressing: Waiting for the operator to apply generation 4")
    server.update("FlinkDeployment", "streaming", "orders", status=status_of(HEALTHY, observed_generation=4))
    w.expect("FlinkDeployment streaming/orders: Healthy")
    code, out = w.finish()
    assert code == 0
    assert out.splitlines()[1].split()[:4] == ["FlinkDeployment", "streaming", "orders", "Healthy"]
    # one list and one watch: the change came over the watch, nothing polled
    assert (server.count("FlinkDeployment", "list"), server.count("FlinkDeployment", "watch")) == (1, 1)


def test_exits_1_as_soon_as_one_is_degraded(server, env, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    seed(server, HEALTHY, "streaming", "pricing")
    server.update("FlinkDeployment", "streaming", "orders", spec=dict(load(HEALTHY)["spec"], restartNonce=1))
    started = time.monotonic()
    w = Waiting(env, "flinkdep/orders", "flinkdep/pricing", "-n", "streaming", "--timeout", "10m",
                "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
    w.expect("orders: Progressing")
    server.update("FlinkDeployment", "streaming", "pricing", status=job_failed_status())
    w.expect("FlinkDeployment streaming/pricing: Degraded: Job FAILED")
    code, out = w.finish()
    assert code == 1 and time.monotonic() - started < 60  # long before the 10 minutes
    assert "Degraded" in out and "Progressing" in out


def test_an_api_server_outage_after_the_first_list_is_waited_through(server, env, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    server.update("FlinkDeployment", "streaming", "orders", spec=dict(load(HEALTHY)["spec"], restartNonce=1))
    w = Waiting(env, "flinkdep/orders", "-n", "streaming", "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
    w.expect("orders: Progressing")
    server.outage(True)
    w.expect("FlinkDeployment: watch failing (namespace streaming: 503 Service Unavailable")
    server.outage(False)
    server.update("FlinkDeployment", "streaming", "orders", status=status_of(HEALTHY, observed_generation=4))
    w.expect("FlinkDeployment streaming/orders: Healthy")
    assert w.finish()[0] == 0


def test_a_resource_created_later_is_waited_for(server, env, tmp_path):
    w = Waiting(env, "flinkdep/late", "-n", "streaming", "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
    w.expect("FlinkDeployment streaming/late: Missing: not found")
    seed(server, HEALTHY, "streaming", "late")
    w.expect("FlinkDeployment streaming/late: Healthy")
    assert w.finish()[0] == 0


def test_timeout_exits_3_and_missing_counts_as_not_ready(server, env, tmp_path):
    seed(server, DEGRADED, "streaming", "pricing")
    server.update("FlinkDeployment", "streaming", "pricing", status=status_of(HEALTHY, observed_generation=3))
    kc = server.kubeconfig(tmp_path / "kc")
    started = time.monotonic()
    result = flink_gitops(env, "wait", "flinkdep/pricing", "flinkdep/never", "-n", "streaming", "--timeout", "2s",
                          "--kubeconfig", kc, "-o", "json")
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started >= 2
    assert "timed out after 2s: FlinkDeployment streaming/pricing is Progressing, " \
           "FlinkDeployment streaming/never is Missing" in result.stderr
    assert [(r["name"], r["status"]) for r in json.loads(result.stdout)] == [("pricing", "Progressing"),
                                                                             ("never", "Missing")]


def test_a_kind_not_installed_is_waited_for_until_the_timeout(env, tmp_path):
    with ApiServer(installed=["FlinkDeployment"]) as server:
        result = flink_gitops(env, "wait", "flinkbgdep/blue", "-n", "streaming", "--timeout", "1s",
                              "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
        assert result.returncode == 3
        assert "FlinkBlueGreenDeployment streaming/blue: Missing: its CustomResourceDefinition is not installed" \
            in result.stderr


def test_bad_input_and_unreachable_clusters_exit_2(server, env, tmp_path):
    kc = server.kubeconfig(tmp_path / "kc")
    line = one_error_line(flink_gitops(env, "wait", "pods/web", "--kubeconfig", kc))
    assert "pods/web: pods is not a Flink kind" in line
    line = one_error_line(flink_gitops(env, "wait", "flinkdep", "--kubeconfig", kc))
    assert "flinkdep: give the resource as KIND/NAME" in line
    line = one_error_line(flink_gitops(env, "wait", "flinkdep/x", "--timeout", "soon", "--kubeconfig", kc))
    assert "--timeout: 'soon' is not a duration (e.g. 90s, 10m, 1h30m)" in line
    # absurd: past what a thread can wait for (a traceback before), and past any CI's patience
    line = one_error_line(flink_gitops(env, "wait", "flinkdep/x", "--timeout", "99999999999999999999h",
                                       "--kubeconfig", kc))
    assert "--timeout: '99999999999999999999h' is longer than the longest accepted, 168h" in line

    line = one_error_line(flink_gitops(env, "wait", "flinkdep/x", "--kubeconfig",
                                       server.kubeconfig(tmp_path / "stale", token="stale")))
    assert "cluster stand-in-cluster (http://127.0.0.1:" in line and "FlinkDeployment: " in line
    assert "401 Unauthorized" in line

    gone = server.kubeconfig(tmp_path / "gone")
    text = open(gone).read().replace(server.url, f"http://127.0.0.1:{closed_port()}")
    open(gone, "w").write(text)
    started = time.monotonic()
    line = one_error_line(flink_gitops(env, "wait", "flinkdep/x", "--timeout", "10m", "--kubeconfig", gone))
    assert "FlinkDeployment" in line and "cannot reach the API server: connection refused" in line
    assert time.monotonic() - started < 30  # refused at once, not after the timeout
