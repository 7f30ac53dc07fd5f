"""``/metrics``, parsed with prometheus_client's own text parser: what Prometheus would store."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from flink_gitops.cluster.store import ABSENT
from flink_gitops.assess import statuses
from service_objects import client, deployment, store  # noqa: F401 (fixtures)


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}}."""
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def health_of(samples, namespace, name) -> dict[str, float]:
    return {dict(labels)["status"]: value for labels, value in samples.get("flink_gitops_resource_health", {}).items()
            if dict(labels)["namespace"] == namespace and dict(labels)["name"] == name}


def test_one_series_per_status_1_for_the_current_one(client, store):
    store.replace("FlinkDeployment", [deployment("orders", health="Healthy"),
                                      deployment("pricing", health="Degraded")])
    samples = scrape(client)
    assert health_of(samples, "streaming", "pricing") == {s: (1.0 if s == "Degraded" else 0.0) for s in statuses()}
    assert health_of(samples, "streaming", "orders")["Healthy"] == 1.0
    assert sum(health_of(samples, "streaming", "orders").values()) == 1.0
    resources = samples["flink_gitops_resources"]
    assert resources[(("kind", "FlinkDeployment"), ("status", "Degraded"))] == 1.0
    assert resources[(("kind", "FlinkDeployment"), ("status", "Healthy"))] == 1.0
    assert resources[(("kind", "FlinkSessionJob"), ("status", "Healthy"))] == 0.0


def test_a_deleted_resource_has_no_series_left(client, store):
    store.replace("FlinkDeployment", [deployment("orders"), deployment("pricing", health="Degraded")])
    assert health_of(scrape(client), "streaming", "pricing")
    store.delete("FlinkDeployment", deployment("pricing"))
    samples = scrape(client)
    assert health_of(samples, "streaming", "pricing") == {}
    assert health_of(samples, "streaming", "orders")["Healthy"] == 1.0


def test_transitions_restarts_last_event_and_watch_state(client, store):
    store.replace("FlinkDeployment", [deployment("orders", rv=1)])
    store.upsert("FlinkDeployment", deployment("orders", health="Degraded", rv=2))
    store.upsert("FlinkDeployment", deployment("orders", health="Healthy", rv=3))
    store.upsert("FlinkDeployment", deployment("orders", health="Degraded", rv=4))
    store.note_watch_restart("FlinkDeployment", "expired")
    store.set_kind_state("FlinkStateSnapshot", ABSENT, "CRD not installed")
    samples = scrape(client)
    transitions = samples["flink_gitops_health_transitions_total"]
    assert transitions[(("from", "Healthy"), ("kind", "FlinkDeployment"), ("to", "Degraded"))] == 2.0
    assert transitions[(("from", "Degraded"), ("kind", "FlinkDeployment"), ("to", "Healthy"))] == 1.0
    assert samples["flink_gitops_watch_restarts_total"] == {(("kind", "FlinkDeployment"), ("reason", "expired")): 1.0}
    last = samples["flink_gitops_last_event_timestamp_seconds"]
    assert last[(("kind", "FlinkDeployment"),)] == pytest.approx(store.kind_states()["FlinkDeployment"].last_event)
    watch = samples["flink_gitops_watch_state"]
    assert watch[(("kind", "FlinkDeployment"), ("state", "synced"))] == 1.0
    assert watch[(("kind", "FlinkStateSnapshot"), ("state", "absent"))] == 1.0
    assert watch[(("kind", "FlinkSessionJob"), ("state", "pending"))] == 1.0
    assert "process_resident_memory_bytes" in samples


def test_label_values_from_the_cluster_are_escaped_in_the_exposition(client, store):
    obj = deployment('we"ird\\name')
    store.replace("FlinkDeployment", [obj])
    assert health_of(scrape(client), "streaming", 'we"ird\\name')["Healthy"] == 1.0


def test_per_resource_lines_are_byte_for_byte_what_prometheus_client_writes(store):
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    from flink_gitops.service.metrics import HEALTH, HEALTH_HELP, SINCE, SINCE_HELP, Exposition

    store.replace("FlinkDeployment", [deployment("orders"), deployment("pricing", "batch", "Degraded"),
                                      deployment('q"uo\\te\nnl', "ünï", "Progressing")])
    exposition = Exposition(store)
    exposition.body()  # fill the per-record cache, then change one record and drop another
    store.upsert("FlinkDeployment", deployment("orders", health="Degraded", rv=2))
    store.delete("FlinkDeployment", deployment("pricing", "batch"))
    ours = exposition.body().decode()

    family = GaugeMetricFamily(HEALTH, HEALTH_HELP, labels=["namespace", "kind", "name", "status"])
    since = GaugeMetricFamily(SINCE, SINCE_HELP, labels=["namespace", "kind", "name", "status", "rule"])
    for rec in store.all_records():
        for status in statuses():
            family.add_metric([rec.namespace, rec.kind, rec.name, status], 1.0 if status == rec.status else 0.0)
        since.add_metric([rec.namespace, rec.kind, rec.name, rec.status, rec.rule], rec.since)

    class Reference:
        def collect(self):
            yield family
            yield since

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Reference())
    reference = generate_latest(registry).decode()
    assert ours.startswith(reference)
    assert ours[len(reference):].startswith("# HELP flink_gitops_resources ")
    assert 'name="pricing"' not in ours and 'name="orders",namespace="streaming",status="Degraded"} 1.0' in ours


def test_each_resource_says_since_when_it_has_its_status_and_which_rule_decided(client, store):
    store.replace("FlinkDeployment", [deployment("orders", rv=1)])
    store.upsert("FlinkDeployment", deployment("orders", health="Degraded", rv=2))
    rec = store.get("streaming", "FlinkDeployment", "orders")
    samples = scrape(client)["flink_gitops_resource_status_since_timestamp_seconds"]
    assert samples == {(("kind", "FlinkDeployment"), ("name", "orders"), ("namespace", "streaming"),
                        ("rule", rec.rule), ("status", "Degraded")): pytest.approx(rec.since)}
    assert rec.rule  # the deciding rule of the table, not empty
