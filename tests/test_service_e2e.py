"""``flink-gitops serve`` under real gunicorn against the API-server stand-in (tests/kubeapi), over HTTP.

What a user of the service would see: readiness, listings, filters, convergence, recovery, metrics,
bad credentials, bad input, shutdown. The expected health of every object is computed here, from
the stand-in's objects, by the same evaluator ``flink-gitops health`` uses.
"""

from __future__ import annotations

import http.client
import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from flink_gitops.flink import Located
from flink_gitops.assess import assess
from flink_gitops.simulation.apiserver import ApiServer
from service_objects import deployment
from service_process import BIN, free_port, serve, wait_until
from service_process import http as request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")


def put(api: ApiServer, obj: dict) -> dict:
    meta = obj["metadata"]
    return api.create(obj["kind"], meta["namespace"], meta["name"], spec=obj.get("spec"), status=obj.get("status"),
                      generation=meta.get("generation", 1))


def expected(api: ApiServer, kinds=KINDS) -> dict[tuple[str, str, str], str]:
    objs = [Located(o, "stand-in", 1) for kind in kinds for o in api.objects(kind)]
    return {(v.namespace, v.kind, v.name): v.status for v in assess(objs)}


def seed(api: ApiServer) -> None:
    for name, health in (("orders", "Healthy"), ("pricing", "Degraded"), ("fraud", "Healthy")):
        put(api, deployment(name, "streaming", health, error="checkpoint storage unreachable"))
    put(api, deployment("backfill", "batch", "Progressing"))
    put(api, deployment("audit", "batch", "Degraded", error="OOMKilled"))
    api.create("FlinkSessionJob", "streaming", "enrich", spec={"deploymentName": "orders"})


@pytest.fixture
def api():
    with ApiServer(installed=KINDS[:3]) as server:  # FlinkBlueGreenDeployment's CRD is not installed
        yield server


def test_ready_lists_and_filters_and_watches_once_per_kind_whatever_the_load(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        ready = svc.wait_ready()
        assert ready["kinds"]["FlinkDeployment"] == {"state": "synced"}
        assert ready["kinds"]["FlinkBlueGreenDeployment"]["state"] == "absent"
        want = expected(api)
        assert len(want) == 6 and svc.statuses() == want
        assert set(svc.statuses("?status=Degraded")) == {("streaming", "FlinkDeployment", "pricing"),
                                                         ("batch", "FlinkDeployment", "audit")}
        assert set(svc.statuses("?namespace=batch&kind=flinkdep&status=Progressing")) == {
            ("batch", "FlinkDeployment", "backfill")}
        code, one = svc.get("/api/v1/resources/streaming/flinkdeployments/pricing")
        assert code == 200 and one["status"] == "Degraded" and "checkpoint storage unreachable" in one["message"]
        assert svc.get("/api/v1/resources/streaming/sessionjob/nope")[0] == 404

        before = {(k, verb): api.count(k, verb) for k in KINDS[:3] for verb in ("list", "watch")}
        assert all(before[(k, "list")] >= 1 and before[(k, "watch")] == 1 for k in KINDS[:3]), before
        errors = []

        def hammer():
            for path in ("/api/v1/resources", "/metrics", "/readyz", "/", "/api/v1/resources?status=Degraded") * 10:
                code = request(svc.url(path))[0]
                if code != 200:
                    errors.append((path, code))

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert {(k, verb): api.count(k, verb) for k in KINDS[:3] for verb in ("list", "watch")} == before


def test_namespace_flags_watch_those_namespaces_only(api, tmp_path):
    seed(api)
    api.create("FlinkSessionJob", "other", "ignored", spec={})
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), "-n", "streaming", "--namespace", "batch") as svc:
        svc.wait_ready()
        assert svc.statuses() == {k: v for k, v in expected(api).items() if k[0] != "other"}
        assert {ns for ns, _, _ in svc.statuses()} == {"streaming", "batch"}


def test_converges_after_churn(api, tmp_path):
    seed(api)
    rng = random.Random(7)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        names = {f"job-{i}" for i in range(40)}
        for name in names:
            put(api, deployment(name, rng.choice(["a", "b"]), "Healthy"))
        live = {o["metadata"]["name"]: o["metadata"]["namespace"] for o in api.objects("FlinkDeployment")}
        for step in range(400):
            name = rng.choice(sorted(names))
            if name in live and rng.random() < 0.15:
                api.delete("FlinkDeployment", live.pop(name), name)
            elif name in live:
                status = deployment(name, live[name], rng.choice(["Healthy", "Degraded", "Progressing"]),
                                    error=f"step {step}").get("status", {}) if rng.random() < 0.9 else {}
                api.update("FlinkDeployment", live[name], name, status=status)
            else:
                live[name] = rng.choice(["a", "b"])
                put(api, deployment(name, live[name], "Degraded", error=f"re-added at {step}"))
        want = expected(api)
        got = wait_until(lambda: (lambda s: s if s == want else None)(svc.statuses()), 30,
                         "the service to converge on the stand-in's objects")
        assert got == want
        messages = {r["name"]: r["message"] for r in svc.get("/api/v1/resources?namespace=a&namespace=b")[1]["resources"]}
        wanted_messages = {v.name: v.message for v in assess(
            [Located(o, "stand-in", 1) for o in api.objects("FlinkDeployment")]) if v.namespace in ("a", "b")}
        assert messages == wanted_messages


