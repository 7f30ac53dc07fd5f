"""The API-server stand-in speaks what the real ``kubernetes`` client expects (the other cluster tests
rely on it), and the reflector's backoff has client-go's shape."""

from __future__ import annotations

import time

import pytest
from kubernetes import client, config, dynamic, watch

from flink_gitops.cluster.reflector import Backoff
from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import HEALTHY, seed

G, V = "flink.apache.org", "v1beta1"


@pytest.fixture
def api(kubeapi, tmp_path):
    seed(kubeapi, HEALTHY, "a", "one")
    seed(kubeapi, HEALTHY, "b", "two")
    return config.new_client_from_config(kubeapi.kubeconfig(tmp_path / "kc"))


def test_discovery_serves_the_installed_kinds(kubeapi, api, tmp_path):
    kubeapi.uninstall("FlinkBlueGreenDeployment")
    resources = dynamic.DynamicClient(api, cache_file=str(tmp_path / "discovery.json")).resources
    deployments = resources.get(api_version=f"{G}/{V}", kind="FlinkDeployment")
    assert (deployments.name, deployments.short_names, deployments.namespaced) == (
        "flinkdeployments", ["flinkdep"], True)
    assert [o.metadata.name for o in deployments.get(namespace="b").items] == ["two"]
    assert not resources.search(api_version=f"{G}/{V}", kind="FlinkBlueGreenDeployment")


def test_get_list_pages_and_an_expired_continue(kubeapi, api):
    objects = client.CustomObjectsApi(api)
    assert objects.get_namespaced_custom_object(G, V, "a", "flinkdeployments", "one")["metadata"]["name"] == "one"
    with pytest.raises(client.ApiException) as err:
        objects.get_namespaced_custom_object(G, V, "a", "flinkdeployments", "nope")
    assert err.value.status == 404
    first = objects.list_cluster_custom_object(G, V, "flinkdeployments", limit=1)
    assert len(first["items"]) == 1 and first["metadata"]["remainingItemCount"] == 1
    kubeapi.compact()
    with pytest.raises(client.ApiException) as err:
        objects.list_cluster_custom_object(G, V, "flinkdeployments", limit=1, _continue=first["metadata"]["continue"])
    assert err.value.status == 410


def test_watch_honours_timeout_bookmarks_and_expiry(kubeapi, api):
    objects = client.CustomObjectsApi(api)
    rv = objects.list_cluster_custom_object(G, V, "flinkdeployments")["metadata"]["resourceVersion"]
    seed(kubeapi, HEALTHY, "a", "three")
    started = time.monotonic()
    events = list(watch.Watch().stream(objects.list_cluster_custom_object, G, V, "flinkdeployments",
                                       resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=1))
    assert 1 <= time.monotonic() - started < 5  # the server ended the stream at timeoutSeconds
    assert events[0]["type"] == "ADDED" and events[0]["raw_object"]["metadata"]["name"] == "three"
    assert {e["type"] for e in events[1:]} == {"BOOKMARK"}
    kubeapi.compact()
    kubeapi.delete("FlinkDeployment", "a", "three")
    with pytest.raises(client.ApiException) as err:
        list(watch.Watch().stream(objects.list_cluster_custom_object, G, V, "flinkdeployments",
                                  resource_version=rv, timeout_seconds=5))
    assert err.value.status == 410


def test_refusals(tmp_path):
    with ApiServer(installed=[]) as server:
        objects = client.CustomObjectsApi(config.new_client_from_config(server.kubeconfig(tmp_path / "kc")))
        codes = []
        for action in (lambda: None, lambda: server.install("FlinkDeployment"), lambda: server.outage(True)):
            action()
            try:
                objects.list_cluster_custom_object(G, V, "flinkdeployments")
                codes.append(200)
            except client.ApiException as exc:
                codes.append(exc.status)
        assert codes == [404, 200, 503]
        stale = client.CustomObjectsApi(config.new_client_from_config(server.kubeconfig(tmp_path / "s", token="x")))
        with pytest.raises(client.ApiException) as err:
            stale.list_cluster_custom_object(G, V, "flinkdeployments")
        assert err.value.status == 401
        assert server.count("FlinkDeployment", "list") == 2  # refused before reaching a kind: not counted


def test_backoff_doubles_to_the_cap_with_jitter_and_resets_after_a_healthy_stretch():
    backoff = Backoff()
    delays = [backoff.next(now=float(i)) for i in range(8)]
    floors = [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    assert all(f <= d <= 2 * f for d, f in zip(delays, floors)), delays
    assert backoff.next(now=8.0 + 121) <= 1.6  # two quiet minutes: back to 0.8 s (+ jitter)
