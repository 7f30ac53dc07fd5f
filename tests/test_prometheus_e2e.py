"""A real Prometheus (Debian's) scrapes a real ``flink-gitops serve`` on loopback, evaluates the generated rules,
and answers every query of the Grafana dashboard.

The service watches the API-server stand-in through the real ``kubernetes`` client. Nothing here is
mocked between the service and Prometheus: what a query returns is what Grafana would draw.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from flink_gitops.service import observability
from service_process import free_port, get_json, http, serve, wait_until
from tests.kubeapi.samples import DEGRADED, HEALTHY, SESSION_JOB, job_failed_status, seed, status_of

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = shutil.which("prometheus")
pytestmark = [
    pytest.mark.slow, pytest.mark.e2e,
    pytest.mark.skipif(PROMETHEUS is None, reason="needs Debian's prometheus package (`make test` installs it as "
                                                  "root); not found on PATH"),
]
CLUSTER = "lab"
#: Panels that read the Flink operator's own metrics: the stand-in has no operator, so no data is right.
OPERATOR_PANELS = {"Operator: lifecycle states", "Operator: JobManager deployments"}


class Prometheus:
    def __init__(self, base: str):
        self.base = base

    def query(self, expr: str) -> dict:
        code, body = get_json(f"{self.base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
        assert code == 200 and body["status"] == "success", (expr, body)
        return body["data"]

    def values(self, label: str, match: str) -> list[str]:
        code, body = get_json(f"{self.base}/api/v1/label/{label}/values?{urllib.parse.urlencode({'match[]': match})}")
        assert code == 200 and body["status"] == "success", body
        return body["data"]


@pytest.fixture
def prometheus(tmp_path):
    """Start Prometheus scraping ``targets`` every second; returns a starter (port of the service) -> Prometheus."""
    procs = []

    def start(service_port: int) -> Prometheus:
        port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ROOT / observability.RULES_FILE)],
            "scrape_configs": [{
                "job_name": observability.JOB,
                "static_configs": [{"targets": [f"127.0.0.1:{service_port}"], "labels": {"cluster": CLUSTER}}],
            }],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        log = open(tmp_path / "prometheus.log", "wb")
        procs.append(subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT))
        prom = Prometheus(f"http://127.0.0.1:{port}")
        wait_until(lambda: http(f"{prom.base}/-/ready")[0] == 200 if procs[-1].poll() is None else
                   pytest.fail((tmp_path / "prometheus.log").read_text()[-3000:]), 60, "Prometheus to be ready")
        return prom

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def dashboard_targets() -> list[tuple[str, str]]:
    board = json.loads((ROOT / observability.DASHBOARD).read_text())
    return [(panel["title"], target["expr"]) for panel in board["panels"] for target in panel["targets"]]


def as_prometheus_query(expr: str) -> str:
    """A dashboard expression with Grafana's variables filled in as Grafana would for this cluster."""
    return (expr.replace("$cluster", CLUSTER).replace("$namespace", ".*").replace("$__rate_interval", "20s"))


def test_prometheus_scrapes_the_service_and_every_rule_and_dashboard_query_runs(tmp_path, kubeapi, prometheus):
    seed(kubeapi, HEALTHY, "streaming", "orders")
    seed(kubeapi, DEGRADED, "streaming", "pricing")
    seed(kubeapi, SESSION_JOB, "batch", "fraud")
    kubeconfig = str(kubeapi.kubeconfig(tmp_path / "kubeconfig"))
    with serve(tmp_path, kubeconfig) as svc:
        svc.wait_ready()
        prom = prometheus(int(svc.base.rsplit(":", 1)[1]))
        wait_until(lambda: prom.query(f'up{{job="{observability.JOB}"}} == 1')["result"], 60, "the service scraped")
        # the API server cuts the watches (the service resumes them: a restart on the dashboard)
        kubeapi.drop_watches()
        wait_until(lambda: prom.query(f"sum({observability.WATCH_RESTARTS}) > 0")["result"], 60, "a watch restart")
        # a transition while Prometheus watches: pricing's spec is fixed and its job runs again
        obj = next(o for o in kubeapi.objects("FlinkDeployment") if o["metadata"]["name"] == "pricing")
        kubeapi.update("FlinkDeployment", "streaming", "pricing",
                       status=status_of(HEALTHY, observed_generation=obj["metadata"]["generation"]))
        wait_until(lambda: prom.query(f"sum({observability.TRANSITIONS}) > 0")["result"], 60, "the transition scraped")
        time.sleep(3)  # a few more scrapes and rule evaluations after it

        # every recording rule has data for the seeded objects
        for rule in observability.RECORDING_RULES:
            result = prom.query(rule["record"])["result"]
            assert result, rule["record"]
            assert all(r["metric"].get("cluster") == CLUSTER for r in result)
        by_namespace = {(r["metric"]["namespace"], r["metric"]["kind"], r["metric"]["status"]): float(r["value"][1])
                        for r in prom.query(observability.BY_NAMESPACE)["result"]}
        assert by_namespace[("streaming", "FlinkDeployment", "Healthy")] == 2.0
        assert not prom.query(as_prometheus_query(next(e for t, e in dashboard_targets() if t == "Not Healthy")))[
            "result"]  # nothing is unhealthy yet
        assert by_namespace[("batch", "FlinkSessionJob", "Healthy")] == 1.0

        # the table of non-Healthy resources lists a resource that turns Degraded, with its rule
        kubeapi.update("FlinkDeployment", "streaming", "orders", status=job_failed_status())
        table = next(expr for title, expr in dashboard_targets() if title == "Not Healthy")
        rows = wait_until(lambda: prom.query(as_prometheus_query(table))["result"], 60, "orders Degraded in the table")
        (row,) = rows
        assert {k: row["metric"][k] for k in ("namespace", "kind", "name", "status")} == {
            "namespace": "streaming", "kind": "FlinkDeployment", "name": "orders", "status": "Degraded"}
        assert row["metric"]["rule"] and 0 <= float(row["value"][1]) < 60

        # every dashboard query runs; all but the operator's own metrics have data
        for title, expr in dashboard_targets():
            data = prom.query(as_prometheus_query(expr))
            if title not in OPERATOR_PANELS:
                assert data["result"], (title, expr)
        # the variables' queries (Grafana's label_values) find this cluster and its namespaces
        board = json.loads((ROOT / observability.DASHBOARD).read_text())
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            metric, label = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"]["query"]).groups()
            found = prom.values(label, as_prometheus_query(metric))
            assert found, variable["name"]
        assert prom.values("namespace", observability.HEALTH) == ["batch", "streaming"]

        # the alerts evaluate without error; the Degraded one is pending for orders (it fires after 5 minutes)
        code, rules = get_json(f"{prom.base}/api/v1/rules")
        groups = rules["data"]["groups"]
        assert {r.get("health") for g in groups for r in g["rules"]} == {"ok"}, groups
        alerts = {(a["labels"]["alertname"], a["labels"].get("name")): a["state"]
                  for a in get_json(f"{prom.base}/api/v1/alerts")[1]["data"]["alerts"]}
        wait_until(lambda: ("FlinkResourceDegraded", "orders") in {
            (a["labels"]["alertname"], a["labels"].get("name"))
            for a in get_json(f"{prom.base}/api/v1/alerts")[1]["data"]["alerts"]}, 30, "the Degraded alert pending")
        assert ("FlinkHealthServiceDown", None) not in alerts
