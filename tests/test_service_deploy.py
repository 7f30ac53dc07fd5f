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


def build(folder: str) -> dict[tuple[str, str], dict]:
    """Every object of ``kubectl kustomize deploy/FOLDER``, by (kind, name)."""
    if KUBECTL is None:
        pytest.skip("needs kubectl (its built-in kustomize builds deploy/health-service): apt-get install kubectl")
    out = subprocess.run([KUBECTL, "kustomize", str(ROOT / "deploy" / folder)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out.stdout) if d}


@pytest.fixture(scope="module")
def built() -> dict[tuple[str, str], dict]:
    """The service with its monitoring Component (deploy/health-service-with-monitoring), by (kind, name)."""
    return build("health-service-with-monitoring")


@pytest.fixture(scope="module")
def base() -> dict[tuple[str, str], dict]:
    """What `kubectl apply -k deploy/health-service/` applies: the base, for any cluster."""
    return build("health-service")


@pytest.fixture(scope="module")
def docs(built) -> dict[str, dict]:
    """The service's own object of each kind (the one named flink-gitops-health, or the only one)."""
    out = {}
    for (kind, name), doc in built.items():
        if name == "flink-gitops-health" or kind not in out:
            out[kind] = doc
    return out


NAME, SCRAPER = "flink-gitops-health", "flink-gitops-health-scraper"


def test_everything_the_service_needs_is_there_in_one_namespace(built, docs):
    assert set(built) == {
        ("Namespace", "flink-gitops"), ("ServiceAccount", NAME), ("ServiceAccount", SCRAPER),
        ("Secret", SCRAPER + "-token"), ("ClusterRole", NAME), ("ClusterRoleBinding", NAME),
        ("ClusterRole", NAME + "-metrics"), ("ClusterRoleBinding", NAME + "-metrics"), ("Deployment", NAME),
        ("PodDisruptionBudget", NAME), ("Service", NAME), ("NetworkPolicy", NAME), ("ServiceMonitor", NAME),
        ("PrometheusRule", NAME)}
    namespaced = [d for (kind, _), d in built.items() if kind not in ("Namespace", "ClusterRole", "ClusterRoleBinding")]
    assert {d["metadata"]["namespace"] for d in namespaced} == {docs["Namespace"]["metadata"]["name"]}


def test_rbac_reads_the_four_flink_kinds_creates_reviews_and_nothing_else(docs):
    read, tokens, access = docs["ClusterRole"]["rules"]
    assert read["apiGroups"] == [API_GROUP]
    assert sorted(read["resources"]) == sorted(k.plural for k in kinds())
    assert sorted(read["verbs"]) == ["get", "list", "watch"]
    # --auth kubernetes: who a caller is, what it may do; creating a review reads and changes nothing
    assert tokens == {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}
    assert access == {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]}
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == docs["ClusterRole"]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": docs["ServiceAccount"]["metadata"]["name"],
                                    "namespace": docs["ServiceAccount"]["metadata"]["namespace"]}]


def test_the_base_applies_on_a_plain_cluster_and_the_component_adds_the_monitoring(base, built):
    assert not [k for k, d in base.items() if d["apiVersion"].startswith("monitoring.coreos.com/")]
    added = {k: d for k, d in built.items() if k not in base}
    assert set(added) == {("ServiceMonitor", NAME), ("PrometheusRule", NAME)}
    assert {d["apiVersion"] for d in added.values()} == {"monitoring.coreos.com/v1"}
    assert {d["metadata"]["namespace"] for d in added.values()} == {"flink-gitops"}
    assert {k: d for k, d in built.items() if k in base} == base  # the rest is the base, unchanged


