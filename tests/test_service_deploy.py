"""deploy/health-service/, built by the real kustomize (kubectl's), checked against what the service does."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from flink_gitops import __version__
from flink_gitops.assess import evaluator
from flink_gitops.cluster.store import HealthStore
from flink_gitops.flink import API_GROUP, kinds
from service_objects import client_for, deployment

ROOT = Path(__file__).resolve().parents[1]
KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    if KUBECTL is None:
        pytest.skip("needs kubectl (its built-in kustomize builds deploy/health-service): apt-get install kubectl")
    out = subprocess.run([KUBECTL, "kustomize", str(ROOT / "deploy" / "health-service")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return {d["kind"]: d for d in yaml.safe_load_all(out.stdout) if d}


def test_everything_the_service_needs_is_there_in_one_namespace(docs):
    assert set(docs) == {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment",
                         "Service", "ServiceMonitor", "PrometheusRule"}
    namespaced = [d for k, d in docs.items() if k not in ("Namespace", "ClusterRole", "ClusterRoleBinding")]
    assert {d["metadata"]["namespace"] for d in namespaced} == {docs["Namespace"]["metadata"]["name"]}


def test_rbac_reads_the_four_flink_kinds_and_nothing_else(docs):
    (rule,) = docs["ClusterRole"]["rules"]
    assert rule["apiGroups"] == [API_GROUP]
    assert sorted(rule["resources"]) == sorted(k.plural for k in kinds())
    assert sorted(rule["verbs"]) == ["get", "list", "watch"]
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == docs["ClusterRole"]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": docs["ServiceAccount"]["metadata"]["name"],
                                    "namespace": docs["ServiceAccount"]["metadata"]["namespace"]}]


def test_the_deployment_runs_serve_locked_down_with_probes_and_resources(docs):
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == f"ghcr.io/flink-gitops/flink-gitops:{__version__}"
    assert container["command"] == ["flink-gitops", "serve", "--bind", "0.0.0.0:8080"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert set(container["resources"]) == {"requests", "limits"} and container["resources"]["limits"]["memory"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}  # the only writable place
    assert pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"]


def test_service_and_servicemonitor_reach_the_pods_metrics(docs):
    pod_labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = docs["Service"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert docs["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    (endpoint,) = docs["ServiceMonitor"]["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert docs["ServiceMonitor"]["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()


def test_the_alerts_use_series_the_service_exports(docs):
    rules = {r["alert"]: r for g in docs["PrometheusRule"]["spec"]["groups"] for r in g["rules"]}
    degraded = rules["FlinkResourceDegraded"]
    assert degraded["for"] == "5m"
    store = HealthStore(evaluator=evaluator())
    store.replace("FlinkDeployment", [deployment("pricing", health="Degraded")])
    text = client_for(store).get("/metrics").get_data(as_text=True)
    exported = {(s.name, frozenset(s.labels.items())) for f in text_string_to_metric_families(text) for s in f.samples}
    names = {name for name, _ in exported}
    for rule in rules.values():
        for metric, selector in re.findall(r"(flink_gitops_[a-z_]+)\{([^}]*)\}", rule["expr"]):
            assert metric in names, (rule["alert"], metric)
            wanted = set(re.findall(r'(\w+)="([^"]*)"', selector))
            assert any(n == metric and wanted <= labels for n, labels in exported), (rule["alert"], selector)
    # the Degraded resource is what the alert's expression selects, with value 1
    assert (("flink_gitops_resource_health", frozenset({("namespace", "streaming"), ("kind", "FlinkDeployment"),
                                                         ("name", "pricing"), ("status", "Degraded")})) in exported)
    assert 'status="Degraded"} 1.0' in text
