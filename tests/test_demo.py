"""``flink-gitops demo`` as a user runs it: the installed script, real gunicorn through ``serve``, the real
``kubernetes`` client in ``health --cluster`` and ``wait`` against the kubeconfig it prints."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from flink_gitops.assess import rule_doc
from flink_gitops.flink import kind_names
from flink_gitops.simulation import fleet
from tests.service_process import BIN, free_port, get_json, wait_until
from test_service_dashboard import browser  # noqa: F401 - the chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SPEED = "15"  # a story step every 0.2 s: a whole loop in under five seconds
LAST_LINE = "stops the demo."


class Demo:
    """A running ``flink-gitops demo``: its process, what it printed, and the addresses it printed."""

    def __init__(self, tmp: Path, *args: str, port: int | None = None):
        self.port = port or free_port()
        self.log = tmp / f"demo-{self.port}.stderr"
        home = tmp / "home"
        home.mkdir(exist_ok=True)
        # a user's own kubeconfig that must not be read: it names a cluster nobody answers for
        users = tmp / "users-kubeconfig"
        users.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "prod",
            "clusters": [{"name": "prod", "cluster": {"server": "https://127.0.0.1:1"}}],
            "users": [{"name": "me", "user": {"token": "real"}}],
            "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "me"}}]}))
        # TMPDIR: the temporary kubeconfig folder under the test's own (a SIGKILLed demo cannot remove it)
        env = dict(os.environ, KUBECONFIG=str(users), HOME=str(home), FLINK_GITOPS_AUTH="kubernetes", TMPDIR=str(tmp))
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen([str(BIN / "flink-gitops"), "demo", "--port", str(self.port), *args],
                                         stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.out = self._banner(timeout=60)
        fields = dict(line.split(None, 1) for line in self.out.splitlines()
                      if line.startswith("  ") and len(line.split(None, 1)) == 2)
        self.url = fields["Dashboard"].strip()
        self.kubeconfig = fields["Kubeconfig"].strip()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def _banner(self, timeout: float) -> str:
        out, deadline = [], time.monotonic() + timeout
        while not out or LAST_LINE not in out[-1]:
            try:
                out.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no banner; printed {''.join(out)!r}, stderr {self.stderr()[-3000:]}") from None
        return "".join(out)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def resources(self) -> list[dict]:
        code, body = get_json(self.url + "api/v1/resources")
        assert code == 200, body
        return body["resources"]

    def serve_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        return self.proc.wait(30)


def cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run([str(BIN / "flink-gitops"), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    running = Demo(tmp, "--speed", SPEED, "--write-kubeconfig", str(tmp / "demo-kubeconfig"))
    yield running
    assert running.stop() == 0, running.stderr()[-3000:]
    assert not (tmp / "demo-kubeconfig").exists()


def test_it_says_it_is_a_simulation_and_prints_the_dashboard_and_a_kubeconfig(demo, tmp_path_factory):
    assert "SIMULATION" in demo.out and "no real cluster is read or touched" in demo.out
    assert "authentication off" in demo.out
    assert demo.url == f"http://127.0.0.1:{demo.port}/"
    config = yaml.safe_load(Path(demo.kubeconfig).read_text())
    assert Path(demo.kubeconfig).name == "demo-kubeconfig"
    assert stat.S_IMODE(os.stat(demo.kubeconfig).st_mode) == 0o600  # it holds the simulated cluster's token
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"].startswith("http://127.0.0.1:")
    assert config["current-context"] == "flink-gitops-demo"
    assert f"health --cluster -A --kubeconfig {demo.kubeconfig}" in demo.out
    assert f"--kubeconfig {demo.kubeconfig}" in demo.out.split("wait ", 1)[1]
    # serve was given the demo's kubeconfig: the user's $KUBECONFIG (a dead cluster) and their
    # $FLINK_GITOPS_AUTH=kubernetes did not reach it (the API answers without a token)
    assert "127.0.0.1:1" not in demo.stderr()


def test_the_dashboard_lists_the_fleet_of_four_kinds_in_two_namespaces(demo):
    resources = demo.resources()
    assert len(resources) >= 12
    assert {r["kind"] for r in resources} == set(kind_names())
    assert len({r["namespace"] for r in resources}) >= 2
    code, page = get_json(demo.url + "api/v1/resources/streaming/FlinkDeployment/orders-enrichment")
    assert code == 200 and page["name"] == "orders-enrichment"


def test_the_service_says_it_watches_the_simulated_cluster_and_explains_a_rejected_spec(demo):
    code, info = get_json(demo.url + "api/v1/info")
    assert code == 200 and info["simulation"] is True
    (cluster,) = yaml.safe_load(Path(demo.kubeconfig).read_text())["clusters"]
    assert (info["cluster"]["context"], info["cluster"]["server"]) == ("flink-gitops-demo", cluster["cluster"]["server"])

    def rejected():
        code, body = get_json(demo.url + "api/v1/resources/streaming/FlinkDeployment/pricing-engine")
        return next((h for h in body.get("history", ()) if h["rule"] == "spec-rejected"), None)

    entry = wait_until(rejected, 45, "pricing-engine's history to hold the rejected spec", interval=0.1)
    assert entry["status"] == "Degraded"
    assert entry["message"].endswith('"message":"Job parallelism must be larger than 0","additionalMetadata":{},'
                                     '"throwableList":[]}')  # what Argo CD shows
    assert entry["decodedMessage"].endswith("ValidationException: Job parallelism must be larger than 0")
    code, body = get_json(demo.url + "api/v1/resources/streaming/FlinkDeployment/pricing-engine")
    # the deciding rule, explained with the tables' text (the same as docs/health.md)
    assert body["rule_doc"] and body["rule_doc"] == rule_doc("FlinkDeployment", body["rule"])
    assert body["rule_doc"] in (ROOT / "docs/health.md").read_text()

    def history():
        code, body = get_json(demo.url + "api/v1/resources/streaming/FlinkDeployment/pricing-engine")
        return body["history"] if len(body.get("history", ())) >= 2 else None

    since = [h["since"] for h in wait_until(history, 30, "a second transition of pricing-engine")]
    assert since == sorted(since, reverse=True)  # newest first


def test_every_step_of_the_story_shows_up_on_the_dashboard_over_time(demo):
    wanted = {(r.namespace, r.kind, r.name, step.health, step.rule) for r in fleet.FLEET for step in r.track
              if step.status is not None}
    seen: set = set()

    def statuses():
        return {(r["namespace"], r["kind"], r["name"]): r["status"] for r in demo.resources()}

    first = statuses()
    wait_until(lambda: statuses() != first, 10, "a status to change between two reads", interval=0.05)

    def all_seen():
        seen.update((r["namespace"], r["kind"], r["name"], r["status"], r["rule"]) for r in demo.resources())
        return wanted <= seen

    wait_until(all_seen, 45, "every step of every resource's story", interval=0.05)
    assert ("streaming", "FlinkDeployment", "pricing-engine", "Degraded", "spec-rejected") in seen
    gone = "clickstream-sessionizer-periodic-checkpoint"  # a snapshot that is deleted and created again
    wait_until(lambda: gone not in {r["name"] for r in demo.resources()}, 30, f"{gone} to be deleted",
               interval=0.05)
    wait_until(lambda: gone in {r["name"] for r in demo.resources()}, 30, f"{gone} to come back", interval=0.05)


def test_health_cluster_reads_the_simulated_cluster_through_the_printed_kubeconfig(demo):
    done = cli("health", "--cluster", "-A", "--kubeconfig", demo.kubeconfig, "-o", "json")
    assert done.returncode in (0, 1, 3), done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) >= 12 and {r["kind"] for r in rows} == set(kind_names())
    statuses = {r["status"] for r in rows}
    assert done.returncode == (1 if "Degraded" in statuses else 0 if statuses == {"Healthy"} else 3)


def test_wait_sees_a_deployment_become_healthy_in_the_simulated_cluster(demo):
    done = cli("wait", "flinkdeployment/orders-enrichment", "-n", "streaming", "--timeout", "60s",
               "--kubeconfig", demo.kubeconfig, "-o", "json")
    assert done.returncode == 0, (done.stdout, done.stderr)
    (row,) = json.loads(done.stdout)
    assert (row["name"], row["status"]) == ("orders-enrichment", "Healthy")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_the_demo_cleanly_with_serve_and_the_temporary_kubeconfig(tmp_path, signum):
    demo = Demo(tmp_path, "--speed", SPEED)
    folder = Path(demo.kubeconfig).parent
    assert folder.name.startswith("flink-gitops-demo-") and Path(demo.kubeconfig).exists()
    serve = demo.serve_pid()
    assert demo.stop(signum) == 0
    assert not folder.exists()
    assert not Path(f"/proc/{serve}").exists()  # serve stopped and reaped
    assert "Traceback" not in demo.stderr()
    with pytest.raises(OSError):  # the dashboard is gone with it
        get_json(demo.url + "livez", timeout=2)


def test_a_busy_port_is_one_clear_error():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = cli("demo", "--port", str(port), timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"flink-gitops demo: error: --port {port}: cannot listen on 127.0.0.1:{port}: "
                                   "Address already in use (choose another port with --port)")
    assert done.stdout == ""


def test_an_existing_file_is_never_overwritten_by_the_kubeconfig(tmp_path):
    mine = tmp_path / "config"
    mine.write_text("my own kubeconfig\n")
    done = cli("demo", "--port", str(free_port()), "--write-kubeconfig", str(mine), timeout=30)
    assert done.returncode == 2 and "exists" in done.stderr and "Traceback" not in done.stderr
    assert mine.read_text() == "my own kubeconfig\n"


@pytest.mark.parametrize("flags, error", [
    (["--speed", "0"], "--speed 0.0: expected a factor between 0.01 and 1000"),
    (["--speed", "nan"], "--speed nan: expected a factor between 0.01 and 1000"),
    (["--port", "0"], "--port 0: expected a port between 1 and 65535"),
    (["--port", "70000"], "--port 70000: expected a port between 1 and 65535"),
    (["--write-kubeconfig", "/nonexistent-folder/kubeconfig"],
     "--write-kubeconfig /nonexistent-folder/kubeconfig: no such folder /nonexistent-folder"),
], ids=["speed-0", "speed-nan", "port-0", "port-too-big", "kubeconfig-folder"])
def test_bad_flags_are_one_error_line_before_anything_starts(flags, error):
    done = cli("demo", *flags, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"flink-gitops demo: error: {error}\n")


@pytest.mark.skipif(not os.uname().sysname == "Linux", reason="the child's stop-with-parent signal is Linux's prctl")
def test_serve_stops_even_when_the_demo_is_killed(tmp_path):
    demo = Demo(tmp_path, "--speed", SPEED)
    serve = demo.serve_pid()
    demo.proc.kill()  # SIGKILL: the demo cannot stop serve itself
    demo.proc.wait(10)
    wait_until(lambda: not Path(f"/proc/{serve}").exists() or "Z" in Path(f"/proc/{serve}/stat").read_text().split()[2],
               20, "serve to stop after the demo was killed")
    with pytest.raises(OSError):
        get_json(demo.url + "livez", timeout=2)


def test_the_dashboard_explains_the_simulated_fleet_in_a_real_browser(demo, browser):
    """Debian's chromium on the demo's dashboard: the simulation said, the cluster named, a row opens its
    detail view (deep-linkable), the operator's error decoded with the raw one a click away, the rule
    explained, the history newest first, and angle brackets in an operator message shown as text."""
    from selenium.webdriver.common.by import By

    def script(js: str):
        return browser.execute_script(js)

    browser.get(demo.url)
    wait_until(lambda: script("return document.querySelectorAll('#resources tbody tr').length") >= 12, 20,
               "the fleet in the table")
    assert "Simulated cluster" in browser.find_element(By.ID, "simulation").text
    cluster = browser.find_element(By.ID, "cluster").text
    assert "flink-gitops-demo" in cluster and "127.0.0.1" in cluster

    # a click on a row opens its detail view, and the URL says which
    browser.execute_script(
        "[...document.querySelectorAll('#resources tbody tr')].find(tr => "
        "tr.querySelector('td.name').textContent === 'clickstream-sessionizer').click()")
    wait_until(lambda: script("return !document.getElementById('detail').hidden"), 10, "the detail view")
    assert script("return location.hash") == "#/streaming/FlinkDeployment/clickstream-sessionizer"
    # the crash loop's exception holds `<user-8f3c2a>`: text on the page, never an element
    shown = wait_until(lambda: script(
        "const t = [...document.querySelectorAll('#d-history tbody tr, #d-message, #d-raw')]"
        ".map(e => e.textContent).join(' '); return t.includes('<user-8f3c2a>') ? t : ''"), 30,
        "the crash loop's message in the detail view", interval=0.2)
    assert "JobException: Recovery is suppressed" in shown  # decoded: the exception's short type, then its message
    assert script("return document.getElementsByTagName('user-8f3c2a').length") == 0

    # a deep link, loaded fresh, opens the rejected spec's detail view
    browser.get(demo.url + "#/streaming/FlinkDeployment/pricing-engine")
    wait_until(lambda: script("return document.getElementById('d-message').textContent")
               .endswith("ValidationException: Job parallelism must be larger than 0"), 45,
               "pricing-engine rejected, decoded", interval=0.1)
    raw = script("return document.getElementById('d-raw').textContent")
    assert '"type":"org.apache.flink.kubernetes.operator.exception.ValidationException"' in raw  # as Argo CD shows
    assert not script("return document.getElementById('d-raw-box').open")  # one click away, not in the way
    browser.find_element(By.CSS_SELECTOR, "#d-raw-box summary").click()
    assert browser.find_element(By.ID, "d-raw").is_displayed()
    rule = script("return document.getElementById('d-rule').textContent")
    assert script("return document.getElementById('d-rule-doc').textContent") == rule_doc("FlinkDeployment", rule)
    history = script("return [...document.querySelectorAll('#d-history tbody tr')].map(tr => tr.textContent)")
    assert len(history) >= 2 and any("Degraded" in row for row in history)
    fields = script("return document.getElementById('d-fields').textContent")
    assert "lifecycle" in fields.lower()

    # a deployment behind an ingress links its Flink web UI
    browser.get(demo.url + "#/analytics/FlinkDeployment/ad-impressions")
    href = wait_until(lambda: script("const a = document.getElementById('d-webui'); return a.hidden ? '' : a.href"),
                      20, "ad-impressions' web UI link")
    assert href.startswith(("http://", "https://")) and "ad-impressions" in href
