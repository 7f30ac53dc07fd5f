"""The service keeps answering under hostile or careless clients: idle connections, clients sending a
byte a second, many large evaluations at once, slow bodies, expensive bodies. And the gunicorn settings
it runs with are the ones given, whichever way they are given.

Under real gunicorn (tests/service_process.py) watching the API-server stand-in (tests/kubeapi) with
the real ``kubernetes`` client; the bounds asserted are the ones docs/service.md promises ("Limits").
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
import yaml

from flink_gitops.service.server import ServiceApplication
from flink_gitops.service.settings import DEFAULT_THREADS, EvaluateLimits
from flink_gitops.service.worker import REQUEST_HEAD_SECONDS, HeadDeadlines
from flink_gitops.simulation.apiserver import ApiServer
from service_objects import client_for, deployment, evaluate_body, store  # noqa: F401 (fixture)
from service_process import BIN, SlowClients, free_port, serve, timed_get, wait_until
from service_process import http as request

MIB = 1024 * 1024


def seed(api: ApiServer) -> None:
    for name, health in (("orders", "Healthy"), ("pricing", "Degraded"), ("backfill", "Progressing")):
        obj = deployment(name, "streaming", health)
        api.create("FlinkDeployment", "streaming", name, spec=obj.get("spec"), status=obj.get("status"))


@pytest.fixture
def api():
    with ApiServer() as server:
        seed(server)
        yield server


# --- the server keeps answering ----------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_probes_and_the_api_answer_within_1s_with_16_idle_and_4_slow_clients_open(api, tmp_path):
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:  # the defaults, as deployed
        svc.wait_ready()
        port = int(svc.base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        slow = SlowClients(port, 4)
        try:
            time.sleep(1.5)  # every hostile connection accepted and sent to a thread
            answers = []
            # over 8 s: past the moment gunicorn or the head deadline puts the hostile connections aside
            while time.monotonic() - slow.started < 9.5:
                for path in ("/livez", "/readyz", "/api/v1/resources"):
                    answers.append((path, *timed_get(svc.url(path), timeout=1)))
                time.sleep(0.3)
            late = [a for a in answers if a[1] != 200 or a[2] >= 1]
            assert not late, late
            assert len(answers) >= 9  # three rounds at least, across the window
            assert len(svc.statuses()) == 3
        finally:
            slow.close()
            for sock in idle:
                sock.close()


@pytest.mark.e2e
@pytest.mark.slow
def test_slow_clients_are_cut_after_the_head_deadline_so_more_of_them_than_threads_do_not_stop_livez(
        api, tmp_path):
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), "--threads", "4") as svc:
        svc.wait_ready()
        port = int(svc.base.rsplit(":", 1)[1])
        slow = SlowClients(port, 6)  # four hold every thread, two wait behind them
        try:
            time.sleep(0.5)
            code, took = timed_get(svc.url("/livez"), timeout=REQUEST_HEAD_SECONDS + 5)
            assert code == 200, code
            assert took < REQUEST_HEAD_SECONDS + 3  # the first four were cut, then the probe was served
            wait_until(lambda: len(slow.closed_at) == 6, 2 * REQUEST_HEAD_SECONDS + 5,
                       "every slow client to be cut")
            assert min(slow.closed_at.values()) >= REQUEST_HEAD_SECONDS - 1  # a deadline, not an instant close
            assert timed_get(svc.url("/livez"), timeout=1)[0] == 200
        finally:
            slow.close()
        assert "Traceback" not in svc.log_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_eight_4_mib_evaluations_at_once_leave_readyz_answering_within_2s(api, tmp_path):
    body, objects = evaluate_body()
    assert 4 * MIB - 4096 < len(body) <= 4 * MIB
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        answers: list[tuple[int, bytes, dict]] = []

        def post():
            answers.append(request(svc.url("/api/v1/evaluate"), body, timeout=60,
                                   headers={"Content-Type": "application/yaml"}))

        posters = [threading.Thread(target=post) for _ in range(8)]
        for poster in posters:
            poster.start()
        probes = []
        while any(p.is_alive() for p in posters) or len(probes) < 10:
            probes.append(timed_get(svc.url("/readyz"), timeout=2))
            time.sleep(0.2)
        for poster in posters:
            poster.join()
        assert all(code == 200 and took < 2 for code, took in probes), probes

        assert len(answers) == 8
        done = [json.loads(b) for code, b, _ in answers if code == 200]
        refused = [(json.loads(b), h) for code, b, h in answers if code == 429]
        assert len(done) + len(refused) == 8, [(c, b[:200]) for c, b, _ in answers]
        assert 1 <= len(done) <= EvaluateLimits.concurrent
        assert all(len(d["resources"]) == objects and d["resources"][0]["status"] == "Degraded" for d in done)
        for error, headers in refused:  # the client read the answer, not a reset connection
            assert int(headers["Retry-After"]) >= 1 and "try again" in error["error"]
        code, again, _ = request(svc.url("/api/v1/evaluate"), body, timeout=60)
        assert code == 200 and len(json.loads(again)["resources"]) == objects  # a retry is served


def _send_head(port: int, length: int, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(b"POST /api/v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (length, first))
    return sock


def _status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data.split(b"\r\n", 1)[0]


@pytest.mark.e2e
@pytest.mark.slow
def test_a_body_that_does_not_arrive_in_time_is_408_and_frees_its_slot(api, tmp_path):
    env = {"FLINK_GITOPS_EVALUATE_BODY_SECONDS": "2", "FLINK_GITOPS_EVALUATE_CONCURRENCY": "1"}
    good = yaml.safe_dump(deployment("a", health="Degraded")).encode()
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), env=env) as svc:
        port = int(svc.base.rsplit(":", 1)[1])
        stalled = _send_head(port, 1000, good[:10])  # 10 of 1,000 bytes, then nothing
        time.sleep(0.5)
        code, body, headers = request(svc.url("/api/v1/evaluate"), good, timeout=10)
        assert code == 429 and headers["Retry-After"] == "1"  # the one slot is the stalled client's
        started = time.monotonic()
        assert _status_line(stalled).startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < 5
        stalled.close()
        code, body, _ = request(svc.url("/api/v1/evaluate"), good, timeout=10)
        assert code == 200 and json.loads(body)["resources"][0]["status"] == "Degraded"


def test_an_evaluation_stops_at_its_cpu_time_with_413(monkeypatch, store):
    monkeypatch.setenv("FLINK_GITOPS_EVALUATE_CPU_SECONDS", "0.05")
    client = client_for(store)  # the limits are read when the first evaluation comes
    body, objects = evaluate_body(2 * MIB)  # about 0.6 s of CPU to parse here, ten times the budget
    resp = client.post("/api/v1/evaluate", data=body)
    assert resp.status_code == 413
    assert re.fullmatch(r"request body: evaluating took more than 0\.05 s of CPU time \(stopped after [\d,]+ of "
                        rf"{objects:,} objects\); send fewer objects at a time", resp.json["error"])
    small = client.post("/api/v1/evaluate", data=yaml.safe_dump(deployment("a")))
    assert small.status_code == 200 and small.json["resources"][0]["name"] == "a"


# --- the head deadline itself --------------------------------------------------------------------


class _Conn:
    def __init__(self, sock):
        self.sock = sock


def test_head_deadlines_cut_only_connections_still_reading_their_head_past_the_deadline():
    now = [100.0]
    deadlines = HeadDeadlines(5.0, clock=lambda: now[0])
    pairs = [socket.socketpair() for _ in range(3)]
    late, answered, fresh = (_Conn(server) for server, _ in pairs)
    deadlines.reading(late)
    deadlines.reading(answered)
    now[0] += 3
    deadlines.reading(fresh)
    deadlines.done(answered)  # its head is in: it is being answered
    now[0] += 2.5
    assert deadlines.cut_late() == 1 and len(deadlines) == 1
    assert late.sock.recv(10) == b""  # shut down: a blocked read returns at once
    for conn in (answered, fresh):
        conn.sock.setblocking(False)
        with pytest.raises(BlockingIOError):  # still open, nothing to read
            conn.sock.recv(10)
    for server, client in pairs:
        server.close()
        client.close()


# --- the settings gunicorn runs with ---------------------------------------------------------------


@pytest.mark.parametrize("overrides, environ, threads, bind", [
    ({}, {}, 32, "127.0.0.1:8080"),
    ({"threads": None, "bind": None}, {}, 32, "127.0.0.1:8080"),  # flags not given
    ({"threads": 3, "bind": ["0.0.0.0:9000"]}, {}, 3, "0.0.0.0:9000"),
    ({"threads": None, "bind": None}, {"FLINK_GITOPS_THREADS": "12", "FLINK_GITOPS_BIND": "0.0.0.0:9001"},
     12, "0.0.0.0:9001"),
    ({"threads": 5, "bind": ["127.0.0.1:9002"]}, {"FLINK_GITOPS_THREADS": "12", "FLINK_GITOPS_BIND": "0.0.0.0:9001"},
     5, "127.0.0.1:9002"),  # a flag beats the environment
])
def test_the_effective_gunicorn_settings_follow_defaults_environment_and_flags(overrides, environ, threads, bind):
    cfg = ServiceApplication({}, overrides, environ=environ).cfg
    assert cfg.threads == threads and cfg.bind == [bind]
    assert cfg.workers == 1 and cfg.worker_class_str == "flink_gitops.service.worker.HeadDeadlineWorker"
    assert cfg.keepalive == 5 and cfg.preload_app is False and cfg.control_socket_disable is True


def test_serve_help_states_the_defaults_the_service_uses():
    """The parser imports no service module (fast --help), so it writes the defaults out: they must agree."""
    import argparse

    from flink_gitops.commands import serve as serve_command
    from flink_gitops.service.settings import DEFAULT_BIND

    assert DEFAULT_THREADS == 32
    assert serve_command.DEFAULT_BIND == DEFAULT_BIND
    parser = argparse.ArgumentParser()
    serve_command.register(parser.add_subparsers())
    text = " ".join(parser._subparsers._group_actions[0].choices["serve"].format_help().split())
    assert f"else {DEFAULT_BIND})" in text and f"else {DEFAULT_THREADS})" in text


def _configuration(log: str) -> dict[str, str]:
    """gunicorn's own account of its settings (printed at --log-level debug)."""
    text = log.split("Current configuration:", 1)[1]
    return dict(re.findall(r"^  (\w+): (.*)$", text, re.M))


