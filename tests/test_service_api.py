"""The service's HTTP API on a real HealthStore (filled as the reflectors fill it), through Flask's test client.

The same endpoints under real gunicorn against the API-server stand-in: test_service_e2e.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from flink_gitops.assess import evaluator
from flink_gitops.cluster.store import ABSENT, FAILING, HealthStore
from flink_gitops.service import create_app
from service_objects import client, client_for, deployment, store  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
LIVE = ROOT / "examples" / "live"
KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")


def fill(store: HealthStore) -> None:
    store.replace("FlinkDeployment", [
        deployment("orders", "streaming", "Healthy"),
        deployment("pricing", "streaming", "Degraded", error="checkpoint storage unreachable"),
        deployment("backfill", "batch", "Progressing"),
        deployment("audit", "batch", "Healthy"),
    ])
    for kind in KINDS[1:]:
        store.replace(kind, [])


def test_readyz_is_503_until_every_kind_is_listed_and_says_why_per_kind(client, store):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["kinds"]["FlinkDeployment"] == {"state": "pending"}
    store.replace("FlinkDeployment", [])
    store.replace("FlinkSessionJob", [])
    store.set_kind_state("FlinkStateSnapshot", ABSENT, "CRD not installed")
    store.set_kind_state("FlinkBlueGreenDeployment", FAILING, "401 Unauthorized: invalid bearer token", 401)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["kinds"]["FlinkBlueGreenDeployment"] == {
        "state": "failing", "reason": "401 Unauthorized: invalid bearer token", "code": 401}
    store.replace("FlinkBlueGreenDeployment", [])
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.json["ready"] is True
    assert resp.json["kinds"]["FlinkStateSnapshot"] == {"state": "absent", "reason": "CRD not installed"}
    assert resp.json["kinds"]["FlinkSessionJob"] == {"state": "synced"}
    # listed once, then the API server goes away: still ready (its last state is served), but says so
    store.set_kind_state("FlinkSessionJob", FAILING, "cannot reach the API server: connection refused")
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json["kinds"]["FlinkSessionJob"] == {
        "state": "failing", "reason": "cannot reach the API server: connection refused"}
    assert client.get("/api/v1/resources").json["synced"] is False
    # credentials refused later (a revoked token): not ready
    store.set_kind_state("FlinkSessionJob", FAILING, "401 Unauthorized", 401)
    assert client.get("/readyz").status_code == 503


def test_livez_answers_while_the_process_serves(client):
    resp = client.get("/livez")
    assert resp.status_code == 200 and resp.json == {"alive": True, "watch": "off"}


def test_a_kubeconfig_that_cannot_be_loaded_in_the_worker_is_not_ready_and_not_live(tmp_path):
    app = create_app({"KUBECONFIG": str(tmp_path / "gone"), "NAMESPACES": ("a", "b"), "WATCH": True})
    client = app.test_client()
    resp = client.get("/readyz")  # the first request starts the watcher (no gunicorn hook here)
    assert resp.status_code == 503
    state = resp.json["kinds"]["FlinkDeployment"]
    assert state["state"] == "failing" and "kubeconfig file not found" in state["reason"]
    live = client.get("/livez")
    assert live.status_code == 503 and live.json == {"alive": False, "watch": "not running"}


def test_listing_is_sorted_with_every_field_counts_and_synced(client, store):
    fill(store)
    body = client.get("/api/v1/resources").json
    assert [(r["namespace"], r["name"]) for r in body["resources"]] == [
        ("batch", "audit"), ("batch", "backfill"), ("streaming", "orders"), ("streaming", "pricing")]
    pricing = body["resources"][3]
    assert set(pricing) == {"kind", "namespace", "name", "status", "message", "rule", "since", "generation",
                            "observedGeneration", "error", "decodedMessage"}
    assert pricing["status"] == "Degraded" and "checkpoint storage unreachable" in pricing["message"]
    # the operator's JSON error decoded beside the message Argo CD shows
    assert pricing["error"] == {"type": "JobException", "class": "org.apache.flink.runtime.JobException",
                                "message": "checkpoint storage unreachable"}
    assert pricing["decodedMessage"] == "Job FAILED: JobException: checkpoint storage unreachable"
    assert set(body["resources"][2]) == set(pricing) - {"error", "decodedMessage"}  # healthy: nothing to decode
    assert pricing["rule"] == "job-failed" and pricing["generation"] == 3 and pricing["observedGeneration"] == 3
    assert body["counts"]["Healthy"] == 2 and body["counts"]["Degraded"] == 1 and body["counts"]["Progressing"] == 1
    assert body["synced"] is True


def test_filters_repeat_and_combine_and_accept_kind_names_as_wait_does(client, store):
    fill(store)

    def names(query: str) -> list[str]:
        resp = client.get("/api/v1/resources?" + query)
        assert resp.status_code == 200, resp.json
        return [r["name"] for r in resp.json["resources"]]

    assert names("status=Degraded&status=Progressing") == ["backfill", "pricing"]
    assert names("status=degraded,progressing") == ["backfill", "pricing"]
    assert names("namespace=batch") == ["audit", "backfill"]
    assert names("namespace=batch&status=Healthy") == ["audit"]
    assert names("kind=flinkdep&namespace=streaming") == ["orders", "pricing"]
    assert names("kind=FlinkSessionJob") == []
    counts = client.get("/api/v1/resources?namespace=streaming").json["counts"]
    assert counts["Healthy"] == 1 and counts["Degraded"] == 1 and counts["Progressing"] == 0


@pytest.mark.parametrize("query, named", [("kind=Deployment", "'Deployment'"), ("status=Broken", "'Broken'")])
def test_a_bad_filter_is_a_400_naming_it(client, query, named):
    resp = client.get("/api/v1/resources?" + query)
    assert resp.status_code == 400 and named in resp.json["error"]


def test_one_resource_by_any_kind_name_or_404(client, store):
    fill(store)
    for kind in ("FlinkDeployment", "flinkdeployments", "flinkdep", "FLINKDEPLOYMENT"):
        resp = client.get(f"/api/v1/resources/streaming/{kind}/pricing")
        assert resp.status_code == 200 and resp.json["status"] == "Degraded"
    resp = client.get("/api/v1/resources/streaming/flinkdep/nope")
    assert resp.status_code == 404 and resp.json == {"error": "FlinkDeployment streaming/nope not found"}
    resp = client.get("/api/v1/resources/streaming/deployment/pricing")
    assert resp.status_code == 404 and "'deployment' is not a Flink kind" in resp.json["error"]


def test_a_change_shows_in_the_next_listing_and_an_unchanged_cache_answers_304(client, store):
    fill(store)
    first = client.get("/api/v1/resources")
    etag = first.headers["ETag"]
    assert client.get("/api/v1/resources", headers={"If-None-Match": etag}).status_code == 304
    store.upsert("FlinkDeployment", deployment("pricing", "streaming", "Healthy", rv=2))
    second = client.get("/api/v1/resources", headers={"If-None-Match": etag})
    assert second.status_code == 200
    assert {r["name"]: r["status"] for r in second.json["resources"]}["pricing"] == "Healthy"
    store.delete("FlinkDeployment", deployment("orders", "streaming"))
    assert "orders" not in [r["name"] for r in client.get("/api/v1/resources").json["resources"]]


def test_an_etag_from_another_service_never_answers_304(client, store):
    other = HealthStore(evaluator=evaluator())
    fill(store)
    fill(other)  # same writes, same version number: a restarted pod, another replica
    etag = client_for(other).get("/api/v1/resources").headers["ETag"]
    assert client.get("/api/v1/resources", headers={"If-None-Match": etag}).status_code == 200


def test_since_is_when_the_status_began(client, store):
    fill(store)
    before = client.get("/api/v1/resources/streaming/flinkdep/orders").json["since"]
    store.upsert("FlinkDeployment", deployment("orders", "streaming", "Healthy", rv=7))  # same status
    assert client.get("/api/v1/resources/streaming/flinkdep/orders").json["since"] == before
    store.upsert("FlinkDeployment", deployment("orders", "streaming", "Degraded", rv=8))
    assert client.get("/api/v1/resources/streaming/flinkdep/orders").json["since"] > before


# --- POST /api/v1/evaluate ------------------------------------------------------------------


def live_text() -> str:
    return "".join("---\n" + p.read_text() for p in sorted(LIVE.glob("*.yaml")))


def test_evaluate_gives_the_rows_of_flink_gitops_health_o_json(client):
    cli = subprocess.run([sys.executable, "-m", "flink_gitops", "health", "-o", "json", str(LIVE)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode in (0, 1, 3), cli.stderr
    resp = client.post("/api/v1/evaluate", data=live_text(), content_type="application/yaml")
    assert resp.status_code == 200
    assert resp.json["resources"] == json.loads(cli.stdout)
    assert resp.json["skipped"] == 0


def test_evaluate_takes_json_lists_and_skips_other_kinds_and_can_say_why(client):
    items = [deployment("a", health="Degraded", error="x"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                              "metadata": {"name": "c"}}]
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    resp = client.post("/api/v1/evaluate?why=true", data=body, content_type="application/json")
    assert resp.status_code == 200
    (row,) = resp.json["resources"]
    assert row["name"] == "a" and row["status"] == "Degraded" and row["rule"] == "job-failed" and row["why"]
    assert resp.json["skipped"] == 1


def test_evaluate_bad_input_is_a_400_naming_the_document(client):
    text = yaml.safe_dump(deployment("a")) + "---\n- just\n- a list\n"
    resp = client.post("/api/v1/evaluate", data=text)
    assert resp.status_code == 400
    assert resp.json["error"].startswith("request body (document 2): expected a Kubernetes object")
    resp = client.post("/api/v1/evaluate", data="kind: [unclosed\n")
    assert resp.status_code == 400 and resp.json["error"].startswith("request body")
    resp = client.post("/api/v1/evaluate", data=b"\xff\xfe kind")
    assert resp.status_code == 400 and "not UTF-8" in resp.json["error"]
    resp = client.post("/api/v1/evaluate", data="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    assert resp.status_code == 400 and "no flink.apache.org resources found" in resp.json["error"]


def test_evaluate_refuses_bodies_over_4_mib_with_413(client):
    big = yaml.safe_dump(deployment("a")) + "# " + "x" * (4 * 1024 * 1024) + "\n"
    resp = client.post("/api/v1/evaluate", data=big)
    assert resp.status_code == 413 and "4,194,304" in resp.json["error"]
    just_under = yaml.safe_dump(deployment("a"))
    just_under += "# " + "x" * (4 * 1024 * 1024 - len(just_under) - 3) + "\n"
    assert len(just_under.encode()) <= 4 * 1024 * 1024
    assert client.post("/api/v1/evaluate", data=just_under).status_code == 200


def test_the_service_only_reads_no_route_writes_anything(client):
    app = client.application
    writes = sorted(f"{rule.rule} {sorted(rule.methods & {'POST', 'PUT', 'PATCH', 'DELETE'})}"
                    for rule in app.url_map.iter_rules() if rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
    assert writes == ["/api/v1/evaluate ['POST']"]  # evaluates the body it is given, touches no cluster
    assert client.delete("/api/v1/resources/streaming/flinkdep/orders").status_code == 405


def test_creating_the_app_starts_no_thread_and_importing_the_package_no_flask():
    threads = threading.active_count()
    create_app({"WATCH": True, "KUBECONFIG": "/nonexistent"})
    assert threading.active_count() == threads  # the watcher starts in the worker, after the fork
    probe = "import sys, flink_gitops.service, flink_gitops.commands.serve; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_evaluate_counts_a_chunked_body_that_declares_no_length(client):
    import io

    big = (yaml.safe_dump(deployment("a")) + "# " + "x" * (4 * 1024 * 1024) + "\n").encode()
    resp = client.post("/api/v1/evaluate", input_stream=io.BytesIO(big), headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413
    small = yaml.safe_dump(deployment("a")).encode()
    resp = client.post("/api/v1/evaluate", input_stream=io.BytesIO(small), headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 200 and resp.json["resources"][0]["name"] == "a"


# --- the dashboard's page (its behaviour in a real browser: test_service_dashboard.py) -------


def test_the_dashboard_is_served_whole_from_the_service_with_a_strict_csp(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    # no CDN: our own files, or a place in the page itself (the detail view's way back to the list)
    assert assets and all(a.startswith("#") or (a.startswith("/") and not a.startswith("//")) for a in assets), assets
    for asset in (a for a in assets if not a.startswith("#")):
        assert client.get(asset).status_code == 200, asset
    assert "<script>" not in html  # no inline script (the CSP would block it anyway)
    script = client.get("/static/dashboard.js").get_data(as_text=True)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, f"dashboard.js uses {sink}: cluster data must go through textContent"