def test_the_grafana_component_ships_the_dashboard_for_the_sidecar(tmp_path):
    if KUBECTL is None:
        pytest.skip("needs kubectl (its built-in kustomize)")
    overlay = ROOT / "deploy" / ".test-overlay-grafana"
    overlay.mkdir(exist_ok=True)
    try:
        (overlay / "kustomization.yaml").write_text("namespace: monitoring\ncomponents:\n  - ../grafana\n")
        out = subprocess.run([KUBECTL, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(overlay)
    assert out.returncode == 0, out.stderr
    (cm,) = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["labels"] == {"grafana_dashboard": "1"}
    assert cm["metadata"]["namespace"] == "monitoring"
    assert cm["data"]["flink-gitops.json"] == (ROOT / "deploy" / "grafana" / "flink-gitops.json").read_text()


def test_the_deployment_runs_serve_with_auth_locked_down_with_probes_and_resources(docs):
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == f"ghcr.io/flink-gitops/flink-gitops:{__version__}"
    assert container["command"] == ["flink-gitops", "serve", "--bind", "0.0.0.0:8080", "--auth", "kubernetes"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):  # above the 1 s default
        assert container[probe]["timeoutSeconds"] >= 3, probe
    assert container["livenessProbe"]["timeoutSeconds"] < container["livenessProbe"]["periodSeconds"]
    assert set(container["resources"]) == {"requests", "limits"} and container["resources"]["limits"]["memory"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}  # the only writable place
    assert pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"]


def test_every_probe_has_a_timeout_above_what_the_service_is_shown_to_answer_within(docs):
    """The kubelet's default timeout is 1 s. tests/test_service_limits.py shows /livez answering within
    1 s with idle and slow clients connected and /readyz within 2 s while evaluations run; a probe that
    times out sooner would restart (or unready) a service that is answering."""
    (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    shown = {"/livez": 1, "/readyz": 2}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        spec = container[probe]
        assert "timeoutSeconds" in spec, probe
        assert spec["timeoutSeconds"] > shown[spec["httpGet"]["path"]], probe
        assert spec["timeoutSeconds"] <= spec["periodSeconds"], probe  # one probe at a time
    live = container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] >= 30  # a restart only after a long silence


def test_a_disruption_budget_keeps_one_replica_answering(docs):
    pod_labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    pdb = docs["PodDisruptionBudget"]["spec"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()
    # a drain can always proceed (never minAvailable == replicas) and never takes the last one
    assert pdb["maxUnavailable"] == 1 < docs["Deployment"]["spec"]["replicas"]


def test_the_network_policy_admits_only_labelled_namespaces_to_the_service_port(docs, repo):
    pod_labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    policy = docs["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["policyTypes"] == ["Ingress"]  # egress stays open: the API server
    (rule,) = policy["ingress"]
    (source,) = rule["from"]
    assert set(source) == {"namespaceSelector"}  # no ipBlock, no "every pod"
    (label,) = source["namespaceSelector"]["matchLabels"].items()
    (port,) = rule["ports"]
    (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert port["port"] in {p["name"] for p in container["ports"]} and port["protocol"] == "TCP"
    service_port, = docs["Service"]["spec"]["ports"]
    assert service_port["targetPort"] == port["port"]
    assert f"{label[0]}={label[1]}" in (repo / "docs" / "service.md").read_text()  # how to label, documented


def test_service_and_servicemonitor_reach_the_pods_metrics_with_the_scrapers_token(built, docs):
    pod_labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = docs["Service"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert docs["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    (endpoint,) = docs["ServiceMonitor"]["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert docs["ServiceMonitor"]["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    credentials = endpoint["authorization"]["credentials"]
    secret = built[("Secret", credentials["name"])]
    assert secret["type"] == "kubernetes.io/service-account-token" and credentials["key"] == "token"
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.name"] == SCRAPER


def rules_of(built) -> list:
    """The stand-in's policy as the manifests' ClusterRoles and ClusterRoleBindings make it."""
    from flink_gitops.simulation.apiserver import Rule

    out = []
    for (kind, _), binding in built.items():
        if kind != "ClusterRoleBinding":
            continue
        users = tuple(f"system:serviceaccount:{s['namespace']}:{s['name']}" for s in binding["subjects"])
        for rule in built[("ClusterRole", binding["roleRef"]["name"])]["rules"]:
            out.append(Rule(tuple(rule["verbs"]), tuple(rule.get("resources", ())), tuple(rule.get("apiGroups", ())),
                            non_resource_urls=tuple(rule.get("nonResourceURLs", ())), users=users))
    return out


def test_the_scraper_may_get_metrics_and_see_nothing_else_as_the_service_checks_it(built, tmp_path):
    from flink_gitops.service import create_app
    from flink_gitops.simulation.apiserver import ApiServer, Identity

    store = HealthStore(evaluator=evaluator())
    store.replace("FlinkDeployment", [deployment("pricing", health="Degraded")])
    scraper = f"system:serviceaccount:flink-gitops:{SCRAPER}"
    with ApiServer() as api:
        api.set_policy({"scraper": Identity(scraper, ("system:serviceaccounts",)),
                        "service": Identity(f"system:serviceaccount:flink-gitops:{NAME}", ("system:serviceaccounts",))},
                       rules_of(built))
        client = create_app({"STORE": store, "WATCH": False, "AUTH": "kubernetes",
                             "KUBECONFIG": api.kubeconfig(tmp_path / "kubeconfig")}).test_client()
        scrape = client.get("/metrics", headers={"Authorization": "Bearer scraper"})
        assert scrape.status_code == 200 and 'name="pricing"' in scrape.get_data(as_text=True)
        assert client.get("/api/v1/resources", headers={"Authorization": "Bearer scraper"}).json["resources"] == []
        # and the service's own account, which reads every Flink resource, may not scrape
        assert client.get("/metrics", headers={"Authorization": "Bearer service"}).status_code == 403
        assert len(client.get("/api/v1/resources", headers={"Authorization": "Bearer service"}).json["resources"]) == 1


def test_the_alerts_use_series_the_service_exports(docs):
    rules = {r["alert"]: r for g in docs["PrometheusRule"]["spec"]["groups"] for r in g["rules"] if "alert" in r}
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