@pytest.mark.e2e
@pytest.mark.slow
def test_serve_and_plain_gunicorn_run_with_the_settings_given(api, tmp_path):
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    with serve(tmp_path, kubeconfig, "--log-level", "debug") as svc:
        conf = _configuration(svc.log_text())
        assert conf["threads"] == "32" and conf["worker_class"] == "flink_gitops.service.worker.HeadDeadlineWorker"
    with serve(tmp_path, kubeconfig, "--log-level", "debug", env={"FLINK_GITOPS_THREADS": "6"}) as svc:
        assert _configuration(svc.log_text())["threads"] == "6"
    with serve(tmp_path, kubeconfig, "--log-level", "debug", "--threads", "9",
               env={"FLINK_GITOPS_THREADS": "6"}) as svc:
        assert _configuration(svc.log_text())["threads"] == "9"

    port = free_port()  # the address from the environment: `serve` without --bind listens there
    command = [str(BIN / "flink-gitops"), "serve", "--kubeconfig", kubeconfig, "--log-level", "debug"]
    with serve(tmp_path, None, command=command, env={"FLINK_GITOPS_BIND": f"127.0.0.1:{port}"},
               wait_listening=False) as svc:
        wait_until(lambda: request(f"http://127.0.0.1:{port}/livez", timeout=2)[0] == 200, 30,
                   f"serve to listen on $FLINK_GITOPS_BIND (log: {svc.log_text()[-2000:]})")
        assert _configuration(svc.log_text())["bind"] == f"['127.0.0.1:{port}']"

    gunicorn = shutil.which("gunicorn", path=str(BIN))
    command = [gunicorn, "-c", "python:flink_gitops.service.gunicorn_conf", "--bind", "127.0.0.1:{port}",
               "--log-level", "debug", "flink_gitops.service:create_app()"]
    env = {"FLINK_GITOPS_KUBECONFIG": kubeconfig, "FLINK_GITOPS_THREADS": "7"}
    with serve(tmp_path, None, command=command, env=env) as svc:
        conf = _configuration(svc.log_text())
        assert conf["threads"] == "7" and conf["worker_class"] == "flink_gitops.service.worker.HeadDeadlineWorker"
        svc.wait_ready()


@pytest.mark.e2e
@pytest.mark.parametrize("name, value, says", [
    ("FLINK_GITOPS_THREADS", "many", "FLINK_GITOPS_THREADS must be a whole number of at least 1, got 'many'"),
    ("FLINK_GITOPS_EVALUATE_CONCURRENCY", "0",
     "FLINK_GITOPS_EVALUATE_CONCURRENCY must be a whole number of at least 1, got '0'"),
    ("FLINK_GITOPS_EVALUATE_CPU_SECONDS", "-1",
     "FLINK_GITOPS_EVALUATE_CPU_SECONDS must be a number of seconds above 0, got '-1'"),
])
def test_a_bad_setting_in_the_environment_is_one_line_and_exit_2(tmp_path, name, value, says):
    out = subprocess.run([str(BIN / "flink-gitops"), "serve", "--bind", f"127.0.0.1:{free_port()}"],
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": str(BIN), "HOME": str(tmp_path), name: value})
    assert out.returncode == 2 and out.stderr == f"flink-gitops serve: error: {says}\n"