def test_relists_after_history_was_compacted_during_an_outage(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        lists_before = api.count("FlinkDeployment", "list")
        api.outage(True)  # the watches are cut and retried against a server that answers 503

        def failing():
            code, body = svc.get("/readyz")
            return body if all(s["state"] == "failing" for s in body["kinds"].values() if s["state"] != "absent") \
                and code == 200 else None

        # still ready (the last known health is served) but every watched kind says why it is not current
        body = wait_until(failing, 20, "/readyz to say the watches fail")
        assert body["kinds"]["FlinkDeployment"]["code"] == 503
        assert scrape(svc)["flink_gitops_watch_state"][(("kind", "FlinkDeployment"), ("state", "failing"))] == 1.0
        assert svc.get("/api/v1/resources")[1]["synced"] is False
        api.update("FlinkDeployment", "streaming", "pricing",
                   status=deployment("pricing", "streaming", "Healthy").get("status"))
        api.delete("FlinkDeployment", "streaming", "orders")
        put(api, deployment("late", "streaming", "Degraded", error="added during the outage"))
        api.compact()
        api.outage(False)
        want = expected(api)
        wait_until(lambda: svc.statuses() == want, 60, "the service to relist after the outage")
        wait_until(lambda: svc.get("/api/v1/resources")[1]["synced"], 30, "every kind to be current again")
        assert ("streaming", "FlinkDeployment", "orders") not in svc.statuses()
        assert api.count("FlinkDeployment", "list") > lists_before
        _, text, _ = request(svc.url("/metrics"))
        restarts = {s.labels["reason"]: s.value for f in text_string_to_metric_families(text.decode())
                    for s in f.samples if s.name == "flink_gitops_watch_restarts_total"
                    and s.labels["kind"] == "FlinkDeployment"}
        assert sum(restarts.values()) >= 1, restarts


def test_a_crd_installed_after_start_is_picked_up(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        assert svc.wait_ready()["kinds"]["FlinkBlueGreenDeployment"]["state"] == "absent"
        api.install("FlinkBlueGreenDeployment")
        api.create("FlinkBlueGreenDeployment", "streaming", "checkout", spec={})
        key = ("streaming", "FlinkBlueGreenDeployment", "checkout")
        wait_until(lambda: key in svc.statuses(), 45, "the new kind's object (looked for again every 30 s)")
        assert svc.statuses()[key] == expected(api)[key]
        assert svc.get("/readyz")[1]["kinds"]["FlinkBlueGreenDeployment"] == {"state": "synced"}


def scrape(svc) -> dict[str, dict[tuple, float]]:
    code, text, headers = request(svc.url("/metrics"))
    assert code == 200 and headers["Content-Type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_metrics_follow_the_cluster(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        pricing = (("kind", "FlinkDeployment"), ("name", "pricing"), ("namespace", "streaming"))
        samples = scrape(svc)
        health = samples["flink_gitops_resource_health"]
        assert health[pricing + (("status", "Degraded"),)] == 1.0
        assert health[pricing + (("status", "Healthy"),)] == 0.0
        assert samples["flink_gitops_resources"][(("kind", "FlinkDeployment"), ("status", "Degraded"))] == 2.0
        assert samples["flink_gitops_last_event_timestamp_seconds"][(("kind", "FlinkDeployment"),)] > time.time() - 60
        api.update("FlinkDeployment", "streaming", "pricing",
                   status=deployment("pricing", "streaming", "Healthy").get("status"))
        api.delete("FlinkDeployment", "batch", "audit")

        def changed():
            s = scrape(svc)
            gone = not any(dict(k)["name"] == "audit" for k in s["flink_gitops_resource_health"])
            return s if gone and s["flink_gitops_resource_health"][pricing + (("status", "Healthy"),)] == 1.0 else None

        samples = wait_until(changed, 15, "the metrics to show the change")
        transitions = samples["flink_gitops_health_transitions_total"]
        assert transitions[(("from", "Degraded"), ("kind", "FlinkDeployment"), ("to", "Healthy"))] == 1.0
        assert samples["process_resident_memory_bytes"][()] > 0


def test_bad_credentials_not_ready_says_401_and_stays_alive(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig", token="wrong")) as svc:
        def all_401():
            code, body = svc.get("/readyz")
            return body if code == 503 and all(s.get("code") == 401 for s in body["kinds"].values()) else None

        body = wait_until(all_401, 20, "/readyz to report 401 for every kind")
        assert all(s["state"] == "failing" for s in body["kinds"].values())
        time.sleep(2)
        assert svc.proc.poll() is None
        assert svc.get("/livez")[0] == 200
        assert svc.get("/readyz")[0] == 503
        assert svc.get("/api/v1/resources")[1]["synced"] is False
        assert svc.terminate() == 0
        assert "401" in svc.log_text()


def test_evaluate_over_http_400_and_413(api, tmp_path):
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        good = yaml.safe_dump(deployment("a", health="Degraded", error="x"))
        code, body, _ = request(svc.url("/api/v1/evaluate"), good.encode(), headers={"Content-Type": "application/yaml"})
        assert code == 200 and json.loads(body)["resources"][0]["status"] == "Degraded"
        code, body, _ = request(svc.url("/api/v1/evaluate"), (good + "---\n42\n").encode())
        assert code == 400 and json.loads(body)["error"].startswith("request body (document 2)")
        # Declared larger than 4 MiB: the answer comes from the headers, before any of the body is
        # read (sending the body too would race the server's close; the body case is in test_service_api)
        conn = http.client.HTTPConnection(svc.base.removeprefix("http://"), timeout=10)
        conn.putrequest("POST", "/api/v1/evaluate")
        conn.putheader("Content-Length", str(4 * 1024 * 1024 + 1))
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413 and "4,194,304" in json.loads(resp.read())["error"]
        conn.close()
        assert svc.get("/livez")[0] == 200


def test_sigterm_stops_it_within_seconds_and_closes_its_watches(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()  # ready once listed: each watch opens right after its list
        wait_until(lambda: api.open_watches == 3, 10, "a watch per installed kind")
        started = time.monotonic()
        assert svc.terminate(timeout=20) == 0
        assert time.monotonic() - started < 15
        wait_until(lambda: api.open_watches == 0, 10, "the stand-in to see the watches closed")
        assert "Traceback" not in svc.log_text()
    assert not (tmp_path / ".gunicorn").exists()  # no control socket in $HOME to resize the one worker


def test_sigterm_during_a_relist_stops_it_within_seconds(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        lists = api.count("FlinkDeployment", "list")
        api.slow_lists(30)
        api.outage(True)  # the watches are cut; what happens meanwhile is compacted away
        api.delete("FlinkDeployment", "batch", "audit")
        api.compact()
        api.outage(False)  # every kind re-watches, gets 410 and lists again, slowly
        wait_until(lambda: api.count("FlinkDeployment", "list") > lists, 20, "a relist in flight")
        started = time.monotonic()
        assert svc.terminate(timeout=20) == 0
        assert time.monotonic() - started < 15
        assert "Traceback" not in svc.log_text()


def test_plain_gunicorn_with_preload_still_watches_in_the_worker_only(api, tmp_path):
    seed(api)
    gunicorn = shutil.which("gunicorn", path=str(BIN))
    command = [gunicorn, "--preload", "--worker-class", "gthread", "--threads", "4", "--bind", "127.0.0.1:{port}",
               "flink_gitops.service:create_app()"]
    env = {"FLINK_GITOPS_KUBECONFIG": api.kubeconfig(tmp_path / "kubeconfig"), "FLINK_GITOPS_AUTH": "none"}
    with serve(tmp_path, None, command=command, env=env) as svc:
        svc.wait_ready()
        assert svc.statuses() == expected(api)
        assert [api.count(k, "watch") for k in KINDS[:3]] == [1, 1, 1]


# --- bad input: one line, exit 2, nothing started ----------------------------------------------


def run_serve(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flink-gitops"), "serve", *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": str(BIN), "HOME": str(tmp_path)})


def test_serve_refuses_a_bad_bind_a_busy_port_and_a_missing_kubeconfig(api, tmp_path):
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    out = run_serve(tmp_path, "--bind", "localhost", "--kubeconfig", kubeconfig)
    assert out.returncode == 2 and out.stderr.strip() == (
        "flink-gitops serve: error: --bind 'localhost': expected HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run_serve(tmp_path, "--bind", f"127.0.0.1:{port}", "--kubeconfig", kubeconfig)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert out.stderr.startswith(f"flink-gitops serve: error: --bind 127.0.0.1:{port}: cannot listen")
    out = run_serve(tmp_path, "--bind", f"127.0.0.1:{free_port()}", "--kubeconfig", str(tmp_path / "missing"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "missing" in out.stderr
    assert "Traceback" not in out.stderr
    out = run_serve(tmp_path, "-n", "", "--kubeconfig", kubeconfig)
    assert out.returncode == 2 and out.stderr.startswith("flink-gitops serve: error: --namespace must name")


@pytest.mark.parametrize("body", [
    b"zz\r\nabc\r\n0\r\n\r\n",  # a chunk size that is not hex
    b"5\r\nabcdefgh\r\n0\r\n\r\n",  # a chunk longer than it says: no terminator where it should be
])
def test_a_malformed_chunked_body_is_a_400_not_a_500_with_a_traceback(api, tmp_path, body):
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        host, port = svc.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), answer[:300]
        assert json.loads(payload)["error"].startswith("request body: malformed or cut short")
        assert svc.get("/livez")[0] == 200
        assert "Traceback" not in svc.log_text()
