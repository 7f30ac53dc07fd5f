"""A resource's detail through the real service (gunicorn, the `kubernetes` client over HTTP, the API-server
stand-in): its transition history, the deciding rule's explanation, the operator's error decoded, the key
status fields and the Flink web UI; ``GET /api/v1/info``; and the transition lines ``serve`` logs, as text
and as JSON."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from flink_gitops.simulation.apiserver import ApiServer, Identity, Rule
from service_objects import TESTDATA, deployment
from service_process import serve, wait_until

pytestmark = [pytest.mark.e2e]

REJECTED = yaml.safe_load((TESTDATA / "degraded_spec_rejected.yaml").read_text())


def put(api, obj):
    meta = obj["metadata"]
    api.create(obj["kind"], meta["namespace"], meta["name"], spec=obj["spec"], status=obj.get("status"),
               generation=meta.get("generation", 1))


def detail(svc, ns, kind, name, token=None):
    code, body = svc.get(f"/api/v1/resources/{ns}/{kind}/{name}", token=token)
    assert code == 200, body
    return body


def test_detail_history_rule_doc_fields_decoded_error_and_web_ui(tmp_path):
    orders = deployment("orders", "streaming", "Healthy")
    orders["spec"]["ingress"] = {"template": "flink.example.com/{{namespace}}/{{name}}(/|$)(.*)",
                                 "className": "nginx",
                                 "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}}
    evil = deployment("evil", "streaming", "Healthy")
    evil["spec"]["ingress"] = {"template": "javascript:alert(document.domain)//{{name}}"}
    with ApiServer() as api:
        put(api, orders)
        put(api, evil)
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
            svc.wait_ready()
            first = detail(svc, "streaming", "FlinkDeployment", "orders")
            # the first sighting is the first entry of the history
            assert [(h["status"], h["rule"]) for h in first["history"]] == [("Healthy", "running-stable")]
            assert first["rule"] == "running-stable" and first["rule_doc"]
            assert first["fields"]["lifecycleState"] == "STABLE"
            assert first["fields"]["jobState"] == "RUNNING"
            assert first["fields"]["jobManagerDeploymentStatus"] == "READY"
            assert first["fields"]["reconciliationState"] == "DEPLOYED"
            # the operator's ingress: http:// added, {{name}}/{{namespace}} filled, the regex tail cut
            assert first["webUI"] == "http://flink.example.com/streaming/orders/"
            # a template that would be a javascript: URL is no link at all
            assert "webUI" not in detail(svc, "streaming", "flinkdep", "evil")

            # the operator rejects a spec, then the job fails, then it recovers
            # a new spec (generation 4) the operator refuses: it still runs generation 3
            spec = copy.deepcopy(orders["spec"])
            spec["job"]["parallelism"] = 0
            api.update("FlinkDeployment", "streaming", "orders", spec=spec, status=copy.deepcopy(REJECTED["status"]))
            wait_until(lambda: svc.statuses().get(("streaming", "FlinkDeployment", "orders")) == "Degraded", 15,
                       "orders to be Degraded")
            rejected = detail(svc, "streaming", "FlinkDeployment", "orders")
            assert rejected["error"] == {"type": "ValidationException",
                                         "message": "Job parallelism must be larger than 0",
                                         "class": "org.apache.flink.kubernetes.operator.exception.ValidationException"}
            # message stays what Argo CD shows (the raw JSON); the decoded form is its own field
            assert '"type":"org.apache.flink.kubernetes.operator.exception.ValidationException"' in rejected["message"]
            assert "ValidationException: Job parallelism must be larger than 0" in rejected["decodedMessage"]
            assert "{" not in rejected["decodedMessage"]
            assert rejected["rule_doc"] and rejected["rule_doc"] != first["rule_doc"]
            listed = next(r for r in svc.get("/api/v1/resources")[1]["resources"] if r["name"] == "orders")
            assert listed["decodedMessage"] == rejected["decodedMessage"] and listed["error"] == rejected["error"]

            for n, health in enumerate(["Healthy", "Degraded", "Healthy"]):
                status = deployment("orders", "streaming", health, error=f"<b>failure {n}</b>", generation=4)["status"]
                api.update("FlinkDeployment", "streaming", "orders", status=status)
                wait_until(lambda: detail(svc, "streaming", "FlinkDeployment", "orders")["status"] == health
                           and len(detail(svc, "streaming", "FlinkDeployment", "orders")["history"]) == n + 3,
                           15, f"orders to turn {health}")
            history = detail(svc, "streaming", "FlinkDeployment", "orders")["history"]
            assert [h["status"] for h in history] == ["Healthy", "Degraded", "Healthy", "Degraded", "Healthy"]
            assert [h["since"] for h in history] == sorted((h["since"] for h in history), reverse=True)
            assert history[1]["decodedMessage"] == "Job FAILED: JobException: <b>failure 1</b>"
            assert history[3]["rule"] == rejected["rule"]

            # deleted and created again: a new object, a new history
            api.delete("FlinkDeployment", "streaming", "orders")
            wait_until(lambda: svc.get("/api/v1/resources/streaming/FlinkDeployment/orders")[0] == 404, 15,
                       "orders to be gone")
            put(api, deployment("orders", "streaming", "Healthy"))
            wait_until(lambda: svc.get("/api/v1/resources/streaming/FlinkDeployment/orders")[0] == 200, 15,
                       "orders to be back")
            assert len(detail(svc, "streaming", "FlinkDeployment", "orders")["history"]) == 1


def test_info_says_which_cluster_and_needs_a_token_under_kubernetes_auth(tmp_path):
    with ApiServer() as api:
        put(api, deployment("orders", "streaming", "Healthy"))
        api.set_policy({"tok-alice": Identity("alice", ("system:authenticated",))},
                       [Rule(("list",), ("*",), groups=("system:authenticated",))])
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig", context="prod-eu")
        with serve(tmp_path, kubeconfig, "--namespace", "streaming", "--simulation") as svc:
            svc.wait_ready()
            code, info = svc.get("/api/v1/info")
            assert code == 200
            assert info["cluster"] == {"context": "prod-eu", "server": api.url, "inCluster": False, "connected": True}
            assert info["namespaces"] == ["streaming"]
            assert info["auth"] == "none" and info["simulation"] is True
            from flink_gitops import __version__
            assert info["version"] == __version__
        with serve(tmp_path, kubeconfig, auth="kubernetes") as svc:
            svc.wait_ready()
            code, body = svc.get("/api/v1/info")
            assert code == 401 and "authentication required" in body["error"]
            code, info = svc.get("/api/v1/info", token="tok-alice")
            assert code == 200 and info["auth"] == "kubernetes" and info["simulation"] is False
            assert info["cluster"]["server"] == api.url and info["namespaces"] == []


def _transition_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "health FlinkDeployment" in line]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_serve_logs_each_transition_as_json(tmp_path, how):
    args, env = (("--log-format", "json"), None) if how == "flag" else ((), {"FLINK_GITOPS_LOG_FORMAT": "json"})
    with ApiServer() as api:
        put(api, deployment("orders", "streaming", "Healthy"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), *args, env=env) as svc:
            svc.wait_ready()
            api.update("FlinkDeployment", "streaming", "orders",
                       status=deployment("orders", "streaming", "Degraded", error="disk <full>")["status"])
            put(api, deployment("fresh", "batch", "Progressing"))
            wait_until(lambda: len(_transition_lines(svc.log_text())) >= 2, 15, "two transition lines")
            svc.terminate()
        text = svc.log_text()
    lines = [line for line in text.splitlines() if line.strip()]
    docs = [json.loads(line) for line in lines]  # every line is one JSON object, gunicorn's own too
    assert all({"time", "level", "logger", "message"} <= set(d) for d in docs)
    assert any(d["logger"] == "gunicorn.error" and "Booting worker" in d["message"] for d in docs)
    moves = [d for d in docs if d["logger"] == "flink_gitops.transitions"]
    degraded = next(d for d in moves if d["name"] == "orders")
    assert degraded["kind"] == "FlinkDeployment" and degraded["namespace"] == "streaming"
    assert (degraded["from"], degraded["to"], degraded["rule"]) == ("Healthy", "Degraded", "job-failed")
    assert degraded["healthMessage"] == "Job FAILED: JobException: disk <full>"
    assert degraded["error"]["type"] == "JobException" and degraded["level"] == "INFO"
    fresh = next(d for d in moves if d["name"] == "fresh")  # created after the first list: news too
    assert (fresh["from"], fresh["to"]) == (None, "Progressing")
    # the initial list is not news: orders was not logged when first seen
    assert len([d for d in moves if d["name"] == "orders"]) == 1


def test_serve_logs_each_transition_as_a_text_line(tmp_path):
    with ApiServer() as api:
        put(api, deployment("orders", "streaming", "Healthy"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
            svc.wait_ready()
            api.update("FlinkDeployment", "streaming", "orders",
                       status=deployment("orders", "streaming", "Degraded", error="disk full")["status"])
            line = wait_until(lambda: _transition_lines(svc.log_text()), 15, "a transition line")[0]
    assert "[INFO] health FlinkDeployment streaming/orders: Healthy -> Degraded (rule job-failed): " \
           "Job FAILED: JobException: disk full" in line
    assert not line.lstrip().startswith("{")


def test_a_bad_log_format_is_one_error_line(tmp_path):
    import subprocess
    from service_process import BIN

    proc = subprocess.run([str(BIN / "flink-gitops"), "serve", "--auth", "none", "--bind", "127.0.0.1:1"],
                          capture_output=True, text=True, env={"FLINK_GITOPS_LOG_FORMAT": "xml", "HOME": str(tmp_path)},
                          timeout=60)
    assert proc.returncode == 2
    assert "FLINK_GITOPS_LOG_FORMAT: log format 'xml' is not one of text, json" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_under_gunicorn_directly_the_log_format_variable_makes_every_line_json_the_access_log_too(tmp_path):
    from service_process import BIN

    command = [str(BIN / "gunicorn"), "-c", "python:flink_gitops.service.gunicorn_conf", "--bind", "127.0.0.1:{port}",
               "--access-logfile", "-", "flink_gitops.service:create_app()"]
    env = {"FLINK_GITOPS_LOG_FORMAT": "json", "FLINK_GITOPS_WATCH": "0", "FLINK_GITOPS_AUTH": "none"}
    with serve(tmp_path, None, command=command, env=env) as svc:
        assert svc.get("/livez")[0] == 200
        wait_until(lambda: '"logger":"gunicorn.access"' in svc.log_text(), 10, "an access log line")
        svc.terminate()
    docs = [json.loads(line) for line in svc.log_text().splitlines() if line.strip()]
    assert any(d["logger"] == "gunicorn.access" and "GET /livez" in d["message"] for d in docs)
    assert any(d["logger"] == "flink_gitops.service" and d["level"] == "WARNING" for d in docs)  # --auth none said
